#!/usr/bin/env bash
# broker_mosquitto_test: the mock broker against real mosquitto clients and openssl s_client.
# Env: TQ_BUILD_DIR (the build tree with ./tlsqual). TQ_BROKER_TEST_PKI, when set, names an
# existing PKI to use instead of generating one with `tlsqual certs` (for debugging only).
set -u -o pipefail

bin="${TQ_BUILD_DIR:?TQ_BUILD_DIR must name the build folder}/tlsqual"
tmp="$(mktemp -d /tmp/tq-broker-e2e.XXXXXX)"
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
    if [[ "$2" == "$3" ]]; then
        echo "ok   - $1"
    else
        echo "FAIL - $1: want $2, got $3"
        failures=$((failures + 1))
    fi
}

check_nonzero() {   # check_nonzero NAME RC
    if [[ "$2" -ne 0 ]]; then echo "ok   - $1 (rc $2)"; else
        echo "FAIL - $1: want a non-zero exit, got 0"; failures=$((failures + 1)); fi
}

has_event() {   # has_event PATTERN: some events line matches the extended regex, within 3 s
    # The broker writes a loop iteration's events after the packets it sends in it, so a client
    # may exit before its events are on disk: poll, bounded.
    local deadline=$((SECONDS + 3))
    until grep -Eq -- "$1" "$tmp/events.jsonl"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.05
    done
}

pki="${TQ_BROKER_TEST_PKI:-}"
if [[ -z "$pki" ]]; then
    pki="$tmp/pki"
    timeout 300 "$bin" certs --out "$pki" --quiet >"$tmp/certs.log" 2>&1 ||
        timeout 300 "$bin" certs --out "$pki" >"$tmp/certs.log" 2>&1 ||
        { echo "FAIL - tlsqual certs did not produce a PKI:"; cat "$tmp/certs.log"; exit 1; }
fi

mkfifo "$tmp/ready"
"$bin" broker --pki "$pki" --listen 127.0.0.1:0 --events "$tmp/events.jsonl" --ready-fd 3 \
    3>"$tmp/ready" 2>"$tmp/broker.err" &
broker_pid=$!
addr=""
read -r -t 20 addr <"$tmp/ready"
if [[ -z "$addr" ]]; then
    echo "FAIL - the broker did not announce its address"; cat "$tmp/broker.err"; exit 1
fi
port="${addr##*:}"
echo "# broker pid $broker_pid listening on $addr"

# mosquitto_pub/_sub check the server's host name against -h and have no option to send another
# SNI or expect another name; the mock server certificate names the ATS endpoint
# (*.iot.us-east-1.amazonaws.test), not 127.0.0.1. So --insecure: it disables only the
# host-name check; the chain is still verified against --cafile (the mock Amazon roots).
# The broker serves the RSA chain (to Root CA 1) and the ECDSA chain (to Root CA 3), chosen by
# the suite and signature algorithms (aws-iot-facts.md §3.1), so clients trust both roots, as
# AWS tells devices to.
cat "$pki/ats-root-ca-1.pem" "$pki/ats-root-ca-3.pem" >"$tmp/amazon-roots.pem"
tls=(-h 127.0.0.1 -p "$port" --cafile "$tmp/amazon-roots.pem" --insecure)
dev=(--cert "$pki/device-rsa-2048.pem" --key "$pki/device-rsa-2048.key")

# QoS 0 and QoS 1 exchange between a subscriber and a publisher.
timeout 20 mosquitto_sub "${tls[@]}" "${dev[@]}" -i e2e-sub -t 'e2e/#' -q 1 -C 2 -W 15 -v \
    >"$tmp/sub.out" 2>"$tmp/sub.err" &
sub_pid=$!
for _ in $(seq 1 50); do has_event '"event":"mqtt_subscribe".*"e2e/#"' && break; sleep 0.1; done
timeout 10 mosquitto_pub "${tls[@]}" "${dev[@]}" -i e2e-pub0 -t e2e/q0 -m 'hello qos0' -q 0
check "mosquitto_pub QoS 0 exits 0" 0 $?
timeout 10 mosquitto_pub "${tls[@]}" "${dev[@]}" -i e2e-pub1 -t e2e/q1 -m 'hello qos1' -q 1
check "mosquitto_pub QoS 1 exits 0" 0 $?
wait "$sub_pid"
check "mosquitto_sub receives both and exits 0" 0 $?
check "subscriber got the QoS 0 message" "e2e/q0 hello qos0" "$(sed -n 1p "$tmp/sub.out")"
check "subscriber got the QoS 1 message" "e2e/q1 hello qos1" "$(sed -n 2p "$tmp/sub.out")"
has_event '"event":"mqtt_publish".*"topic":"e2e/q1","qos":1'
check "event mqtt_publish for QoS 1" 0 $?

