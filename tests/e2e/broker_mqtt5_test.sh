#!/usr/bin/env bash
# broker_mqtt5_test: `tlsqual broker` speaks MQTT the way AWS IoT Core does (docs/aws-iot/mqtt.md),
# seen by clients nobody here wrote: mosquitto_pub/_sub (libmosquitto 2.0, -V mqttv5 and 3.1.1)
# and Eclipse paho-mqtt 1.6.1 (Debian python3-paho-mqtt, through broker_mqtt5_paho.py).
# 1. MQTT 5 per connection: CONNACK properties and reason codes, PUBLISH/SUBSCRIBE/UNSUBSCRIBE,
#    Topic Aliases, server DISCONNECT with AWS's reason codes.
# 2. Sessions: persistent sessions (3.1.1 and 5), offline QoS 1 queued and replayed, in-flight
#    QoS 1 resent with DUP, expiry, the queue's bound.
# 3. Last Will (kill -9, not on DISCONNECT, on DISCONNECT 0x04) and retained messages.
# Env: TQ_BUILD_DIR (the build tree with ./tlsqual); TQ_BROKER_TEST_PKI names an existing PKI to
# use instead of generating one (debugging only). Loopback only; every wait is bounded.
set -u -o pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
e2e_init broker-mqtt5

command -v mosquitto_sub >/dev/null && command -v mosquitto_pub >/dev/null ||
    die "mosquitto_pub and mosquitto_sub (Debian mosquitto-clients) are required"
"$PY" -c 'import paho.mqtt' 2>/dev/null || die "python3-paho-mqtt (paho-mqtt 1.6.1) is required"

make_pki
cp "$pki/registry.json" "$tmp/registry.json"
# --keepalive-min 1: the keep-alive timeout in 1.5 s instead of 45; --session-queue 5: the
# queue's bound within reach; --api: a certificate made INACTIVE while connected.
start_broker mqtt5 --keepalive-min 1 --session-queue 5 --registry "$tmp/registry.json" \
    --api 127.0.0.1:0
