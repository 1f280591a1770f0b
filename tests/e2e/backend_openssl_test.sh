#!/usr/bin/env bash
# backend_openssl_test.sh: every built backend (build/backends/tlsqual-backend-*) against
# `openssl s_server`, `gnutls-serv` and a small MQTT-over-TLS stub, with a throwaway PKI made here.
#
# Checks, per backend and per server (s_server and gnutls-serv, both requiring a client
# certificate): good chain -> ok (handshake completed, peer chain SHA-256 right);
# expired -> cert_expired; wrong name -> hostname_mismatch; unknown root -> cert_untrusted;
# CRL -> cert_revoked (good chain + CRL -> ok). Against s_server only: --capabilities is one
# valid JSON line; the negotiated suite is one the capabilities list; verify_time; an unknown
# suite -> unsupported; TLS 1.2 pinned; MQTT CONNECT/SUBSCRIBE/PUBLISH against the stub; a bad
# case line and an over-long case line -> exit 2. A check the backend lacks a capability for is
# skipped with a reason, never failed.
#
# gnutls-serv has no option to bind one address (it listens on every interface), so the whole
# test runs in a private network namespace (`unshare -n`) that holds only the loopback: no
# server started here is reachable from outside. Without unshare the gnutls-serv checks are
# skipped with that reason.
#
# Env: TQ_BUILD_DIR (required), TQ_BACKENDS (optional: space-separated names, default all built).
set -euo pipefail

: "${TQ_BUILD_DIR:?set TQ_BUILD_DIR to the build directory}"
if [ -z "${TQ_IN_NETNS:-}" ] && timeout 10 unshare -n true 2>/dev/null; then
    export TQ_IN_NETNS=1
    exec timeout 500 unshare -n bash "$0" "$@"
fi
if [ -n "${TQ_IN_NETNS:-}" ]; then
    ip link set lo up
fi
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init backend-e2e

# ---------------------------------------------------------------- throwaway PKI (openssl CLI)
make_openssl_pki() {
    local d=$tmp/pki
    mkdir -p "$d/db"
    : >"$d/db/index.txt"
    echo 1000 >"$d/db/serial"
    echo 1000 >"$d/db/crlnumber"
    cat >"$d/ca.cnf" <<EOF
[ca]
default_ca = tq
[tq]
dir = $d/db
database = \$dir/index.txt
serial = \$dir/serial
crlnumber = \$dir/crlnumber
new_certs_dir = \$dir
certificate = $d/root.pem
private_key = $d/root.key
default_md = sha256
default_crl_days = 30
policy = any
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
EOF
    local ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
    for root in root other-root; do
        openssl req -x509 "${ec[@]}" -keyout "$d/$root.key" -out "$d/$root.pem" -days 3650 \
            -subj "/CN=tlsqual e2e $root/O=tlsqual test" \
            -addext basicConstraints=critical,CA:TRUE \
            -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
    done
    # name:extensions:startdate:enddate ("" = now / +365 days)
    for spec in "server:server::" "expired:server:20200101000000Z:20210101000000Z" \
                "revoked:server::" "client:client::"; do
        IFS=: read -r name ext start end <<<"$spec"
        openssl req -new "${ec[@]}" -keyout "$d/$name.key" -out "$d/$name.csr" \
            -subj "/CN=$( [ "$ext" = client ] && echo device-001 || echo localhost )" 2>/dev/null
        local dates=(-days 365)
        [ -n "$start" ] && dates=(-startdate "$start" -enddate "$end")
        openssl ca -batch -config "$d/ca.cnf" -extensions "$ext" "${dates[@]}" \
            -in "$d/$name.csr" -out "$d/$name.pem" -notext 2>/dev/null
    done
    # A server certificate under the other root: the client only trusts `root`.
    openssl req -new "${ec[@]}" -keyout "$d/stranger.key" -out "$d/stranger.csr" \
        -subj "/CN=localhost" 2>/dev/null
    openssl x509 -req -in "$d/stranger.csr" -CA "$d/other-root.pem" -CAkey "$d/other-root.key" \
        -CAcreateserial -days 365 -sha256 -out "$d/stranger.pem" \
        -extfile "$d/ca.cnf" -extensions server 2>/dev/null
    openssl ca -batch -config "$d/ca.cnf" -revoke "$d/revoked.pem" 2>/dev/null
    openssl ca -batch -config "$d/ca.cnf" -gencrl -out "$d/root.crl.pem" 2>/dev/null
}

