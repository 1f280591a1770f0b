#!/usr/bin/env bash
# broker_settings_test: the broker settings of docs/broker.md (--listener, --endpoint, --chain,
# --server-cert, --validity, --crl, --shared-cert, --profile, --keepalive-min) against real
# clients: openssl s_client and mosquitto_pub/_sub. One broker per setting under test. Then the
# loopback rule: a non-loopback --listen or --api is refused unless --allow-remote.
# Env: TQ_BUILD_DIR (the build tree with ./tlsqual); TQ_BROKER_TEST_PKI as in tests/e2e/lib.sh.
set -u -o pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init broker-settings

make_pki
ats_host="$(sed -n 's/.*"ats": *"\([^"]*\)".*/\1/p' "$pki/manifest.json" | head -1)"

dev=(-cert "$pki/device-rsa-2048.pem" -key "$pki/device-rsa-2048.key")
cat "$pki/ats-root-ca-1.pem" "$pki/ats-root-ca-3.pem" >"$tmp/amazon-roots.pem"

s_client() {   # s_client ARGS...: one handshake; all output on stdout
    echo | timeout 10 openssl s_client -connect "$addr" "$@" 2>&1
}

# mosquitto checks the host name against -h; --insecure disables only that check (see
# broker_mosquitto_test.sh), the chain is verified against the mock Amazon roots.
mqtt_tls() { tls=(-h 127.0.0.1 -p "$port" --cafile "$tmp/amazon-roots.pem" --insecure); }
mdev() { echo "--cert $pki/$1.pem --key $pki/$1.key"; }

# --- --listener alpn (docs/aws-iot/endpoints.md#alpn-443, RFC 7301 §3.2) ------------------
start_broker alpn --listener alpn
expect_event "broker_started says listener_mode alpn" \
    '"event":"broker_started".*"listener_mode":"alpn"'
got="$(s_client "${dev[@]}" -CAfile "$tmp/amazon-roots.pem" -alpn x-amzn-mqtt-ca |
    grep -E '^ALPN protocol:')"
check "s_client -alpn x-amzn-mqtt-ca connects on an alpn listener" \
    "ALPN protocol: x-amzn-mqtt-ca" "$got"
expect_event "tls_established with alpn x-amzn-mqtt-ca" \
    '"event":"tls_established".*"alpn":"x-amzn-mqtt-ca"'
s_client "${dev[@]}" -CAfile "$tmp/amazon-roots.pem" >"$tmp/noalpn.out"
grep -q 'alert no application protocol' "$tmp/noalpn.out"
check "s_client without ALPN gets the no_application_protocol alert" 0 $?
expect_event "event alpn_rejected reason missing" '"event":"alpn_rejected".*"reason":"missing"'
expect_event "closed alpn_refused with no_application_protocol" \
    '"reason":"alpn_refused".*"alert_sent":"no_application_protocol"'
s_client "${dev[@]}" -CAfile "$tmp/amazon-roots.pem" -alpn x-amzn-http-ca >"$tmp/httpalpn.out"
grep -q 'alert no application protocol' "$tmp/httpalpn.out"
check "s_client -alpn x-amzn-http-ca is refused" 0 $?
expect_event "event alpn_rejected reason mismatch lists the offer" \
    '"event":"alpn_rejected".*"reason":"mismatch","alpn":\["x-amzn-http-ca"\]'
stop_broker

# --- --endpoint legacy -------------------------------------------------------------------
start_broker legacy --endpoint legacy
expect_event "broker_started names the legacy chain" \
    '"event":"broker_started".*"endpoint":"legacy".*"server_chains":\["legacy-server-rsa"\]'
s_client "${dev[@]}" -CAfile "$pki/legacy-root-ca-g5.pem" -verify_return_error >"$tmp/legacy.out"
check "legacy chain verifies with legacy-root-ca-g5 only" 0 $?
grep -q 'Verify return code: 0 (ok)' "$tmp/legacy.out"
check "legacy: verify return code 0" 0 $?
s_client "${dev[@]}" -CAfile "$tmp/amazon-roots.pem" -verify_return_error >/dev/null
check_nonzero "legacy chain does not verify with the Amazon roots" $?
s_client "${dev[@]}" -CAfile "$pki/legacy-root-ca-g5.pem" -verify_return_error -tls1_2 \
    -cipher ECDHE-ECDSA-AES128-GCM-SHA256 >/dev/null
check_nonzero "legacy: no ECDSA suite (one RSA chain for every suite)" $?
stop_broker

# --- --chain cross / cross-g2 ------------------------------------------------------------
count_certs() { grep -c 'BEGIN CERTIFICATE'; }
for variant in "cross:3:sfs-root-ca-g2" "cross-g2:4:sf-class2-ca"; do
    IFS=: read -r name want_certs anchor <<<"$variant"
    start_broker "chain-$name" --chain "$name"
    expect_event "broker_started names the $name chains" \
        "\"server_chains\":\\[\"ats-server-rsa-$name\",\"ats-server-ecdsa-$name\"\\]"
    # -sigalgs picks the RSA or the ECDSA server chain; it also limits the client's own
    # CertificateVerify, hence a device certificate of the same key type.
    for pair in rsa_pss_rsae_sha256:device-rsa-2048 \
        ecdsa_secp256r1_sha256:device-ecdsa-p256-sha256; do
        sig="${pair%%:*}" device="${pair##*:}"
        s_client -cert "$pki/$device.pem" -key "$pki/$device.key" -showcerts -sigalgs "$sig" \
            -CAfile "$pki/$anchor.pem" -verify_return_error >"$tmp/chain.out"
        check "--chain $name ($sig) verifies against $anchor alone" 0 $?
        check "--chain $name ($sig) sends $want_certs certificates" "$want_certs" \
            "$(count_certs <"$tmp/chain.out")"
    done
    stop_broker
done
start_broker chain-short
s_client "${dev[@]}" -showcerts -sigalgs rsa_pss_rsae_sha256 -CAfile "$pki/ats-root-ca-1.pem" \
    -verify_return_error >"$tmp/chain.out"
check "--chain short (default) sends 2 certificates" 2 "$(count_certs <"$tmp/chain.out")"
stop_broker

# --- --server-cert NAME ------------------------------------------------------------------
start_broker server-expired --server-cert server-expired
expect_event "broker_started names server_cert" \
    '"server_chains":\["server-expired"\],"server_cert":"server-expired"'
grep -E 'Verify return code' <(s_client "${dev[@]}" -CAfile "$pki/ats-root-ca-1.pem") \
    >"$tmp/expired.out"
check "--server-cert server-expired: s_client reports verify error 10" \
    "Verify return code: 10 (certificate has expired)" "$(head -1 "$tmp/expired.out")"
stop_broker
start_broker server-wrong-host --server-cert server-wrong-host
got="$(s_client "${dev[@]}" -CAfile "$pki/ats-root-ca-1.pem" -verify_hostname "$ats_host" |
    grep -E 'Verify return code' | head -1)"
