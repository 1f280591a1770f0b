#!/usr/bin/env bash
# broker_close_test.sh: what the broker sends before it closes a connection arrives (issue 13,
# "the broker loses its own alert"). Loopback only; every command and loop is bounded.
#
# 1. Refusals: TQ_CLOSE_REFUSALS (default 50) connections with the INACTIVE device certificate
#    through the OpenSSL backend, under TLS 1.3 and again under TLS 1.2, each with an MQTT
#    exchange (the backend sends CONNECT as soon as its handshake is done). The broker refuses
#    each in the handshake with certificate_unknown. Every one must end with outcome
#    alert_received:certificate_unknown. A reset (reported as closed_by_peer) means the broker
#    closed its socket with the client's bytes unread: the kernel answered with a RST, and the
#    client, writing CONNECT after the RST arrived, failed before it read the alert. Under TLS
#    1.3 the client certificate is refused after the client's Finished, while the client is
#    already sending CONNECT: that is where the race is. Broker and backend share one CPU
#    (taskset, when there is one), which makes the losing order the usual one.
# 2. The drain is bounded (docs/broker.md, "Closing a connection"): clients that never close
#    (silent, trickling one byte every 100 ms, flooding) must not keep their broker descriptors
#    past the bound (1 s, 64 KiB) plus slack, and a silent one must see the broker's FIN (end of
#    stream), not a reset.
# 3. The broker logged one connection_closed with alert_sent certificate_unknown per refusal and
#    wrote nothing to stderr.
#
# Env: TQ_BUILD_DIR (required); TQ_BROKER_TEST_PKI (optional: an existing PKI to reuse);
# TQ_CLOSE_REFUSALS (optional: refusals per TLS version, default 50); TQ_CLOSE_KEEP or
# TQ_E2E_KEEP (optional: keep the temporary folder, with the results and the broker's events,
# for debugging).
set -u -o pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init broker-close
TQ_E2E_KEEP="${TQ_CLOSE_KEEP:-${TQ_E2E_KEEP:-}}"
backend="$TQ_BUILD_DIR/backends/tlsqual-backend-openssl"
num="${TQ_CLOSE_REFUSALS:-50}"

[[ -x "$backend" ]] || die "$backend is not built"
make_pki
host="$(manifest_endpoint ats)"

# Broker and client share one CPU (taskset), so that the broker, woken by the client's last
# handshake flight, usually runs before the client writes CONNECT: the order that lost the alert.
pin=()
if command -v taskset >/dev/null && taskset -c 0 true 2>/dev/null; then pin=(taskset -c 0); fi

broker_prefix=("${pin[@]}")
broker_ready_seconds=30 start_broker close
echo "# $num refusals per TLS version"

# ---------------------------------------------------------------- 1. refusals
# case_lines VERSION: $num case lines for the INACTIVE certificate, TLS pinned to VERSION.
case_lines() {
    "$PY" - "$1" "$num" "$port" "$host" "$pki" <<'EOF'
import json, sys
version, num, port, host, pki = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), *sys.argv[4:]
for i in range(num):
    print(json.dumps({
        "id": f"inactive-tls{version}-{i}", "host": "127.0.0.1", "port": port,
        "server_name": host,
        "trust": [f"{pki}/ats-root-ca-{n}.pem" for n in (1, 2, 3, 4)],
        "cert": f"{pki}/device-inactive.pem", "key": f"{pki}/device-inactive.key",
        "versions": {"min": version, "max": version}, "timeout_ms": 8000,
        "mqtt": {"client_id": f"close-test-{version}-{i}"}}))
EOF
}

for version in 1.3 1.2; do
    case_lines "$version" >"$tmp/cases-$version"
    rc=0
    timeout 300 "${pin[@]}" "$backend" --run <"$tmp/cases-$version" >"$tmp/results-$version" \
        2>"$tmp/backend-$version.err" || rc=$?
    check "TLS $version: the backend ran every case (exit status)" 0 "$rc"
    # One line per distinct outcome, "count outcome", most frequent first.
    "$PY" - "$tmp/results-$version" <<'EOF' >"$tmp/tally-$version"
