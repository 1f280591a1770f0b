#!/usr/bin/env bash
# broker_api_test: the broker's AWS IoT certificate API, driven only by the Debian `aws` CLI
# (awscli 2.x) with mosquitto_sub as the connected device (docs/broker-api.md).
# Env: TQ_BUILD_DIR (the build tree with ./tlsqual); TQ_BROKER_TEST_PKI as in tests/e2e/lib.sh.
set -u -o pipefail -m   # -m: each background job is its own process group (stop_pid)
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init broker-api
sub_pids=()

if ! command -v /usr/bin/aws >/dev/null || ! command -v mosquitto_sub >/dev/null; then
    die "/usr/bin/aws (Debian awscli) and mosquitto_sub are required"
fi
make_pki
cp "$pki/registry.json" "$tmp/registry.json"   # the broker changes this copy, not the PKI

# start_api_broker: start the broker on fixed ports chosen at the first start (a restart must
# serve the same endpoint the CLI was given); sets api. Both starts write to $tmp/api.jsonl.
mqtt_listen="127.0.0.1:0"
api_listen="127.0.0.1:0"
start_api_broker() {
    start_broker api --registry "$tmp/registry.json" --listen "$mqtt_listen" --api "$api_listen"
    api="$(grep '"event":"broker_started"' "$events" | tail -1 |
        sed -n 's/.*"api":"\([^"]*\)".*/\1/p')"
    [[ -n "$api" ]] || die "broker_started has no api address"
    mqtt_listen="$addr"
    api_listen="$api"
}
start_api_broker
echo "# MQTT $addr, API http://$api"

export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=us-east-1 AWS_PAGER=""
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
iot() { timeout 60 /usr/bin/aws iot "$@" --endpoint-url "http://$api" --output text; }