wait_port() {   # wait_port PORT: bounded wait until something listens
    for _ in $(seq 1 100); do
        "$PY" -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1',$1)))" \
            && return 0
        sleep 0.1
    done
    return 1
}

# start_server NAME CERT: an s_server that requires a client certificate (-Verify 1).
declare -A PORT
start_server() {
    local name=$1 cert=$2 port
    port=$(free_port)
    timeout 600 openssl s_server -accept "127.0.0.1:$port" -cert "$tmp/pki/$cert.pem" \
        -key "$tmp/pki/$cert.key" -CAfile "$tmp/pki/root.pem" -Verify 1 -quiet \
        </dev/null >"$tmp/s_server-$name.log" 2>&1 &
    track_pid $!
    PORT[$name]=$port
    wait_port "$port" || die "s_server $name did not start"
}

# start_gnutls_serv NAME CERT: a gnutls-serv that requires a client certificate. Only inside
# the private network namespace (it binds every interface).
start_gnutls_serv() {
    local name=$1 cert=$2 port
    port=$(free_port)
    timeout 600 gnutls-serv --port "$port" --x509certfile "$tmp/pki/$cert.pem" \
        --x509keyfile "$tmp/pki/$cert.key" --x509cafile "$tmp/pki/root.pem" \
        --require-client-cert --echo --quiet \
        </dev/null >"$tmp/gnutls-serv-$name.log" 2>&1 &
    track_pid $!
    PORT[gs-$name]=$port
    wait_port "$port" || { cat "$tmp/gnutls-serv-$name.log"; die "gnutls-serv $name did not start"; }
}

# start_mqtt_stub: TLS (Python ssl) + just enough MQTT 3.1.1 to ack CONNECT/SUBSCRIBE/PUBLISH
# and echo each PUBLISH back once (so expect_messages can be checked).
start_mqtt_stub() {
    local port
    port=$(free_port)
    cat >"$tmp/mqtt_stub.py" <<'EOF'
import socket, ssl, sys
port, cert, key = int(sys.argv[1]), sys.argv[2], sys.argv[3]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(cert, key)
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port)); ls.listen(8); ls.settimeout(300)
def read_exact(c, n):
    b = b""
    while len(b) < n:
        x = c.recv(n - len(b))
        if not x: raise EOFError
        b += x
    return b
def read_packet(c):
    h = read_exact(c, 1)[0]; mult, rem = 1, 0
    for _ in range(4):
        d = read_exact(c, 1)[0]; rem += (d & 127) * mult; mult *= 128
        if not d & 128: break
    return h, read_exact(c, rem)
for _ in range(50):
    try:
        raw, _ = ls.accept()
    except socket.timeout:
        break
    raw.settimeout(10)
    try:
        c = ctx.wrap_socket(raw, server_side=True)
        while True:
            h, body = read_packet(c); t = h >> 4
            if t == 1: c.sendall(bytes([0x20, 2, 0, 0]))
            elif t == 8: c.sendall(bytes([0x90, 3]) + body[:2] + bytes([body[-1] & 1]))
            elif t == 3:
                qos = (h >> 1) & 3; tl = int.from_bytes(body[:2], "big")
                if qos: c.sendall(bytes([0x40, 2]) + body[2 + tl:4 + tl])
                echo = body[:2 + tl] + body[2 + tl + (2 if qos else 0):]
                c.sendall(bytes([0x30, len(echo)]) + echo)
            elif t == 14: break
        c.unwrap()
    except Exception:
        pass
    finally:
        raw.close()
EOF
    timeout 600 "$PY" "$tmp/mqtt_stub.py" "$port" "$tmp/pki/server.pem" "$tmp/pki/server.key" \
        >"$tmp/mqtt_stub.log" 2>&1 &
    track_pid $!
    PORT[mqtt]=$port
    wait_port "$port" || die "MQTT stub did not start"
}

# ---------------------------------------------------------------- checks
json_get() {   # json_get FILE ID EXPR: evaluate EXPR on the result with that id (r = result)
    "$PY" - "$1" "$2" "$3" <<'EOF'
import json, sys
path, cid, expr = sys.argv[1:]
for line in open(path):
    r = json.loads(line)
    if r["id"] == cid:
        print(eval(expr)); break
else:
    print("<no result>")
EOF
}

expect() {   # expect BACKEND RESULTS ID EXPR WANT
    local got
    got=$(json_get "$2" "$3" "$4")
    if [ "$got" = "$5" ]; then pass "$1 $3: $4 == $5"; else
        fail "$1 $3: $4: want $5, got $got"
        grep -F "\"id\":\"$3\"" "$2" | head -c 2000 || true
        echo
    fi
}