check "--server-cert server-wrong-host: verify error 62" \
    "Verify return code: 62 (hostname mismatch)" "$got"
stop_broker
"$bin" broker --pki "$pki" --server-cert no-such-artifact >/dev/null 2>"$tmp/nosuch.err"
check "--server-cert with an unknown name exits 2" 2 $?
grep -q 'no-such-artifact: manifest.json has no such artifact' "$tmp/nosuch.err"
check "--server-cert unknown name: a clear error" 0 $?

# --- --validity (docs/aws-iot/client-certificates.md#validity-at-connect) -----------------
start_broker validity-strict
mqtt_tls
# shellcheck disable=SC2046
timeout 10 mosquitto_pub "${tls[@]}" $(mdev device-expired) -i v-exp -t v/x -m x >/dev/null 2>&1
check_nonzero "--validity strict (default) refuses device-expired" $?
expect_event "strict: reason expired, alert certificate_expired" \
    '"reason":"certificate_refused".*"alert_sent":"certificate_expired"'
# shellcheck disable=SC2046
timeout 10 mosquitto_pub "${tls[@]}" $(mdev device-not-yet-valid) -i v-nyv -t v/x -m x \
    >/dev/null 2>&1
check_nonzero "--validity strict refuses device-not-yet-valid" $?
expect_event "strict: event reason not_yet_valid" \
    '"event":"client_certificate_rejected".*"reason":"not_yet_valid"'
