#!/usr/bin/env bash
# End to end: `tlsqual device` plays the default plan (plans/default.plan.yaml) against simulated
# devices on loopback. A simulated device is a backend executable run in a reconnect loop, one
# connection per run, the same case line every time (as a real device does the same thing every
# time): connect to the device-mode listener with SNI = the endpoint name, trust the ATS-like
# roots, present device-rsa-2048, CONNECT, subscribe to one topic and wait for one message.
#   - each of the five backends gets a full report: every plan case and every ClientHello check,
#     and no case failed or errored (warnings allowed: they are findings, not failures);
#   - the lax device (the same backend with "verify_peer": false) fails exactly the five
#     bad-chain cases;
#   - a device that never connects: every case is an error after the (short) idle deadline;
#   - a device that stops halfway: the cases after it are errors; nothing hangs.
# Needs TQ_BUILD_DIR, TQ_SOURCE_DIR (set by ctest). Loopback only; every wait is bounded.
set -euo pipefail
tlsqual="$TQ_BUILD_DIR/tlsqual"
plan="$TQ_SOURCE_DIR/plans/default.plan.yaml"
tmp=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

IDLE=4                       # --idle-timeout for every session here (seconds)
BAD_CHAINS="expired server certificate is refused
server certificate for another host name is refused
chain to an untrusted root is refused
incomplete chain is refused
self-signed server certificate is refused"

pki="$tmp/pki"
"$tlsqual" certs --out "$pki" --quiet
endpoint=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoints"]["ats"])' \
    "$pki/manifest.json")

# case_line PORT NAME LAX: the simulated device's one case line.
case_line() {
    local verify=""
    [ "$3" = lax ] && verify='"verify_peer": false, '
    printf '{"id": "sim-%s", "host": "127.0.0.1", "port": %s, "server_name": "%s", %s' \
        "$2" "$1" "$endpoint" "$verify"
    printf '"trust": ["%s/ats-root-ca-1.pem", "%s/ats-root-ca-3.pem"], ' "$pki" "$pki"
    printf '"cert": "%s/device-rsa-2048.pem", "key": "%s/device-rsa-2048.key", ' "$pki" "$pki"
    printf '"timeout_ms": 8000, "mqtt": {"client_id": "sim-%s", ' "$2"
    printf '"subscribe": [{"topic": "sim/%s/in", "qos": 1}], "expect_messages": 1}}\n' "$2"
}

# simulate BACKEND NAME LAX CONSOLE RESULTS DEVICE_PID MAX: runs the backend against the port
# the device-mode console announces, one connection per run, until the session ends (or MAX
# connections reached the broker). Connections refused between two cases do not count.
simulate() {
    local backend=$1 name=$2 lax=$3 console=$4 results=$5 session=$6 max=$7 n=0 port
    local deadline=$((SECONDS + 150))
    while kill -0 "$session" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ] && [ "$n" -lt "$max" ]
    do
        port=$(sed -n 's/.*connect now to 127\.0\.0\.1:\([0-9][0-9]*\).*/\1/p' "$console" | tail -1)
        if [ -z "$port" ]; then sleep 0.1; continue; fi
        local out
        out=$(case_line "$port" "$name" "$lax" |
            timeout 30 "$backend" --run 2>>"$results.err" || true)
        echo "$out" >>"$results"
        case "$out" in *'"outcome": "connect_failed"'*|*'"outcome":"connect_failed"'*|"") ;;
            *) n=$((n + 1)) ;; esac
        sleep 0.2
    done
}

# session NAME BACKEND LAX MAX: one device-mode session with a simulated device; the session's
# exit code goes in $tmp/NAME.rc and its report in $tmp/NAME/latest.
session() {
    local name=$1 backend=$2 lax=$3 max=$4
    local console="$tmp/$name.console"
    : >"$console"
    set +e
    timeout 170 "$tlsqual" device --listen 127.0.0.1:0 --pki "$pki" --plan "$plan" \
        --out "$tmp/$name" --idle-timeout "$IDLE" --case-timeout 15 \
        --device-name "simulated $name" --firmware "$backend" >"$console" 2>"$tmp/$name.err" &
    local session_pid=$!
    set -e
    pids+=("$session_pid")
    if [ -n "$backend" ]; then
        simulate "$TQ_BUILD_DIR/backends/tlsqual-backend-$backend" "$name" "$lax" "$console" \
            "$tmp/$name.results" "$session_pid" "$max" &
        pids+=("$!")
    fi
    set +e
    wait "$session_pid"
    echo $? >"$tmp/$name.rc"
    set -e
    if grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' "$tmp/$name.err"; then
        cat "$tmp/$name.err" >&2
        fail "$name: a sanitizer reported a problem in tlsqual device"
    fi
    tail -3 "$console"
}