api="$(grep '"event":"broker_started"' "$events" | sed -n 's/.*"api":"\([^"]*\)".*/\1/p')"

# As broker_mosquitto_test.sh: --insecure skips only the host-name check (the mock certificate
# names the ATS endpoint); the chain is verified against both Amazon roots.
cat "$pki/ats-root-ca-1.pem" "$pki/ats-root-ca-3.pem" >"$tmp/amazon-roots.pem"
tls=(-h 127.0.0.1 -p "$port" --cafile "$tmp/amazon-roots.pem" --insecure)
dev=(--cert "$pki/device-rsa-2048.pem" --key "$pki/device-rsa-2048.key")
v5=(-V mqttv5)

# paho OUT [OPTIONS...]: broker_mqtt5_paho.py with the device certificate, its lines in OUT.
paho() {
    local out="$1"
    shift
    timeout 30 "$PY" "$here/broker_mqtt5_paho.py" "$port" "$tmp/amazon-roots.pem" \
        "$pki/${paho_cert:-device-rsa-2048}.pem" "$pki/${paho_cert:-device-rsa-2048}.key" \
        "$@" >"$out" 2>&1
}

# field OUT EVENT EXPR: EXPR (Python, over the event's dict `d` and its properties `p`) of the
# last line of OUT whose event is EVENT; "missing" when there is none.
field() {
    "$PY" - "$1" "$2" "$3" <<'EOF'
import json, sys
d = None
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("event") == sys.argv[2]:
        d = e
try:
    p = d.get("properties", {}) if d else {}
    print("missing" if d is None else eval(sys.argv[3]))
except (KeyError, TypeError):
    print("missing")
EOF
}

# sub_bg OUT ARGS...: a mosquitto_sub in the background (its pid in sub_pid), bounded by its own
# -W or -C; waits until the broker has its SUBSCRIBE (the filter is the last argument).
sub_bg() {
    local out="$1"
    shift
    mosquitto_sub "${tls[@]}" "${dev[@]}" "$@" >"$out" 2>"$out.err" &
    sub_pid=$!
    track_pid "$sub_pid"
    wait_event "\"event\":\"mqtt_subscribe\".*\"filter\":\"${*: -1}\"" 10 || true
}

wait_line() {   # wait_line FILE PATTERN [SECONDS]: true once FILE has a line matching PATTERN
    local deadline=$((SECONDS + ${3:-10}))
    until grep -Eq -- "$2" "$1" 2>/dev/null; do
        ((SECONDS < deadline)) || return 1
        sleep 0.05
    done
}

pub() {   # pub ARGS...: mosquitto_pub with the device certificate, bounded
    timeout 10 mosquitto_pub "${tls[@]}" "${dev[@]}" "$@"
}

echo "# 1. MQTT 5 per connection"

# Publish and subscribe, QoS 0 and 1, with a User Property and Content Type forwarded
# (docs/aws-iot/mqtt.md#mqtt5-properties).
sub_bg "$tmp/v5sub.out" "${v5[@]}" -i v5-sub -q 1 -C 2 -W 15 -F '%t|%p|%q|%P' -t 'v5/#'
pub "${v5[@]}" -i v5-pub0 -t v5/q0 -m 'hello qos0' -q 0
check "mosquitto_pub -V mqttv5 QoS 0 exits 0" 0 $?
pub "${v5[@]}" -i v5-pub1 -t v5/q1 -m 'hello qos1' -q 1 -D publish user-property origin e2e
check "mosquitto_pub -V mqttv5 QoS 1 exits 0" 0 $?
wait_pid "$sub_pid"
check "mosquitto_sub -V mqttv5 receives both and exits 0" 0 "$wait_rc"
check "QoS 0 message" "v5/q0|hello qos0|0|" "$(sed -n 1p "$tmp/v5sub.out")"
check "QoS 1 message with its User Property" "v5/q1|hello qos1|1|origin:e2e" \
    "$(sed -n 2p "$tmp/v5sub.out")"
expect_event "event mqtt_publish of MQTT 5 with PUBACK 0x00" \
    '"event":"mqtt_publish".*"topic":"v5/q1".*"protocol_level":5,"topic_alias":null,"puback":0'

# Versions mix (docs/aws-iot/mqtt.md#versions): 3.1.1 to 5 and 5 to 3.1.1.
sub_bg "$tmp/mix5.out" "${v5[@]}" -i mix-sub5 -q 1 -C 1 -W 15 -t mix/to5
sub_pid5=$sub_pid
sub_bg "$tmp/mix3.out" -i mix-sub3 -q 1 -C 1 -W 15 -t mix/to3
pub -i mix-pub3 -t mix/to5 -m 'from 3.1.1' -q 1
pub "${v5[@]}" -i mix-pub5 -t mix/to3 -m 'from 5' -q 1
wait_pid "$sub_pid5"
check "an MQTT 5 subscriber gets a 3.1.1 publication" "from 3.1.1" "$(cat "$tmp/mix5.out")"
wait_pid "$sub_pid"
check "a 3.1.1 subscriber gets an MQTT 5 publication" "from 5" "$(cat "$tmp/mix3.out")"

# CONNACK as paho sees it (docs/aws-iot/mqtt.md#mqtt5-properties, #client-id-limits).
paho "$tmp/p-empty.out"
check "paho: empty client ID is accepted (reason 0x00)" 0 \
    "$(field "$tmp/p-empty.out" connack 'd["reason_code"]')"
check "paho: Assigned Client Identifier in AWS's \$GEN/ form" True \
    "$(field "$tmp/p-empty.out" connack \
        'bool(__import__("re").fullmatch(r"\$GEN/[-0-9a-f]{36}", p["AssignedClientIdentifier"]))')"
check "paho: Receive Maximum 100, Maximum Packet Size 131072, Topic Alias Maximum 8" \
    "100 131072 8" "$(field "$tmp/p-empty.out" connack \
        '"%d %d %d" % (p["ReceiveMaximum"], p["MaximumPacketSize"], p["TopicAliasMaximum"])')"
check "paho: Maximum QoS 1, Subscription Identifier Available 0" "1 0" \
    "$(field "$tmp/p-empty.out" connack \
        '"%d %d" % (p["MaximumQoS"], p["SubscriptionIdentifierAvailable"])')"
check "paho: Retain, Wildcard and Shared Subscription Available left at 1 (absent)" \
    "absent" "$(field "$tmp/p-empty.out" connack \
        '"present" if {"RetainAvailable", "WildcardSubscriptionAvailable",
                       "SharedSubscriptionAvailable"} & set(p) else "absent"')"

paho "$tmp/p-clamp.out" --client-id clamp --keepalive 2000 --session-expiry 999999
check "paho: Session Expiry 999999 is applied as 3600 (the account maximum)" 3600 \
    "$(field "$tmp/p-clamp.out" connack 'd["properties"]["SessionExpiryInterval"]')"
check "paho: keep-alive 2000 gets Server Keep Alive 1200" 1200 \
    "$(field "$tmp/p-clamp.out" connack 'd["properties"]["ServerKeepAlive"]')"

paho "$tmp/p-dollar.out" --client-id '$reserved'
check "paho: a client ID starting with \$ gets CONNACK 0x85" 133 \
    "$(field "$tmp/p-dollar.out" connack 'd["reason_code"]')"
paho "$tmp/p-long.out" --client-id "$(printf 'x%.0s' {1..129})"
check "paho: a 129-byte client ID gets CONNACK 0x85" 133 \
    "$(field "$tmp/p-long.out" connack 'd["reason_code"]')"

# Server DISCONNECT with AWS's reason codes (docs/aws-iot/mqtt.md#disconnect-reason-codes).
paho "$tmp/p-ka.out" --client-id ka --keepalive 1 --no-ping --until disconnect
check "paho: no PINGREQ gets DISCONNECT 0x8D (Keep Alive timeout)" 141 \
    "$(field "$tmp/p-ka.out" disconnect 'd["reason_code"]')"
expect_event "event connection_closed keepalive_timeout after the DISCONNECT" \
    '"event":"mqtt_disconnect".*"direction":"server","reason_code":141'

paho "$tmp/p-subid.out" --client-id subid --subscription-id 7 --until disconnect
check "paho: a Subscription Identifier gets DISCONNECT 0xA1" 161 \
    "$(field "$tmp/p-subid.out" disconnect 'd["reason_code"]')"

paho "$tmp/p-alias.out" --client-id alias --publish alias/t --alias 1 --until puback
check "paho: PUBLISH by Topic Alias is acknowledged" "[1, 2]" \
    "$(field "$tmp/p-alias.out" puback 'd["mids"]')"
expect_event "event mqtt_publish resolves the alias" \
    '"event":"mqtt_publish".*"topic":"alias/t","qos":1,"packet_id":2.*"topic_alias":1'
paho "$tmp/p-alias9.out" --client-id alias9 --publish alias/t --alias 9 --until disconnect
check "paho: Topic Alias 9 (> 8) gets DISCONNECT 0x94" 148 \
    "$(field "$tmp/p-alias9.out" disconnect 'd["reason_code"]')"

paho "$tmp/p-qos3.out" --client-id qos3 --send-hex 3600 --until disconnect
check "paho: a PUBLISH with QoS 3 gets DISCONNECT 0x81 (Malformed Packet)" 129 \
    "$(field "$tmp/p-qos3.out" disconnect 'd["reason_code"]')"
paho "$tmp/p-auth.out" --client-id auth --send-hex f000 --until disconnect
check "paho: an AUTH packet gets DISCONNECT 0x82 (Protocol Error)" 130 \
    "$(field "$tmp/p-auth.out" disconnect 'd["reason_code"]')"

# Filters per SUBSCRIBE (docs/aws-iot/mqtt.md#subscribe-limits): 8; the 9th gets 0x97 (Quota
# exceeded); more than the codec holds (32) ends the connection with DISCONNECT 0x97.
filters=()
for i in $(seq 1 9); do filters+=(-t "q9/$i"); done
timeout 10 mosquitto_sub "${tls[@]}" "${dev[@]}" "${v5[@]}" -d -i q9 -W 1 "${filters[@]}" \
    >"$tmp/q9.out" 2>&1
check "9 filters: SUBACK grants 8 and refuses the 9th with 0x97" \
    "Subscribed (mid: 1): 0, 0, 0, 0, 0, 0, 0, 0, 151" "$(grep -m1 Subscribed "$tmp/q9.out")"
filters=()
for i in $(seq 1 33); do filters+=(-t "q33/$i"); done
timeout 10 mosquitto_sub "${tls[@]}" "${dev[@]}" "${v5[@]}" -d -i q33 -W 3 "${filters[@]}" \
    >"$tmp/q33.out" 2>&1
check "33 filters: DISCONNECT 0x97 seen by mosquitto_sub" "Received DISCONNECT (151)" \
    "$(grep -m1 'Received DISCONNECT' "$tmp/q33.out")"
filters=()
for i in $(seq 1 9); do filters+=(-t "q9v3/$i"); done
timeout 10 mosquitto_sub "${tls[@]}" "${dev[@]}" -d -i q9v3 -W 1 "${filters[@]}" \
    >"$tmp/q9v3.out" 2>&1
check "3.1.1, 9 filters: the 9th gets 0x80" "Subscribed (mid: 1): 0, 0, 0, 0, 0, 0, 0, 0, 128" \
    "$(grep -m1 Subscribed "$tmp/q9v3.out")"

# Duplicate client ID (docs/aws-iot/devices.md#duplicate-client-id): the older MQTT 5
# connection gets DISCONNECT 0x8E (Session taken over), with mosquitto_sub and with paho.
sub_bg "$tmp/dup-old.out" "${v5[@]}" -d -i dup5 -W 15 -t dup/x
pub "${v5[@]}" -i dup5 -t dup/x -m x -q 1
check "the newer connection with the same client ID publishes" 0 $?
wait_pid "$sub_pid"
check "the older mosquitto_sub sees DISCONNECT 0x8E" "Received DISCONNECT (142)" \
    "$(grep -m1 'Received DISCONNECT' "$tmp/dup-old.out")"
paho "$tmp/dup-paho.out" --client-id dup-paho --until disconnect --timeout 15 &
paho_pid=$!
track_pid "$paho_pid"
wait_line "$tmp/dup-paho.out" '"event": "connack"' || true
paho "$tmp/dup-paho2.out" --client-id dup-paho
wait_pid "$paho_pid"
check "the older paho client sees DISCONNECT 0x8E" 142 \
    "$(field "$tmp/dup-paho.out" disconnect 'd["reason_code"]')"
expect_event "event mqtt_disconnect 0x8E for the older connection" \
    '"event":"mqtt_disconnect".*"direction":"server","reason_code":142,"reason":"Session taken'

# A certificate made INACTIVE while connected (UpdateCertificate): DISCONNECT 0x87.
paho_cert=device-rsa-4096 paho "$tmp/p-auth87.out" --client-id revoked --until disconnect \
    --timeout 15 &
paho_pid=$!
track_pid "$paho_pid"
wait_line "$tmp/p-auth87.out" '"event": "connack"' || true
cert_id="$(grep '"client_subject":"CN=device-rsa-4096' "$events" | head -1 |
    sed -n 's/.*"client_cert_id":"\([0-9a-f]*\)".*/\1/p')"