stop_broker
start_broker validity-ignore --validity ignore
mqtt_tls
# shellcheck disable=SC2046
timeout 10 mosquitto_pub "${tls[@]}" $(mdev device-expired) -i v-exp -t v/x -m x -q 1
check "--validity ignore accepts device-expired" 0 $?
expect_event "ignore: tls_established says validity_ignored expired" \
    '"event":"tls_established".*"validity_ignored":"expired"'
expect_event "ignore: CONNACK rc 0" '"event":"mqtt_connack".*"rc":0'
# shellcheck disable=SC2046
timeout 10 mosquitto_pub "${tls[@]}" $(mdev device-unregistered-ca) -i v-unreg -t v/x -m x \
    >/dev/null 2>&1
check_nonzero "--validity ignore still refuses an unknown CA" $?
stop_broker
start_broker validity-close --refusal close
mqtt_tls
# shellcheck disable=SC2046
timeout 10 mosquitto_pub "${tls[@]}" $(mdev device-expired) -i v-exp -t v/x -m x >/dev/null 2>&1
check_nonzero "--validity strict --refusal close refuses device-expired" $?
expect_event "refusal close: handshake completes, then certificate_refused" \
    '"event":"connection_closed".*"reason":"certificate_refused","detail":"expired"'
stop_broker

# --- --crl (docs/aws-iot/client-certificates.md#revocation) -------------------------------
start_broker crl-on --crl on
mqtt_tls
# shellcheck disable=SC2046
timeout 10 mosquitto_pub "${tls[@]}" $(mdev device-revoked) -i c-rev -t c/x -m x >/dev/null 2>&1
check_nonzero "--crl on refuses device-revoked" $?
expect_event "crl on: event reason crl_revoked (verify_error 23)" \
    '"event":"client_certificate_rejected".*"reason":"crl_revoked".*"verify_error":23'
expect_event "crl on: alert certificate_revoked" '"alert_sent":"certificate_revoked"'
# shellcheck disable=SC2046
timeout 10 mosquitto_pub "${tls[@]}" $(mdev device-rsa-2048) -i c-good -t c/x -m x -q 1
check "--crl on accepts device-rsa-2048 (not in device-ca's CRL)" 0 $?
# shellcheck disable=SC2046
timeout 10 mosquitto_pub "${tls[@]}" $(mdev device-ecdsa-p256-sha256) -i c-ec -t c/x -m x -q 1
check "--crl on accepts a device whose CA publishes no CRL" 0 $?
stop_broker
start_broker crl-off
mqtt_tls
# shellcheck disable=SC2046
timeout 10 mosquitto_pub "${tls[@]}" $(mdev device-revoked) -i c-rev -t c/x -m x >/dev/null 2>&1
check_nonzero "--crl off: device-revoked is still refused by its REVOKED status" $?
expect_event "crl off: reason is the registry's revoked" \
    '"event":"client_certificate_rejected".*"reason":"revoked"'
stop_broker

# --- --shared-cert (docs/aws-iot/devices.md#shared-certificate) ---------------------------
for mode in allow refuse; do
    start_broker "shared-$mode" --shared-cert "$mode"
    mqtt_tls
    # shellcheck disable=SC2046
    timeout 20 mosquitto_sub "${tls[@]}" $(mdev device-shared) -i shared-first -t s/x -W 10 \
        >/dev/null 2>&1 &
    sub_pid=$!
    track_pid "$sub_pid"
    wait_event '"event":"mqtt_subscribe".*"s/x"' 5
    # shellcheck disable=SC2046
    timeout 10 mosquitto_pub "${tls[@]}" $(mdev device-shared) -i shared-second -t s/x -m x \
        -q 1 >/dev/null 2>&1
    rc=$?
    stop_pid "$sub_pid"
    pattern='"event":"shared_certificate".*"client_id":"shared-second",'
    pattern+='"client_ids":\["shared-second","shared-first"\]'
    expect_event "$mode: shared_certificate lists both client IDs" "$pattern"
    if [[ "$mode" == allow ]]; then
        check "--shared-cert allow: the second client connects" 0 "$rc"
    else
        check_nonzero "--shared-cert refuse: the second client is refused" "$rc"
        expect_event "refuse: closed with reason shared_certificate" \
            '"event":"connection_closed".*"reason":"shared_certificate"'
    fi
    stop_broker
done