caps_has() {   # caps_has CAPS_FILE KEY VALUE
    "$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); sys.exit(0 if sys.argv[3] in c[sys.argv[2]] else 1)' "$@"
}

case_line() {   # case_line ID PORT EXTRA_JSON_MEMBERS
    local p=$tmp/pki
    printf '{"id":"%s","host":"127.0.0.1","port":%s,"server_name":"localhost","trust":["%s"],"cert":"%s","key":"%s","timeout_ms":8000%s}\n' \
        "$1" "$2" "$p/root.pem" "$p/client.pem" "$p/client.key" "$3"
}

test_backend() {
    local name=$1 exe=$TQ_BUILD_DIR/backends/tlsqual-backend-$1
    local caps=$tmp/$name.caps results=$tmp/$name.results cases=$tmp/$name.cases p=$tmp/pki
    echo "== backend $name"
    if timeout 30 "$exe" --capabilities >"$caps" && [ "$(wc -l <"$caps")" = 1 ] &&
        "$PY" -c 'import json,sys; c=json.load(open(sys.argv[1])); assert c["protocol"]==1 and c["name"]==sys.argv[2]' "$caps" "$name"; then
        pass "$name --capabilities is one JSON line"
    else
        fail "$name --capabilities"; return
    fi
    # The roots are valid from now on, so verify_time can only move within [now, now+365d].
    local past=1593561600 soon=$(( $(date +%s) + 86400 )) later=$(( $(date +%s) + 2 * 365 * 86400 ))
    {
        case_line good "${PORT[good]}" ''
        case_line expired "${PORT[expired]}" ''
        case_line wrong-name "${PORT[good]}" ',"server_name":"wrong.example"' | sed 's/"server_name":"localhost",//'
        case_line unknown-root "${PORT[stranger]}" ''
        case_line bad-suite "${PORT[good]}" ',"suites":["TLS_NOT_A_REAL_SUITE_SHA256"]'
        case_line tls12 "${PORT[good]}" ',"versions":{"min":"1.2","max":"1.2"}'
        if caps_has "$caps" features crl; then
            case_line revoked "${PORT[revoked]}" ",\"crl\":[\"$p/root.crl.pem\"]"
            case_line good-with-crl "${PORT[good]}" ",\"crl\":[\"$p/root.crl.pem\"]"
        fi
        if caps_has "$caps" features verify_time; then
            case_line good-in-2020 "${PORT[good]}" ",\"verify_time\":$past"
            case_line good-tomorrow "${PORT[good]}" ",\"verify_time\":$soon"
            case_line good-in-2-years "${PORT[good]}" ",\"verify_time\":$later"
        fi
        if [ -n "$GNUTLS_SERV" ]; then
            case_line gs-good "${PORT[gs-good]}" ''
            case_line gs-expired "${PORT[gs-expired]}" ''
            case_line gs-wrong-name "${PORT[gs-good]}" ',"server_name":"wrong.example"' | sed 's/"server_name":"localhost",//'
            case_line gs-unknown-root "${PORT[gs-stranger]}" ''
            if caps_has "$caps" features crl; then
                case_line gs-revoked "${PORT[gs-revoked]}" ",\"crl\":[\"$p/root.crl.pem\"]"
                case_line gs-good-with-crl "${PORT[gs-good]}" ",\"crl\":[\"$p/root.crl.pem\"]"
            fi
        fi
        case_line mqtt "${PORT[mqtt]}" ',"mqtt":{"client_id":"device-001","subscribe":[{"topic":"t/#","qos":1}],"publish":[{"topic":"t/a","qos":1,"payload":"hi"}],"expect_messages":1}'
    } >"$cases"
    local rc=0
    timeout 120 "$exe" --run <"$cases" >"$results" 2>"$tmp/$name.stderr" || rc=$?
    [ "$rc" = 0 ] && pass "$name --run exit 0" || { fail "$name --run exit $rc"; tail -5 "$tmp/$name.stderr"; }
    [ "$(wc -l <"$results")" = "$(wc -l <"$cases")" ] && pass "$name one result per case" ||
        fail "$name: $(wc -l <"$results") results for $(wc -l <"$cases") cases"

    local fp
    fp=$(openssl x509 -in "$p/server.pem" -outform DER | sha256sum | cut -d' ' -f1)
    expect "$name" "$results" good 'r["outcome"]' ok
    expect "$name" "$results" good 'r["handshake"]' completed
    expect "$name" "$results" good 'r["peer_chain"][0]["sha256"]' "$fp"
    expect "$name" "$results" good 'r["local_port"] > 0' True
    expect "$name" "$results" expired 'r["outcome"]' cert_expired
    expect "$name" "$results" wrong-name 'r["outcome"]' hostname_mismatch
    expect "$name" "$results" unknown-root 'r["outcome"]' cert_untrusted
    expect "$name" "$results" bad-suite 'r["outcome"]' unsupported
    expect "$name" "$results" tls12 'r["version"]' TLSv1.2
    if caps_has "$caps" features crl; then
        expect "$name" "$results" revoked 'r["outcome"]' cert_revoked
        expect "$name" "$results" good-with-crl 'r["outcome"]' ok
    else skip "$name CRL checks: backend lacks feature crl"; fi
    if caps_has "$caps" features verify_time; then
        expect "$name" "$results" good-in-2020 'r["outcome"]' cert_not_yet_valid
        expect "$name" "$results" good-tomorrow 'r["outcome"]' ok
        expect "$name" "$results" good-in-2-years 'r["outcome"]' cert_expired
    else skip "$name verify_time checks: backend lacks feature verify_time"; fi
    local suites
    suites=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["suites"])' "$caps")
    expect "$name" "$results" good "r[\"suite\"] in $suites" True
    expect "$name" "$results" tls12 "r[\"suite\"] in $suites" True
    if [ -n "$GNUTLS_SERV" ]; then
        expect "$name" "$results" gs-good 'r["outcome"]' ok
        expect "$name" "$results" gs-good 'r["peer_chain"][0]["sha256"]' "$fp"
        expect "$name" "$results" gs-expired 'r["outcome"]' cert_expired
        expect "$name" "$results" gs-wrong-name 'r["outcome"]' hostname_mismatch
        expect "$name" "$results" gs-unknown-root 'r["outcome"]' cert_untrusted
        if caps_has "$caps" features crl; then
            expect "$name" "$results" gs-revoked 'r["outcome"]' cert_revoked
            expect "$name" "$results" gs-good-with-crl 'r["outcome"]' ok
        else skip "$name gnutls-serv CRL checks: backend lacks feature crl"; fi
    else skip "$name gnutls-serv checks: $GNUTLS_SERV_WHY"; fi
    expect "$name" "$results" mqtt 'r["outcome"]' ok
    expect "$name" "$results" mqtt '(r["mqtt"]["connack"], r["mqtt"]["suback"], r["mqtt"]["puback"], r["mqtt"]["received"])' '(0, [1], 1, 1)'

    rc=0
    echo '{"id":"x","host":"127.0.0.1"}' | timeout 30 "$exe" --run >/dev/null 2>&1 || rc=$?
    [ "$rc" = 2 ] && pass "$name missing port -> exit 2" || fail "$name missing port: exit $rc"
    rc=0
    "$PY" -c 'print("{\"id\":\"" + "a" * 70000 + "\"}")' | timeout 30 "$exe" --run >/dev/null 2>&1 || rc=$?
    [ "$rc" = 2 ] && pass "$name 70 KB line -> exit 2" || fail "$name 70 KB line: exit $rc"
}