"$PY" -c 'import sys, urllib.request as u
u.urlopen(u.Request("http://%s/certificates/%s?newStatus=INACTIVE" % (sys.argv[1], sys.argv[2]),
                    method="PUT"), timeout=10)' "$api" "$cert_id"
check "UpdateCertificate INACTIVE answers 200" 0 $?
wait_pid "$paho_pid"
check "paho: its certificate made INACTIVE gets DISCONNECT 0x87 (Not authorized)" 135 \
    "$(field "$tmp/p-auth87.out" disconnect 'd["reason_code"]')"

echo "# 2. Sessions"

# An offline persistent MQTT 5 session gets the QoS 1 messages published meanwhile
# (docs/aws-iot/mqtt.md#persistent-sessions, #session-expiry).
persist=(-c -i fixed5 -x 3600 -q 1 -t 'persist5/#')
timeout 10 mosquitto_sub "${tls[@]}" "${dev[@]}" "${v5[@]}" "${persist[@]}" -C 1 -W 2 \
    >/dev/null 2>&1
expect_event "the persistent session is stored when the client goes" \
    '"event":"session_stored".*"client_id":"fixed5","session_expiry":3600,"subscriptions":1'
for i in 1 2 3; do pub "${v5[@]}" -i "persist-pub$i" -t persist5/x -m "offline $i" -q 1; done
timeout 10 mosquitto_sub "${tls[@]}" "${dev[@]}" "${v5[@]}" "${persist[@]}" -C 3 -W 5 \
    >"$tmp/persist5.out" 2>&1
