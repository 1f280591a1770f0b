#!/usr/bin/env bash
# fault_broker_test.sh: `tlsqual broker` under attack stays up, bounded and quiet, and keeps
# serving good clients (issue 8, fault tests). Loopback only; every command has a timeout; the
# attacks are tests/data/fault/broker_attacks.py (python3, fixed random seed).
#
# Broker A (--handshake-timeout 2): random bytes; truncated and lying ClientHellos; a client
# that stops mid-handshake and one that never sends CONNECT (both dropped after the 2 s deadline
# while a good client is served); malformed MQTT after a good handshake. After each attack a
# good client (mosquitto_pub with the device certificate, a real peer) gets CONNACK, and at the
# end broker A is alive, wrote nothing to stderr, and logged the expected close reasons.
# Broker B runs with an open-file limit of 128 (`prlimit`; it has no connection-limit option of
# its own) and gets a flood of 400 connections that send nothing: it must not crash, its memory
# must stay bounded, and a good client must get CONNACK while the flood holds its sockets.
#
# Env: TQ_BUILD_DIR (set by ctest). TQ_FAULT_PKI (or TQ_BROKER_TEST_PKI): an existing PKI to
# reuse (debugging only).
set -u -o pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$here/lib.sh"
e2e_init fault-broker
attacks="$here/../data/fault/broker_attacks.py"

TQ_BROKER_TEST_PKI="${TQ_FAULT_PKI:-${TQ_BROKER_TEST_PKI:-}}"
make_pki
endpoint="$(manifest_endpoint ats)"
cat "$pki/ats-root-ca-1.pem" "$pki/ats-root-ca-3.pem" >"$tmp/roots.pem"

# Broker A (handshake deadline 2 s).
broker_ready_seconds=30 start_broker a --handshake-timeout 2
addr_a="$addr" pid_a="$broker_pid"

# good_client LABEL: mosquitto_pub (mutual TLS, CONNECT, QoS 1 PUBLISH) exits 0 only after
# CONNACK 0 and PUBACK. --insecure skips only the host-name check (see broker_mosquitto_test).
good_client() {
    local port="${2##*:}"
    timeout 15 mosquitto_pub -h 127.0.0.1 -p "$port" --cafile "$tmp/roots.pem" --insecure \
        --cert "$pki/device-rsa-2048.pem" --key "$pki/device-rsa-2048.key" \
        -i "fault-good-$1" -t fault/after -m "$1" -q 1 >"$tmp/good.out" 2>&1
    check_ok "after $1: mosquitto_pub gets CONNACK and PUBACK" $? "$(cat "$tmp/good.out")"
}

attack() {   # attack NAME ADDR [ARGS...]
    local name="$1" addr="$2"
    shift 2
    timeout 120 "$PY" "$attacks" "$name" --addr "$addr" --pki "$pki" --server-name "$endpoint" \
        --deadline 2 --known-bugs "$@" | tee "$tmp/attack-$name.out"
    local rc=${PIPESTATUS[0]}
    check_ok "attack $name ran to its end, every check held" "$rc"
    good_client "$name" "$addr"
}

attack random "$addr_a" --count 30
attack truncated "$addr_a"
attack stall "$addr_a"
attack malformed "$addr_a"

kill -0 "$pid_a" 2>/dev/null
check_ok "broker A is alive after every attack" $?
check_empty "broker A wrote nothing to stderr" "$tmp/a.err"
for reason in handshake_failed handshake_timeout connect_timeout malformed_packet \
    unsupported_protocol_level second_connect packet_too_large client_disconnect; do
    grep -q "\"reason\":\"$reason\"" "$tmp/a.jsonl"
    check_ok "broker A logged a connection_closed with reason $reason" $?
done

# Broker B: an open-file limit of 128, then a flood of 400 silent connections. Its stderr goes
# through `head` so that a broker spinning on accept errors cannot fill the disk.
mkfifo "$tmp/b.ready"
prlimit --nofile=128:128 "$bin" broker --pki "$pki" --listen 127.0.0.1:0 \
    --events "$tmp/b.jsonl" --handshake-timeout 2 --ready-fd 3 3>"$tmp/b.ready" \
    2> >(exec head -c 100000 >"$tmp/b.err") &
pid_b=$!
track_pid "$pid_b"
wait_ready "$tmp/b.ready" 30 || die "broker B did not start"
addr_b="$addr"
echo "# broker b pid $pid_b on $addr_b (open files: 128)"
attack flood "$addr_b" --count 400 --broker-pid "$pid_b" --rss-limit-kb 65536
kill -0 "$pid_b" 2>/dev/null
check_ok "broker B is alive after the flood" $?
sleep 0.5
# When accept() fails with EMFILE the broker pauses accepting (event accept_paused) instead
# of letting libevent retry at once and warn on stderr each time (found by this test).
check_empty "broker B wrote nothing to stderr during the flood" "$tmp/b.err"

finish