# --- --profile strict and overrides ------------------------------------------------------
start_broker profile-strict --sni optional --profile strict
expect_event "--profile strict sets crl on, shared-cert refuse; --sni optional wins" \
    '"sni":"optional","validity":"strict","crl":"on","shared_cert":"refuse".*"profile":"strict"'
stop_broker
"$bin" broker --pki "$pki" --profile lax >/dev/null 2>&1
check "--profile lax exits 2" 2 $?

# --- keep-alive 1.5 x (docs/aws-iot/mqtt.md#keep-alive-timeout), shortened with --keepalive-min ---
# A raw MQTT 3.1.1 CONNECT, client ID "ka", keep-alive 1 s; PINGREQ is c0 00.
connect_ka1='\x10\x0e\x00\x04MQTT\x04\x02\x00\x01\x00\x02ka'
start_broker keepalive --keepalive-min 1
{ printf "$connect_ka1"; sleep 4; } | timeout 10 openssl s_client -connect "$addr" "${dev[@]}" \
    -quiet -ign_eof >/dev/null 2>&1
{ printf "$connect_ka1"; for _ in 1 2 3; do sleep 0.8; printf '\xc0\x00'; done; sleep 4; } |
    timeout 12 openssl s_client -connect "$addr" "${dev[@]}" -quiet -ign_eof >/dev/null 2>&1
stop_broker
durations="$(grep '"reason":"keepalive_timeout"' "$events" |
    sed -n 's/.*"duration_ms":\([0-9]*\).*/\1/p' | tr '\n' ' ')"
read -r idle busy <<<"$durations"
expect_event "keep-alive 1 s accepted as 1 s" '"keep_alive":1,"keep_alive_effective":1'
if [[ -n "${idle:-}" && "$idle" -ge 1400 && "$idle" -lt 15000 ]]; then
    pass "an idle client is closed after 1.5 x keep-alive ($idle ms)"
else
    fail "idle client" "want keepalive_timeout after ~1.5 s, got '${idle:-none}'"
fi
if [[ -n "${busy:-}" && "$busy" -ge 3500 ]]; then
    pass "PINGREQ traffic postpones the keep-alive deadline ($busy ms)"
else
    fail "pinging client" "want keepalive_timeout after >= 3.5 s, got '${busy:-none}'"
fi

# --- loopback unless --allow-remote (the project's rule; docs/broker.md) ------------------
# refused_remote NAME ARGS...: exit 2, one stderr line naming the option and --allow-remote,
# and nothing bound (no broker_started event).
refused_remote() {
    local name="$1" option="$2"
    shift
    rm -f "$tmp/remote.jsonl"
    timeout 10 "$bin" broker --pki "$pki" --events "$tmp/remote.jsonl" "$@" \
        >/dev/null 2>"$tmp/remote.err"
    check "$name exits 2" 2 $?
    grep -q -- "$option .*not a loopback address.*--allow-remote" "$tmp/remote.err"
    check "$name: the error names $option and --allow-remote" 0 $?
    [[ ! -s "$tmp/remote.jsonl" ]]
    check "$name: nothing is served" 0 $?
}
refused_remote "--listen 0.0.0.0:0" --listen 0.0.0.0:0
refused_remote "--listen [::]:0" --listen '[::]:0'
refused_remote "--listen on a LAN address" --listen 192.0.2.10:0
refused_remote "--api 0.0.0.0:0" --api 0.0.0.0:0 --listen 127.0.0.1:0
refused_remote "--api by another host name" --api example.test:0 --listen 127.0.0.1:0
# With --allow-remote the address is tried: 192.0.2.10 (TEST-NET-1) is not on this host, so the
# bind itself fails, which shows the loopback check let it through without exposing anything.
timeout 10 "$bin" broker --pki "$pki" --listen 192.0.2.10:0 --allow-remote >/dev/null \
    2>"$tmp/remote.err"
rc=$?
grep -q 'cannot bind' "$tmp/remote.err" && ! grep -q 'loopback' "$tmp/remote.err"
check "--allow-remote lets --listen try a non-loopback address (rc $rc)" 0 $?
start_broker loopback-127-0-0-2 --listen 127.0.0.2:0 --api localhost:0
expect_event "127.0.0.2 and an --api on localhost are loopback: served" \
    '"event":"broker_started","conn":0,"peer":"","listener":"127.0.0.2:[0-9]+"'
stop_broker

finish
