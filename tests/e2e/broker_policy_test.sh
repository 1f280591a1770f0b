#!/usr/bin/env bash
# broker_policy_test: security policies, SNI modes and the client_hello event, with s_client.
# Env: TQ_BUILD_DIR (the build tree with ./tlsqual); TQ_BROKER_TEST_PKI as in tests/e2e/lib.sh.
set -u -o pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init broker-policy

make_pki
host="$(sed -n 's/.*"ats": *"\([^"]*\)".*/\1/p' "$pki/manifest.json" | head -1)"
[[ -n "$host" ]] || die "no ats endpoint in manifest.json"

start_broker policy --policy TLS12_1_2_2022_10 --sni endpoint

# s_client ARGS...: one handshake with the good device certificate; prints the negotiated line.
s_client() {
    echo | timeout 10 openssl s_client -connect "$addr" -cert "$pki/device-rsa-2048.pem" \
        -key "$pki/device-rsa-2048.key" "$@" 2>&1 | grep -E '^New, ' | head -1
}

want="New, TLSv1.2, Cipher is ECDHE-RSA-AES128-GCM-SHA256"
got="$(s_client -tls1_2 -servername "$host" -cipher ECDHE-RSA-AES128-GCM-SHA256)"
check "TLS 1.2 with the endpoint name connects" "$want" "$got"
expect_event "event tls_established names the IANA suite" \
    '"event":"tls_established".*"suite":"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"'
expect_event "event client_hello with SNI and JA3" \
    '"event":"client_hello".*"sni":"'"$host"'".*"ja3_md5":"[0-9a-f]{32}"'

s_client -tls1_3 -servername "$host" >/dev/null
expect_event "TLS 1.3 is refused under TLS12_1_2_2022_10" \
    '"reason":"handshake_failed".*"alert_sent":"protocol_version"'

s_client -tls1_2 -servername wrong.example.test >/dev/null
expect_event "a wrong SNI is refused" '"event":"sni_rejected".*"reason":"mismatch"'
expect_event "a wrong SNI gets unrecognized_name" \
    '"reason":"sni_refused".*"alert_sent":"unrecognized_name"'

s_client -tls1_2 -noservername >/dev/null
expect_event "a missing SNI is refused" '"event":"sni_rejected".*"reason":"missing"'

stop_broker
((failures == 0)) || cat "$events"
finish