check "mosquitto_sub -c -i fixed5 -V mqttv5 -x 3600 gets the 3 messages sent while offline" \
    "offline 1|offline 2|offline 3" "$(paste -sd'|' "$tmp/persist5.out")"
expect_event "CONNACK Session Present on the return" \
    '"event":"mqtt_connack".*"rc":0,"session_present":true,"protocol_level":5'
expect_event "event session_resumed with 3 queued" \
    '"event":"session_resumed".*"client_id":"fixed5","subscriptions":1,"inflight":0,"queued":3'

# The same for MQTT 3.1.1 (cleanSession 0; the session lasts --session-expiry, 1 h).
persist3=(-c -i fixed3 -q 1 -t 'persist3/#')
timeout 10 mosquitto_sub "${tls[@]}" "${dev[@]}" "${persist3[@]}" -C 1 -W 2 >/dev/null 2>&1
wait_event '"event":"session_stored".*"client_id":"fixed3"' 5 || true
pub -i persist3-pub -t persist3/x -m 'offline 3.1.1' -q 1
timeout 10 mosquitto_sub "${tls[@]}" "${dev[@]}" "${persist3[@]}" -C 1 -W 5 \
    >"$tmp/persist3.out" 2>&1
check "3.1.1: mosquitto_sub -c gets the message sent while offline" "offline 3.1.1" \
    "$(cat "$tmp/persist3.out")"