# describe-endpoint: iot:Data-ATS and iot:Data give the manifest's endpoint names.
ats="$(sed -n 's/.*"ats": *"\([^"]*\)".*/\1/p' "$pki/manifest.json" | head -1)"
legacy="$(sed -n 's/.*"legacy": *"\([^"]*\)".*/\1/p' "$pki/manifest.json" | head -1)"
check "describe-endpoint iot:Data-ATS" "$ats" "$(iot describe-endpoint --endpoint-type iot:Data-ATS)"
check "describe-endpoint iot:Data" "$legacy" "$(iot describe-endpoint --endpoint-type iot:Data)"

# An unknown certificate: 404 ResourceNotFoundException, as botocore names it.
zero="$(printf '0%.0s' {1..64})"
iot describe-certificate --certificate-id "$zero" >/dev/null 2>"$tmp/err.txt"
grep -q 'ResourceNotFoundException' "$tmp/err.txt"
check "describe-certificate of an unknown id is ResourceNotFoundException" 0 $?

# register-certificate-without-ca: device-unregistered-ca is issued by a CA nobody registered.
id_noca="$(iot register-certificate-without-ca --certificate-pem "file://$pki/device-unregistered-ca.pem" \
    --status ACTIVE --query certificateId)"
want_id="$(openssl x509 -in "$pki/device-unregistered-ca.pem" -outform DER | sha256sum | cut -d' ' -f1)"
check "register-certificate-without-ca returns the SHA-256 id" "$want_id" "$id_noca"
check "it is ACTIVE in SNI_ONLY mode" "ACTIVE	SNI_ONLY" \
    "$(iot describe-certificate --certificate-id "$id_noca" \
        --query '[certificateDescription.status, certificateDescription.certificateMode]')"
iot register-certificate-without-ca --certificate-pem "file://$pki/device-unregistered-ca.pem" \
    >/dev/null 2>"$tmp/err.txt"
grep -q 'ResourceAlreadyExistsException' "$tmp/err.txt"
check "registering it again is ResourceAlreadyExistsException" 0 $?

# register-certificate: device-unregistered is issued by the registered device-ca.
id_dev="$(iot register-certificate --certificate-pem "file://$pki/device-unregistered.pem" \
    --set-as-active --query certificateId)"
check "register-certificate (registered CA) is ACTIVE" "ACTIVE" \
    "$(iot describe-certificate --certificate-id "$id_dev" --query certificateDescription.status)"
iot list-certificates --page-size 250 --query 'certificates[].certificateId' >"$tmp/list.txt"
grep -q "$id_dev" "$tmp/list.txt"
check "list-certificates lists it" 0 $?

cat "$pki/ats-root-ca-1.pem" "$pki/ats-root-ca-3.pem" >"$tmp/amazon-roots.pem"
tls=(-h 127.0.0.1 -p "$port" --cafile "$tmp/amazon-roots.pem" --insecure)
dev=(--cert "$pki/device-unregistered.pem" --key "$pki/device-unregistered.key")

# The device: mosquitto_sub with the new certificate, run again 0.5 s after each exit (bounded),
# as a device's reconnect loop would.
device_loop() {
    for _ in $(seq 1 120); do
        timeout 60 mosquitto_sub "${tls[@]}" "${dev[@]}" -i api-sub -t 'api/#' -k 5 \
            >>"$tmp/sub.out" 2>>"$tmp/sub.err"
        sleep 0.5
    done
}
device_loop &
sub_pids+=($!)
track_pid "$!"
wait_event '"event":"mqtt_subscribe"' 15
check "mosquitto_sub with the registered certificate subscribes" 0 $?

# update-certificate INACTIVE: the connection is closed within a second.
iot update-certificate --certificate-id "$id_dev" --new-status INACTIVE
t0=$SECONDS
wait_event '"reason":"certificate_status_changed","detail":"inactive"' 1
check "update-certificate INACTIVE drops mosquitto_sub within a second" 0 $?
has_event '"event":"certificate_updated","conn":0,"peer":"","certificate_id":"'"$id_dev"'","old_status":"ACTIVE","new_status":"INACTIVE","connections_closed":1'
check "event certificate_updated names one closed connection" 0 $?
wait_event '"event":"client_certificate_rejected".*"reason":"inactive"' 10
check "its reconnection is refused (inactive)" 0 $?

# Back to ACTIVE: mosquitto_sub's own reconnection succeeds.
before="$(count_events '"event":"mqtt_subscribe"')"
iot update-certificate --certificate-id "$id_dev" --new-status ACTIVE
deadline=$((SECONDS + 20))
while ((SECONDS < deadline)) && [[ "$(count_events '"event":"mqtt_subscribe"')" == "$before" ]]; do
    sleep 0.2
done
check "after ACTIVE again, mosquitto_sub reconnects and subscribes" 1 \
    "$(( $(count_events '"event":"mqtt_subscribe"') > before ))"
(( SECONDS - t0 < 60 )) || echo "# note: reconnect took $((SECONDS - t0)) s"

# Shared certificate: a second client with the same certificate and another client ID.
timeout 60 mosquitto_sub "${tls[@]}" "${dev[@]}" -i api-sub-2 -t 'api/#' -C 1 -W 5 \
    >/dev/null 2>&1
wait_event '"event":"shared_certificate"' 10
check "a second client ID on the same certificate is observed" 0 $?
task="$(iot start-on-demand-audit-task --target-check-names DEVICE_CERTIFICATE_SHARED_CHECK \
    CONFLICTING_CLIENT_IDS_CHECK --query taskId)"
iot list-audit-findings --task-id "$task" --check-name DEVICE_CERTIFICATE_SHARED_CHECK \
    --query 'findings[].[nonCompliantResource.resourceIdentifier.deviceCertificateId, reasonForNonComplianceCode]' \
    >"$tmp/findings.txt"
check "list-audit-findings shows the shared certificate" \
    "$id_dev	CERTIFICATE_SHARED_BY_MULTIPLE_DEVICES" "$(cat "$tmp/findings.txt")"
iot list-audit-findings --task-id "$task" --check-name DEVICE_CERTIFICATE_SHARED_CHECK \
    --query 'findings[0].relatedResources[].resourceIdentifier.clientId' | tr '\t' '\n' |
    sort | tr '\n' ' ' >"$tmp/clients.txt"
check "the finding lists both client IDs" "api-sub api-sub-2 " "$(cat "$tmp/clients.txt")"

# SIGKILL right after update-certificate returned: the restarted broker has the new status.
iot update-certificate --certificate-id "$id_dev" --new-status REVOKED
kill -KILL "$broker_pid"
wait_pid "$broker_pid"
start_api_broker
check "after SIGKILL and restart, describe-certificate shows REVOKED" "REVOKED" \
    "$(iot describe-certificate --certificate-id "$id_dev" --query certificateDescription.status)"
check "and the certificate registered without a CA is still there" "ACTIVE" \
    "$(iot describe-certificate --certificate-id "$id_noca" --query certificateDescription.status)"

for p in "${sub_pids[@]}"; do stop_pid "$p"; done
sub_pids=()

# Just-in-time registration (docs/aws-iot/client-certificates.md#jitr): once deleted, the
# certificate is unknown again; with auto-registration on for device-ca its next connection
# registers it PENDING_ACTIVATION, publishes the registration message and is refused; once
# activated it connects.
iot update-certificate --certificate-id "$id_dev" --new-status INACTIVE
iot delete-certificate --certificate-id "$id_dev"
iot describe-certificate --certificate-id "$id_dev" >/dev/null 2>"$tmp/err.txt"
grep -q 'ResourceNotFoundException' "$tmp/err.txt"
check "delete-certificate removes it" 0 $?
ca_id="$(openssl x509 -in "$pki/device-ca.pem" -outform DER | sha256sum | cut -d' ' -f1)"
iot update-ca-certificate --certificate-id "$ca_id" --new-auto-registration-status ENABLE
check "update-ca-certificate turns auto-registration on" "ENABLE" \
    "$(iot describe-ca-certificate --certificate-id "$ca_id" \
        --query certificateDescription.autoRegistrationStatus)"
watcher=(--cert "$pki/device-rsa-2048.pem" --key "$pki/device-rsa-2048.key")
timeout 60 mosquitto_sub "${tls[@]}" "${watcher[@]}" -i jitr-watcher \
    -t '$aws/events/certificates/registered/+' -C 1 -W 20 >"$tmp/jitr.msg" 2>"$tmp/jitr.err" &
sub_pids+=($!)
track_pid "$!"
wait_event '"event":"mqtt_connect".*"client_id":"jitr-watcher"' 15
sleep 0.3   # its SUBSCRIBE follows the CONNECT
timeout 30 mosquitto_pub "${tls[@]}" "${dev[@]}" -i jitr-device -t api/x -m hi \
    >/dev/null 2>&1
check "the unknown certificate's first connection is refused" 1 $(( $? != 0 ))
wait_pid "${sub_pids[-1]}"
sub_pids=()
"$PY" - "$tmp/jitr.msg" "$id_dev" "$ca_id" <<'PY' >"$tmp/jitr.check"
import json, sys
m = json.loads(open(sys.argv[1]).read())
want = {"certificateId": sys.argv[2], "caCertificateId": sys.argv[3],
        "certificateStatus": "PENDING_ACTIVATION", "awsAccountId": "123456789012"}
bad = [k for k, v in want.items() if m.get(k) != v]
bad += [k for k in ("timestamp", "certificateRegistrationTimestamp") if not isinstance(m.get(k), int)]
print("ok" if not bad else "bad: " + ", ".join(bad) + " in " + json.dumps(m))
PY
check "the registration message reaches a subscriber of \$aws/events/certificates/registered/+" \
    "ok" "$(cat "$tmp/jitr.check")"
check "describe-certificate shows PENDING_ACTIVATION" "PENDING_ACTIVATION" \
    "$(iot describe-certificate --certificate-id "$id_dev" --query certificateDescription.status)"
iot update-certificate --certificate-id "$id_dev" --new-status ACTIVE
timeout 30 mosquitto_pub "${tls[@]}" "${dev[@]}" -i jitr-device -t api/x -m hi -q 1 \
    >/dev/null 2>"$tmp/pub.err"
check "once ACTIVE, the device connects and publishes" 0 $?

stop_pid "$broker_pid"
broker_pid=""
cmp -s "$pki/registry.json" "$tmp/registry.json"
check "the registry copy changed, the PKI's registry did not" 1 $?
check_empty "the broker wrote nothing to stderr" "$broker_err"
((failures == 0)) || tail -n 60 "$events"
finish