# Refusals.
timeout 10 mosquitto_pub "${tls[@]}" -i e2e-nocert -t e2e/x -m x >/dev/null 2>&1
check_nonzero "mosquitto_pub without a client certificate is refused" $?
has_event '"event":"client_certificate_rejected".*"reason":"missing"'
check "event client_certificate_rejected reason missing" 0 $?

timeout 10 mosquitto_pub "${tls[@]}" --cert "$pki/device-unregistered-ca.pem" \
    --key "$pki/device-unregistered-ca.key" -i e2e-unreg -t e2e/x -m x >/dev/null 2>&1
check_nonzero "device certificate from an unregistered CA is refused" $?
has_event '"event":"client_certificate_rejected".*"reason":"unknown_ca"'
check "event client_certificate_rejected reason unknown_ca" 0 $?

if [[ -f "$pki/device-inactive.pem" ]]; then
    timeout 10 mosquitto_pub "${tls[@]}" --cert "$pki/device-inactive.pem" \
        --key "$pki/device-inactive.key" -i e2e-inactive -t e2e/x -m x >/dev/null 2>&1
    check_nonzero "INACTIVE device certificate is refused" $?
    has_event '"event":"client_certificate_rejected".*"reason":"inactive"'
    check "event client_certificate_rejected reason inactive" 0 $?
    has_event '"reason":"certificate_refused".*"alert_sent":"certificate_unknown"'
    check "INACTIVE certificate gets the certificate_unknown alert" 0 $?
fi

# Chain selection by suite: ECDSA suites get the EC chain (Root CA 3), RSA suites the RSA one.
for pair in "ECDHE-ECDSA-AES128-GCM-SHA256:ats-root-ca-3" \
    "ECDHE-RSA-AES128-GCM-SHA256:ats-root-ca-1"; do
    suite="${pair%%:*}" root="${pair##*:}"
    [[ -f "$pki/$root.pem" ]] || continue
    echo | timeout 10 openssl s_client -connect "127.0.0.1:$port" -tls1_2 -cipher "$suite" \
        -CAfile "$pki/$root.pem" -verify_return_error -cert "$pki/device-rsa-2048.pem" \
        -key "$pki/device-rsa-2048.key" >"$tmp/s12.out" 2>&1
    check "$suite chain verifies against $root" 0 $?
done

echo | timeout 10 openssl s_client -connect "127.0.0.1:$port" -tls1_1 \
    -cert "$pki/device-rsa-2048.pem" -key "$pki/device-rsa-2048.key" >"$tmp/s11.out" 2>&1
check_nonzero "openssl s_client -tls1_1 is refused" $?
has_event '"reason":"handshake_failed".*"alert_sent":"protocol_version"'
check "TLS 1.1 gets the protocol_version alert" 0 $?

# MQTT 5 CONNECT is answered with CONNACK rc 1 (unacceptable protocol version).
timeout 10 mosquitto_pub "${tls[@]}" "${dev[@]}" -V mqttv5 -i e2e-v5 -t e2e/x -m x \
    >/dev/null 2>&1
check_nonzero "MQTT 5 client is refused" $?
has_event '"event":"mqtt_connack".*"rc":1'
check "event mqtt_connack rc 1 for protocol level 5" 0 $?

# Duplicate client ID: the second connection takes over, the first is closed.
timeout 20 mosquitto_sub "${tls[@]}" "${dev[@]}" -i e2e-dup -t e2e/dup -W 10 \
    >/dev/null 2>&1 &
dup_pid=$!
for _ in $(seq 1 50); do has_event '"event":"mqtt_subscribe".*"e2e/dup"' && break; sleep 0.1; done
timeout 10 mosquitto_pub "${tls[@]}" "${dev[@]}" -i e2e-dup -t e2e/dup -m x -q 1
check "second client with the same ID connects" 0 $?
wait "$dup_pid" 2>/dev/null
has_event '"event":"duplicate_clientid".*"client_id":"e2e-dup"'
check "event duplicate_clientid" 0 $?
has_event '"event":"connection_closed".*"reason":"duplicate_clientid"'
check "old connection closed with reason duplicate_clientid" 0 $?

# SIGTERM: a clean stop.
kill -TERM "$broker_pid"
wait "$broker_pid"
check "broker exits 0 on SIGTERM" 0 $?
broker_pid=""
has_event '"event":"broker_stopped"'
check "event broker_stopped" 0 $?
if [[ -s "$tmp/broker.err" ]]; then
    echo "FAIL - the broker wrote to stderr:"; cat "$tmp/broker.err"; failures=$((failures + 1))
fi

if ((failures > 0)); then
    echo "# $failures failure(s); events:"; cat "$tmp/events.jsonl"
    exit 1
fi
echo "# all passed"