expect_event "3.1.1: CONNACK session_present 1" \
    '"event":"mqtt_connack".*"rc":0,"session_present":true}'

# A 3.1.1 session is not resumed as MQTT 5 (#persistent-sessions).
timeout 10 mosquitto_sub "${tls[@]}" "${dev[@]}" "${v5[@]}" -c -i fixed3 -x 60 -q 1 \
    -t 'persist3/#' -C 1 -W 1 >/dev/null 2>&1
wait_event '"event":"mqtt_connect".*"client_id":"fixed3","protocol_level":5' 5 || true
check "a 3.1.1 session is not resumed by MQTT 5" 1 \
    "$(count_events '"event":"session_resumed".*"client_id":"fixed3"')"

# The queue is bounded (--session-queue 5): 7 offline messages, 5 kept, 2 dropped.
timeout 10 mosquitto_sub "${tls[@]}" "${dev[@]}" "${v5[@]}" -c -i bounded -x 3600 -q 1 \
    -t bounded/x -C 1 -W 1 >/dev/null 2>&1
wait_event '"event":"session_stored".*"client_id":"bounded"' 5 || true
for i in 1 2 3 4 5 6 7; do pub "${v5[@]}" -i "bounded-pub$i" -t bounded/x -m "b$i" -q 1; done
timeout 10 mosquitto_sub "${tls[@]}" "${dev[@]}" "${v5[@]}" -c -i bounded -x 3600 -q 1 \
    -t bounded/x -C 5 -W 5 >"$tmp/bounded.out" 2>&1