# check NAME: prints "verdict<TAB>name" per case of the session's results.json.
verdicts() {
    python3 - "$tmp/$1/latest/results.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for c in doc["cases"]:
    print(f'{c["verdict"]}\t{c["name"]}')
PY
}

num_cases=$(grep -c '^  - name:' "$plan")
num_checks=8

echo "== five backends as simulated devices: full reports"
for backend in openssl boringssl gnutls mbedtls wolfssl; do
    session "$backend" "$backend" strict 1000
    [ -s "$tmp/$backend/latest/junit.xml" ] || fail "$backend: no junit.xml"
    [ -s "$tmp/$backend/latest/report.html" ] || fail "$backend: no report.html"
    v=$(verdicts "$backend")
    total=$(echo "$v" | wc -l)
    [ "$total" -eq $((num_cases + num_checks)) ] ||
        fail "$backend: want $((num_cases + num_checks)) cases, got $total"
    bad=$(echo "$v" | grep -E '^(fail|error|not_run)' || true)
    [ -z "$bad" ] || { echo "$v"; cat "$tmp/$backend.console"; fail "$backend: $bad"; }
    [ "$(cat "$tmp/$backend.rc")" -eq 0 ] || fail "$backend: exit $(cat "$tmp/$backend.rc")"
    grep -q '"mqtt": {[^}]*"received": 1' "$tmp/$backend.results" ||
        grep -q '"received":1' "$tmp/$backend.results" ||
        fail "$backend: the simulated device never reported mqtt.received = 1"
    grep -q 'device.client_subject' "$tmp/$backend/latest/results.json" ||
        fail "$backend: no device identity in the report"
    python3 - "$tmp/$backend/latest/results.json" <<'PY' || fail "$backend: identity"
import json, sys
props = json.load(open(sys.argv[1]))["properties"]
props = props if isinstance(props, dict) else {p["name"]: p["value"] for p in props}
assert props["device.client_subject"].startswith("CN=device-rsa-2048,"), props
assert len(props["device.client_cert_id"]) == 64, props
assert len(props["device.ja3_md5"]) == 32, props
assert props["device.firmware"], props
PY
    echo "result $backend: $(echo "$v" | cut -f1 | sort | uniq -c | tr '\n' ' ')"
done

echo "== the lax device (verify_peer false) fails exactly the bad-chain cases"
session lax openssl lax 1000
failed=$(verdicts lax | awk -F'\t' '$1 == "fail" {print $2}')
[ "$failed" = "$BAD_CHAINS" ] || { verdicts lax; fail "lax: want the five bad chains failed"; }
verdicts lax | grep -qE '^(error|not_run)' && fail "lax: a case errored"
[ "$(cat "$tmp/lax.rc")" -eq 1 ] || fail "lax: want exit 1"
echo "result lax: $(verdicts lax | cut -f1 | sort | uniq -c | tr '\n' ' ')"

echo "== a device that never connects: every case is an error after the idle deadline"
start=$SECONDS
session never "" strict 0
[ $((SECONDS - start)) -lt $((IDLE + 30)) ] || fail "never: took $((SECONDS - start)) s"
v=$(verdicts never)
[ "$(echo "$v" | grep -c '^error')" -eq $((num_cases + num_checks)) ] ||
    { echo "$v"; fail "never: want every case an error"; }
grep -q "did not run: no connection within $IDLE s" "$tmp/never/latest/results.json" ||
    fail "never: no 'did not run' reason"
[ "$(cat "$tmp/never.rc")" -eq 1 ] || fail "never: want exit 1"

echo "== a device that stops halfway: the remaining cases are errors"
session halfway gnutls strict 3
v=$(verdicts halfway)
ran=$(echo "$v" | head -n "$num_cases" | grep -vc '^error' || true)
[ "$ran" -eq 3 ] || { echo "$v"; fail "halfway: want 3 cases run, got $ran"; }
echo "$v" | head -n "$num_cases" | tail -n $((num_cases - 3)) | grep -q -v '^error' &&
    fail "halfway: a case after the device stopped did not error"
grep -q 'the device stopped connecting' "$tmp/halfway/latest/results.json" ||
    fail "halfway: no 'stopped connecting' reason"
echo "result halfway: $(echo "$v" | cut -f1 | sort | uniq -c | tr '\n' ' ')"

echo "== a broken plan is exit 2 with file and line"
printf 'name: p\ncases:\n  - name: a\n    description: d\n    device_must: fly\n' >"$tmp/bad.yaml"
set +e
"$tlsqual" device --pki "$pki" --plan "$tmp/bad.yaml" --out "$tmp/bad" 2>"$tmp/bad.err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "broken plan: want exit 2, got $rc"
grep -q "bad.yaml:5:" "$tmp/bad.err" || { cat "$tmp/bad.err"; fail "broken plan: no file:line"; }
echo "ok"
