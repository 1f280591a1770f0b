#!/usr/bin/env bash
# broker_policy_test: security policies, SNI modes and the client_hello event, with s_client.
# Env: TQ_BUILD_DIR (the build tree with ./tlsqual); TQ_BROKER_TEST_PKI as in
# broker_mosquitto_test.sh.
set -u -o pipefail

bin="${TQ_BUILD_DIR:?TQ_BUILD_DIR must name the build folder}/tlsqual"
tmp="$(mktemp -d /tmp/tq-broker-policy.XXXXXX)"
broker_pid=""
failures=0

cleanup() {
    if [[ -n "$broker_pid" ]] && kill -0 "$broker_pid" 2>/dev/null; then
        kill -TERM "$broker_pid" 2>/dev/null
        wait "$broker_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT

check() {   # check NAME WANT GOT
    if [[ "$2" == "$3" ]]; then echo "ok   - $1"; else
        echo "FAIL - $1: want $2, got $3"; failures=$((failures + 1)); fi
}

has_event() { grep -Eq -- "$1" "$tmp/events.jsonl"; }

pki="${TQ_BROKER_TEST_PKI:-}"
if [[ -z "$pki" ]]; then
    pki="$tmp/pki"
    timeout 300 "$bin" certs --out "$pki" --quiet >"$tmp/certs.log" 2>&1 ||
        { echo "FAIL - tlsqual certs did not produce a PKI:"; cat "$tmp/certs.log"; exit 1; }
fi
host="$(sed -n 's/.*"ats": *"\([^"]*\)".*/\1/p' "$pki/manifest.json" | head -1)"
[[ -n "$host" ]] || { echo "FAIL - no ats endpoint in manifest.json"; exit 1; }

mkfifo "$tmp/ready"
"$bin" broker --pki "$pki" --listen 127.0.0.1:0 --events "$tmp/events.jsonl" --ready-fd 3 \
    --policy TLS12_1_2_2022_10 --sni endpoint 3>"$tmp/ready" 2>"$tmp/broker.err" &
broker_pid=$!
addr=""
read -r -t 20 addr <"$tmp/ready"
[[ -n "$addr" ]] || { echo "FAIL - no address"; cat "$tmp/broker.err"; exit 1; }

# s_client ARGS...: one handshake with the good device certificate; prints the negotiated line.
s_client() {
    echo | timeout 10 openssl s_client -connect "$addr" -cert "$pki/device-rsa-2048.pem" \
        -key "$pki/device-rsa-2048.key" "$@" 2>&1 | grep -E '^New, ' | head -1
}

want="New, TLSv1.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256"
got="$(s_client -tls1_2 -servername "$host" -cipher ECDHE-RSA-AES128-GCM-SHA256)"
check "TLS 1.2 with the endpoint name connects" "$want" "$got"
has_event '"event":"tls_established".*"suite":"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"'
check "event tls_established names the IANA suite" 0 $?
has_event '"event":"client_hello".*"sni":"'"$host"'".*"ja3_md5":"[0-9a-f]{32}"'
check "event client_hello with SNI and JA3" 0 $?

s_client -tls1_3 -servername "$host" >/dev/null
has_event '"reason":"handshake_failed".*"alert_sent":"protocol_version"'
check "TLS 1.3 is refused under TLS12_1_2_2022_10" 0 $?

s_client -tls1_2 -servername wrong.example.test >/dev/null
has_event '"event":"sni_rejected".*"reason":"mismatch"'
check "a wrong SNI is refused" 0 $?
has_event '"reason":"sni_refused".*"alert_sent":"unrecognized_name"'
check "a wrong SNI gets unrecognized_name" 0 $?

s_client -tls1_2 -noservername >/dev/null
has_event '"event":"sni_rejected".*"reason":"missing"'
check "a missing SNI is refused" 0 $?

kill -TERM "$broker_pid"
wait "$broker_pid"
check "broker exits 0 on SIGTERM" 0 $?
broker_pid=""
if [[ -s "$tmp/broker.err" ]]; then
    echo "FAIL - the broker wrote to stderr:"; cat "$tmp/broker.err"; failures=$((failures + 1))
fi
if ((failures > 0)); then cat "$tmp/events.jsonl"; exit 1; fi
echo "# all passed"