check "the bounded queue keeps the first 5" "b1|b2|b3|b4|b5" "$(paste -sd'|' "$tmp/bounded.out")"
check "the 2 others are dropped (event message_dropped queue_full)" 2 \
    "$(count_events '"event":"message_dropped".*"client_id":"bounded".*"reason":"queue_full"')"

# Outgoing QoS 1 stays in flight until PUBACK and is resent on reconnection with DUP set.
paho "$tmp/track1.out" --client-id tracked --no-clean-start --session-expiry 3600 \
    --subscribe 'tracked/#' --no-puback --until message &
paho_pid=$!
track_pid "$paho_pid"
wait_line "$tmp/track1.out" '"event": "suback"' || true
pub "${v5[@]}" -i tracked-pub -t tracked/x -m 'ack me' -q 1
wait_pid "$paho_pid"
check "paho got the message once, without DUP" "ack me False" \
    "$(field "$tmp/track1.out" message '"%s %s" % (d["payload"], d["dup"])')"
paho "$tmp/track2.out" --client-id tracked --no-clean-start --session-expiry 3600 \
    --until message
check "back online without having acknowledged: the same message again, DUP set, same id" \
    "ack me True 1" \
    "$(field "$tmp/track2.out" message '"%s %s %s" % (d["payload"], d["dup"], d["mid"])')"
paho "$tmp/track3.out" --client-id tracked --no-clean-start --session-expiry 3600 \
    --until message --timeout 2
check "once acknowledged it is not sent again" "missing" \
    "$(field "$tmp/track3.out" message 'd["payload"]')"

# Expiry: a session of 1 s is gone 2 s after its client (event session_expired).
timeout 10 mosquitto_sub "${tls[@]}" "${dev[@]}" "${v5[@]}" -c -i shortlived -x 1 -q 1 \
    -t short/x -C 1 -W 1 >/dev/null 2>&1
expect_event "event session_expired after its 1 s" \
    '"event":"session_expired".*"client_id":"shortlived"' 5
timeout 10 mosquitto_sub "${tls[@]}" "${dev[@]}" "${v5[@]}" -c -i shortlived -x 1 -q 1 \
    -t short/x -C 1 -W 1 >/dev/null 2>&1
check "after its expiry the session is not present" 0 \
    "$(count_events '"event":"session_resumed".*"client_id":"shortlived"')"

# Clean Start 1 drops a stored session (mosquitto_sub without -c).
timeout 10 mosquitto_sub "${tls[@]}" "${dev[@]}" "${v5[@]}" -c -i cleaned -x 3600 -q 1 \
    -t clean/x -C 1 -W 1 >/dev/null 2>&1
pub "${v5[@]}" -i clean-pub -t clean/x -m 'for the old session' -q 1
timeout 10 mosquitto_sub "${tls[@]}" "${dev[@]}" "${v5[@]}" -i cleaned -q 1 -t clean/y -C 1 \
    -W 2 >"$tmp/cleaned.out" 2>/dev/null
check "Clean Start 1: the old session's message is not delivered" "" "$(cat "$tmp/cleaned.out")"

echo "# 3. Last Will and retained messages"

# A Will is published when its client is killed (docs/aws-iot/mqtt.md#last-will), on MQTT 5
# and 3.1.1.
for version in 5 3.1.1; do
    vopt=()
    [[ "$version" == 5 ]] && vopt=("${v5[@]}")
    sub_bg "$tmp/will-watch.out" "${vopt[@]}" -i "watch-$version" -q 1 -C 1 -W 15 -t "will/$version"
    watch_pid=$sub_pid
    mosquitto_sub "${tls[@]}" "${dev[@]}" "${vopt[@]}" -i "willer-$version" -W 30 \
        --will-topic "will/$version" --will-payload "gone $version" --will-qos 1 \
        -t "will/other$version" >/dev/null 2>&1 &
    willer=$!
    track_pid "$willer"
    wait_event "\"event\":\"mqtt_subscribe\".*\"filter\":\"will/other$version\"" 10 || true
    kill -9 "$willer"
    wait_pid "$willer"
    wait_pid "$watch_pid"
    check "MQTT $version: kill -9 of the client publishes its Will" "gone $version" \
        "$(cat "$tmp/will-watch.out")"