make_openssl_pki
start_server good server
start_server expired expired
start_server revoked revoked
start_server stranger stranger
start_mqtt_stub
GNUTLS_SERV=
GNUTLS_SERV_WHY="no private network namespace (unshare -n) to keep gnutls-serv, which binds every interface, on loopback"
if [ -n "${TQ_IN_NETNS:-}" ] && command -v gnutls-serv >/dev/null; then
    for spec in good:server expired:expired revoked:revoked stranger:stranger; do
        start_gnutls_serv "${spec%%:*}" "${spec#*:}"
    done
    GNUTLS_SERV=1
elif [ -n "${TQ_IN_NETNS:-}" ]; then
    GNUTLS_SERV_WHY="gnutls-serv not installed (gnutls-bin)"
fi

if [ -n "${TQ_BACKENDS:-}" ]; then
    names=($TQ_BACKENDS)
else
    names=()
    for exe in "$TQ_BUILD_DIR"/backends/tlsqual-backend-*; do
        [ -x "$exe" ] && names+=("${exe##*/tlsqual-backend-}")
    done
fi
[ "${#names[@]}" -gt 0 ] || die "no backend built under $TQ_BUILD_DIR/backends"
for n in "${names[@]}"; do test_backend "$n"; done

echo "# backends: ${names[*]}"
finish
