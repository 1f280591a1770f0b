#!/usr/bin/env bash
# device_kill_test: a `tlsqual device` killed with SIGKILL in the middle of a session leaves no
# broker behind (issue 14): device mode starts its brokers through harness/proc/broker_proc,
# which passes --parent-pid, and a broker whose parent is gone stops by itself.
# Env: TQ_BUILD_DIR; TQ_BROKER_TEST_PKI (optional, a PKI to reuse).
set -u -o pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init device-kill
make_pki

port="$(free_port)"
"$bin" device --pki "$pki" --listen "127.0.0.1:$port" --out "$tmp/out" --idle-timeout 60 \
    >"$tmp/device.log" 2>&1 &
device_pid=$!
track_pid "$device_pid"

# The first case's broker is up once the device session says where to connect.
# Its brokers are the `tlsqual broker` processes writing events under this run's folder.
brokers() { pgrep -f -- "tlsqual broker .*--events $tmp/out/" || true; }
for _ in $(seq 1 100); do
    [[ -n "$(brokers)" ]] && break
    sleep 0.1
done
live="$(brokers)"
if [[ -n "$live" ]]; then pass "the device session started its broker (pid $live)"; else
    fail "no broker of the device session within 10 s" "$(tail -3 "$tmp/device.log")"; fi

kill -KILL "$device_pid"
wait "$device_pid" 2>/dev/null
untrack_pid "$device_pid"

left=""
for _ in $(seq 1 50); do    # a broker checks its parent about once a second
    left="$(brokers)"
    [[ -z "$left" ]] && break
    sleep 0.1
done
if [[ -z "$left" ]]; then pass "no broker is left after kill -9 of tlsqual device"; else
    fail "brokers still running after kill -9 of tlsqual device" "$left"
    for p in $left; do kill -TERM "$p" 2>/dev/null; done   # ours: started by our device
fi
finish