done
expect_event "event will_published for the killed client (peer_closed)" \
    '"event":"will_published".*"topic":"will/5".*"reason":"peer_closed"'

# Not on a normal DISCONNECT: mosquitto_pub with a Will publishes and disconnects (0x00).
sub_bg "$tmp/will-clean.out" "${v5[@]}" -i watch-clean -q 1 -C 1 -W 3 -t will/clean
pub "${v5[@]}" -i clean-willer --will-topic will/clean --will-payload 'must not arrive' \
    -t will/unrelated -m x -q 1
wait_pid "$sub_pid"
check "a normal DISCONNECT discards the Will" "" "$(cat "$tmp/will-clean.out")"
check "no will_published for it" 0 \
    "$(count_events '"event":"will_published".*"topic":"will/clean"')"

# DISCONNECT 0x04 (Disconnect with Will Message) publishes it: mosquitto_sub -V mqttv5 ends
# its -W wait with that reason.
sub_bg "$tmp/will-04.out" "${v5[@]}" -i watch-04 -q 1 -C 1 -W 10 -t will/04
timeout 10 mosquitto_sub "${tls[@]}" "${dev[@]}" "${v5[@]}" -i willer-04 -W 1 \
    --will-topic will/04 --will-payload 'sent by 0x04' -t will/unrelated >/dev/null 2>&1
wait_pid "$sub_pid"
check "DISCONNECT 0x04 publishes the Will" "sent by 0x04" "$(cat "$tmp/will-04.out")"
expect_event "the client's DISCONNECT carried 0x04" \
    '"event":"mqtt_disconnect".*"direction":"client","reason_code":4'

# Retained messages (docs/aws-iot/mqtt.md#retained-messages): stored, sent to a later
# subscriber whose filter equals the topic (RETAIN set), not to a wildcard filter; a 0-byte one
# deletes it.
pub "${v5[@]}" -i ret-pub -t ret/topic -m 'kept' -q 1 -r
check "a retained PUBLISH is acknowledged" 0 $?
timeout 10 mosquitto_sub "${tls[@]}" "${dev[@]}" "${v5[@]}" -i ret-sub -q 1 -t ret/topic -C 1 \
    -W 5 -F '%t|%p|%r' >"$tmp/ret.out" 2>&1
check "a later MQTT 5 subscriber gets the retained message, RETAIN set" "ret/topic|kept|1" \
    "$(cat "$tmp/ret.out")"
timeout 10 mosquitto_sub "${tls[@]}" "${dev[@]}" -i ret-sub3 -q 1 -t ret/topic -C 1 -W 5 \
    -F '%t|%p|%r' >"$tmp/ret3.out" 2>&1
check "a later 3.1.1 subscriber gets it too" "ret/topic|kept|1" "$(cat "$tmp/ret3.out")"
timeout 10 mosquitto_sub "${tls[@]}" "${dev[@]}" "${v5[@]}" -i ret-wild -q 1 -t 'ret/#' -C 1 \
    -W 2 >"$tmp/ret-wild.out" 2>/dev/null
check "a wildcard filter does not get the stored message (AWS)" "" "$(cat "$tmp/ret-wild.out")"
pub "${v5[@]}" -i ret-del -t ret/topic -n -q 1 -r
timeout 10 mosquitto_sub "${tls[@]}" "${dev[@]}" "${v5[@]}" -i ret-gone -q 1 -t ret/topic -C 1 \
    -W 2 >"$tmp/ret-gone.out" 2>/dev/null
check "a 0-byte retained PUBLISH deleted it" "" "$(cat "$tmp/ret-gone.out")"

stop_broker
expect_event "event broker_stopped" '"event":"broker_stopped"'
if ((failures > 0)); then
    echo "# events:"
    cat "$events"
fi
finish
