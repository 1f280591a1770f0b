#!/usr/bin/env bash
# broker_mosquitto_test: the mock broker against real mosquitto clients and openssl s_client.
# Env: TQ_BUILD_DIR (the build tree with ./tlsqual). TQ_BROKER_TEST_PKI, when set, names an
# existing PKI to use instead of generating one with `tlsqual certs` (for debugging only).
set -u -o pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init broker-e2e

make_pki
start_broker mosquitto

# mosquitto_pub/_sub check the server's host name against -h and have no option to send another
# SNI or expect another name; the mock server certificate names the ATS endpoint
# (*.iot.us-east-1.amazonaws.test), not 127.0.0.1. So --insecure: it disables only the
# host-name check; the chain is still verified against --cafile (the mock Amazon roots).
# The broker serves the RSA chain (to Root CA 1) and the ECDSA chain (to Root CA 3), chosen by
# the suite and signature algorithms (docs/aws-iot/server-chains.md#chain-selection), so
# clients trust both roots, as AWS tells devices to
# (docs/aws-iot/server-chains.md#trust-store-guidance).
cat "$pki/ats-root-ca-1.pem" "$pki/ats-root-ca-3.pem" >"$tmp/amazon-roots.pem"
tls=(-h 127.0.0.1 -p "$port" --cafile "$tmp/amazon-roots.pem" --insecure)
dev=(--cert "$pki/device-rsa-2048.pem" --key "$pki/device-rsa-2048.key")

# QoS 0 and QoS 1 exchange between a subscriber and a publisher.
timeout 20 mosquitto_sub "${tls[@]}" "${dev[@]}" -i e2e-sub -t 'e2e/#' -q 1 -C 2 -W 15 -v \
    >"$tmp/sub.out" 2>"$tmp/sub.err" &
sub_pid=$!
track_pid "$sub_pid"
wait_event '"event":"mqtt_subscribe".*"e2e/#"' 15 || true
timeout 10 mosquitto_pub "${tls[@]}" "${dev[@]}" -i e2e-pub0 -t e2e/q0 -m 'hello qos0' -q 0
check "mosquitto_pub QoS 0 exits 0" 0 $?
timeout 10 mosquitto_pub "${tls[@]}" "${dev[@]}" -i e2e-pub1 -t e2e/q1 -m 'hello qos1' -q 1
check "mosquitto_pub QoS 1 exits 0" 0 $?
wait_pid "$sub_pid"
check "mosquitto_sub receives both and exits 0" 0 "$wait_rc"
check "subscriber got the QoS 0 message" "e2e/q0 hello qos0" "$(sed -n 1p "$tmp/sub.out")"
check "subscriber got the QoS 1 message" "e2e/q1 hello qos1" "$(sed -n 2p "$tmp/sub.out")"
expect_event "event mqtt_publish for QoS 1" '"event":"mqtt_publish".*"topic":"e2e/q1","qos":1'

# Refusals.
timeout 10 mosquitto_pub "${tls[@]}" -i e2e-nocert -t e2e/x -m x >/dev/null 2>&1
check_nonzero "mosquitto_pub without a client certificate is refused" $?
expect_event "event client_certificate_rejected reason missing" \
    '"event":"client_certificate_rejected".*"reason":"missing"'

timeout 10 mosquitto_pub "${tls[@]}" --cert "$pki/device-unregistered-ca.pem" \
    --key "$pki/device-unregistered-ca.key" -i e2e-unreg -t e2e/x -m x >/dev/null 2>&1
check_nonzero "device certificate from an unregistered CA is refused" $?
expect_event "event client_certificate_rejected reason unknown_ca" \
    '"event":"client_certificate_rejected".*"reason":"unknown_ca"'

if [[ -f "$pki/device-inactive.pem" ]]; then
    timeout 10 mosquitto_pub "${tls[@]}" --cert "$pki/device-inactive.pem" \
        --key "$pki/device-inactive.key" -i e2e-inactive -t e2e/x -m x >/dev/null 2>&1
    check_nonzero "INACTIVE device certificate is refused" $?
    expect_event "event client_certificate_rejected reason inactive" \
        '"event":"client_certificate_rejected".*"reason":"inactive"'
    expect_event "INACTIVE certificate gets the certificate_unknown alert" \
        '"reason":"certificate_refused".*"alert_sent":"certificate_unknown"'
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
expect_event "TLS 1.1 gets the protocol_version alert" \
    '"reason":"handshake_failed".*"alert_sent":"protocol_version"'

# MQTT 5 is served per connection (docs/aws-iot/mqtt.md#versions): an MQTT 5 CONNECT gets an
# MQTT 5 CONNACK, reason 0x00 (tests/e2e/broker_mqtt5_test.sh tests MQTT 5 itself).
timeout 10 mosquitto_pub "${tls[@]}" "${dev[@]}" -V mqttv5 -i e2e-v5 -t e2e/x -m x \
    >/dev/null 2>&1
check "MQTT 5 client publishes" 0 $?
expect_event "event mqtt_connack reason 0 for protocol level 5" \
    '"event":"mqtt_connack".*"rc":0,"session_present":false,"protocol_level":5'

# Duplicate client ID: the second connection takes over, the first is closed.
timeout 20 mosquitto_sub "${tls[@]}" "${dev[@]}" -i e2e-dup -t e2e/dup -W 10 \
    >/dev/null 2>&1 &
dup_pid=$!
track_pid "$dup_pid"
wait_event '"event":"mqtt_subscribe".*"e2e/dup"' 15 || true
timeout 10 mosquitto_pub "${tls[@]}" "${dev[@]}" -i e2e-dup -t e2e/dup -m x -q 1
check "second client with the same ID connects" 0 $?
wait_pid "$dup_pid"
expect_event "event duplicate_clientid" '"event":"duplicate_clientid".*"client_id":"e2e-dup"'
expect_event "old connection closed with reason duplicate_clientid" \
    '"event":"connection_closed".*"reason":"duplicate_clientid"'

# SIGTERM: a clean stop.
stop_broker
expect_event "event broker_stopped" '"event":"broker_stopped"'
if ((failures > 0)); then
    echo "# events:"; cat "$events"
fi
finish