import collections, json, sys
tally = collections.Counter(json.loads(line)["outcome"] for line in open(sys.argv[1]))
for outcome, count in tally.most_common():
    print(count, outcome)
EOF
    echo "# TLS $version outcomes:"
    sed 's/^/#   /' "$tmp/tally-$version"
    got="$(awk '$2 == "alert_received:certificate_unknown" {print $1}' "$tmp/tally-$version")"
    check "TLS $version: the client received certificate_unknown in every refusal" \
        "$num" "${got:-0}"
done

# ---------------------------------------------------------------- 2. the drain is bounded
# Three kinds of client that never close, 10 of each, each starting with bytes that are no TLS
# record (the broker fails the handshake and closes). The script holds every socket open for
# 4 s and watches the broker's descriptors: all must be back to the count before the clients
# within 2.5 s (bound 1 s, plus slack for a loaded machine). A silent client must read the end
# of the stream (FIN), not a reset.
"$PY" - "$broker_pid" "$port" <<'EOF' >"$tmp/drain.out" 2>&1
import os, socket, sys, threading, time
pid, port = int(sys.argv[1]), int(sys.argv[2])
def num_fds():
    return len(os.listdir(f"/proc/{pid}/fd"))
time.sleep(1.2)   # the refusals' sockets are closed by now, even if drained to the bound
base = num_fds()
hold_s, want_s = 4.0, 2.5
results = {"silent": [], "trickle": [], "flood": []}
def client(kind):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"\x00" * 64)   # no TLS record: the handshake fails at once
    end = time.monotonic() + hold_s
    got = "open"
    try:
        while time.monotonic() < end:
            if kind == "silent":
                s.settimeout(max(0.01, end - time.monotonic()))
                data = s.recv(4096)
                if data == b"":
                    got = "eof"
                    break
            elif kind == "trickle":
                s.send(b"\x00")
                time.sleep(0.1)
            else:
                s.send(b"\x00" * 16384)
    except socket.timeout:
        got = "timeout"
    except OSError as e:
        got = type(e).__name__
    results[kind].append(got)
    time.sleep(max(0.0, end - time.monotonic()))   # hold the socket open until the end
    s.close()
threads = [threading.Thread(target=client, args=(k,)) for k in results for _ in range(10)]
start = time.monotonic()
for t in threads:
    t.start()
peak, last_above = base, None   # last_above: when the broker last held more than before
while time.monotonic() - start < hold_s - 0.2:
    n = num_fds()
    peak = max(peak, n)
    if n > base:
        last_above = time.monotonic() - start
    time.sleep(0.05)
back = num_fds() <= base
for t in threads:
    t.join(10)
print("fds_peak_over_base", peak - base)
print("fds_last_above_base_s", "never" if last_above is None else f"{last_above:.2f}")
print("fds_back_in_time", back and (last_above is None or last_above <= want_s))
for kind in results:   # what each kind of client saw: eof, timeout, open, or the error
    print(kind, " ".join(sorted(set(results[kind]))))
print("clients_done", sum(len(v) for v in results.values()))
EOF
sed 's/^/#   /' "$tmp/drain.out"
check "clients that never close: every one ran" "clients_done 30" \
    "$(grep '^clients_done' "$tmp/drain.out")"
check "clients that never close hold no broker descriptor past the bound" "fds_back_in_time True" \
    "$(grep '^fds_back_in_time' "$tmp/drain.out")"
check "a silent client reads the broker's FIN, not a reset" "silent eof" \
    "$(grep '^silent' "$tmp/drain.out")"

# ---------------------------------------------------------------- 3. the broker's side
stop_broker
refused='"event":"connection_closed".*"reason":"certificate_refused"'
got="$(grep -c "$refused.*\"alert_sent\":\"certificate_unknown\"" "$events")"
check "broker logged a refusal with alert_sent certificate_unknown per connection" \
    "$((2 * num))" "$got"
finish
