# tests/e2e/lib.sh: the helpers the end-to-end scripts share (tests/README.md). Sourced, never
# run: `source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"`, then `e2e_init NAME`.
#
# Conventions:
# - Every check prints one line, "ok   - NAME" or "FAIL - NAME: why" (or "skip - NAME: why"
#   when it does not apply), and is counted. A script ends with `finish`, which prints the
#   closing line "N passed, N failed" alone on a line (how CI and a reader count checks) and
#   exits 1 when a check failed or none passed.
# - `die MSG` is a failed check after which the script cannot go on (no PKI, no broker): it
#   prints the closing line and exits 1. A script that stops anywhere else (`set -e`) still
#   prints the closing line, counting that stop as a failure (the EXIT trap).
# - Only processes this script started are ever signalled, by their pid: `track_pid` registers
#   one, `stop_pid` ends one, and the EXIT trap ends every one still registered. A pid is a
#   process group only when the script turned on job control (`set -m`), where each background
#   job leads a group of its own.
# - Every wait is bounded: event polling, the broker's ready line, a process's exit.
# - Safe under `set -e`: a helper returns non-zero only when it is a predicate (has_event,
#   wait_event, ...).
#
# Variables set here: bin (the tlsqual executable), tmp (this run's folder, removed at exit
# unless TQ_E2E_KEEP is set), PY, passes, failures, skips; pki (make_pki); broker_pid,
# broker_label, broker_err, events, addr, port (start_broker).

PY=/usr/bin/python3
passes=0
failures=0
skips=0
tq_pids=()

# e2e_init NAME: checks TQ_BUILD_DIR, makes the run folder /tmp/tq-NAME.XXXXXX and the EXIT trap.
e2e_init() {
    : "${TQ_BUILD_DIR:?set TQ_BUILD_DIR to the build directory}"
    bin="$TQ_BUILD_DIR/tlsqual"
    tmp="$(mktemp -d "/tmp/tq-$1.XXXXXX")"
    events="$tmp/events.jsonl"
    tq_main_pid=$BASHPID
    trap e2e_cleanup EXIT
}

# e2e_cleanup (the EXIT trap): a script that ends without `finish` (an error under `set -e`, an
# `exit` of its own) still gets its closing line, with one more failure, and exit status 1. Then
# it stops every registered process and removes the run folder. Only in the script's own shell:
# bash also runs the trap in a background child that a signal ends before it has exec'd its
# command (stop_pid right after `&`), and that child must not clean up.
e2e_cleanup() {
    local rc=$? p
    [[ $BASHPID == "$tq_main_pid" ]] || return "$rc"
    if [[ -z "${tq_finished:-}" ]]; then
        tq_finished=1
        fail "the script ended before its last check (exit status $rc)"
        echo "$passes passed, $failures failed"
        rc=1
    fi
    for p in "${tq_pids[@]}"; do
        stop_pid "$p"
    done
    if [[ -n "${TQ_E2E_KEEP:-}" ]]; then
        echo "# kept $tmp"
    else
        rm -rf "$tmp"
    fi
    exit "$rc"
}

# ---------------------------------------------------------------- checks and the closing line
pass() {   # pass [NAME]: a check that held (counted quietly without a NAME)
    passes=$((passes + 1))
    if [[ -n "${1:-}" ]]; then echo "ok   - $1"; fi
}

fail() {   # fail NAME [WHY]: a check that did not hold; the script goes on
    failures=$((failures + 1))
    echo "FAIL - $1${2:+: $2}"
}

skip() {   # skip NAME [WHY]: a check that does not apply here (a backend lacks a capability)
    skips=$((skips + 1))
    echo "skip - $1${2:+: $2}"
}

check() {   # check NAME WANT GOT
    if [[ "$2" == "$3" ]]; then pass "$1"; else fail "$1" "want $2, got $3"; fi
}

check_nonzero() {   # check_nonzero NAME RC: the command was meant to fail
    if [[ "$2" -ne 0 ]]; then pass "$1 (rc $2)"; else fail "$1" "want a non-zero exit, got 0"; fi
}

check_ok() {   # check_ok NAME RC [DETAIL]: the command (or condition) was meant to succeed
    if [[ "$2" -eq 0 ]]; then pass "$1"; else fail "$1" "${3:-exit status $2}"; fi
}

check_empty() {   # check_empty NAME FILE: FILE is empty or absent (stderr that must stay quiet)
    if [[ ! -s "$2" ]]; then pass "$1"; else
        fail "$1" "it holds:"
        head -c 2000 "$2"
        echo
    fi
}

# finish: the closing line, and the exit status (1 when a check failed or none passed: a script
# that checked nothing is no pass).
finish() {
    tq_finished=1
    if ((skips > 0)); then echo "# $skips skipped"; fi
    echo "$passes passed, $failures failed"
    if ((failures > 0 || passes == 0)); then exit 1; fi
    exit 0
}

die() {   # die MSG: a failed check the script cannot go on after
    fail "$1"
    finish
}

# ---------------------------------------------------------------- processes
track_pid() {   # track_pid PID: stop PID when the script exits
    tq_pids+=("$1")
}

untrack_pid() {   # untrack_pid PID: PID was reaped; its number may now belong to another process
    local p kept=()
    for p in "${tq_pids[@]}"; do
        [[ "$p" == "$1" ]] || kept+=("$p")
    done
    tq_pids=("${kept[@]}")
}

# stop_pid PID: SIGTERM the process (its group, under `set -m`) if it still runs, wait for it at
# most 10 s, SIGKILL it after that, reap it and untrack it. Returns 0; sets stop_rc to its exit
# status, or "timeout" when SIGKILL was needed.
stop_pid() {
    stop_rc=""
    [[ -n "$1" ]] || return 0
    if kill -0 "$1" 2>/dev/null; then
        if [[ $- == *m* ]]; then
            kill -TERM -- "-$1" 2>/dev/null || kill -TERM "$1" 2>/dev/null
        else
            kill -TERM "$1" 2>/dev/null
        fi
        if ! wait_gone "$1" 10; then
            kill -KILL "$1" 2>/dev/null
            stop_rc=timeout
        fi
    fi
    wait_pid "$1"
    [[ "$stop_rc" == timeout ]] || stop_rc=$wait_rc
    return 0
}

# wait_pid PID: waits for PID (a child of this script) to end, reaps and untracks it; sets
# wait_rc to its exit status. Unbounded: for a process that ends by itself under a `timeout`.
wait_pid() {
    wait_rc=0
    wait "$1" 2>/dev/null || wait_rc=$?
    untrack_pid "$1"
    return 0
}

wait_gone() {   # wait_gone PID SECONDS: true once PID has ended, false after SECONDS
    local deadline=$((SECONDS + $2))
    while kill -0 "$1" 2>/dev/null; do
        ((SECONDS < deadline)) || return 1
        sleep 0.05
    done
    return 0
}

free_port() {   # free_port: prints a TCP port that was free on 127.0.0.1 a moment ago
    "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ---------------------------------------------------------------- the broker's events
# The broker writes one event per line to $events (docs/broker-events.md). It writes a loop
# iteration's events after the packets it sends in it, so a client may exit before its events
# are on disk: a check right after a client ends uses wait_event.

has_event() {   # has_event PATTERN: some line of $events matches the extended regex, now
    grep -Eq -- "$1" "$events" 2>/dev/null
}

count_events() {   # count_events PATTERN: prints how many lines of $events match
    grep -Ec -- "$1" "$events" 2>/dev/null || true
}

wait_event() {   # wait_event PATTERN [SECONDS]: has_event, polled for at most SECONDS (3)
    local deadline=$((SECONDS + ${2:-3}))
    until has_event "$1"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.05
    done
    return 0
}

# expect_event NAME PATTERN [SECONDS]: a check that a line of $events matches, now or within
# SECONDS (3: see above).
expect_event() {
    if wait_event "$2" "${3:-3}"; then pass "$1"; else fail "$1" "no event matches $2"; fi
}

# ---------------------------------------------------------------- the PKI and the broker
# make_pki: sets pki to a mock PKI made by `tlsqual certs` in the run folder, or to
# TQ_BROKER_TEST_PKI when that names an existing one (debugging: saves the generation).
make_pki() {
    pki="${TQ_BROKER_TEST_PKI:-}"
    [[ -z "$pki" ]] || return 0
    pki="$tmp/pki"
    timeout 300 "$bin" certs --out "$pki" --quiet >"$tmp/certs.log" 2>&1 && return 0
    cat "$tmp/certs.log"
    die "tlsqual certs did not produce a PKI"
}

manifest_endpoint() {   # manifest_endpoint TYPE: the endpoint host name (ats, legacy) of $pki
    "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["endpoints"][sys.argv[2]])' \
        "$pki/manifest.json" "$1"
}

# wait_ready FIFO SECONDS: reads the address a process announces on FIFO (its --ready-fd) into
# addr, waiting at most SECONDS; false when nothing came.
wait_ready() {
    addr=""
    read -r -t "$2" addr <"$1" || true
    [[ -n "$addr" ]]
}

# start_broker LABEL [OPTIONS...]: starts `tlsqual broker` on a free loopback port with the PKI,
# events in $tmp/LABEL.jsonl (the variable events) and stderr appended to $tmp/LABEL.err
# (broker_err); OPTIONS come last, so they may override --listen. The command is prefixed with
# the words of the array broker_prefix when the script sets it (taskset, prlimit). Waits at most
# broker_ready_seconds (20) for the ready line; sets broker_pid, broker_label, addr and port.
# A broker that does not start ends the script.
broker_prefix=()
start_broker() {
    broker_label="$1"
    shift
    events="$tmp/$broker_label.jsonl"
    broker_err="$tmp/$broker_label.err"
    rm -f "$tmp/ready"
    mkfifo "$tmp/ready"
    "${broker_prefix[@]}" "$bin" broker --pki "$pki" --listen 127.0.0.1:0 --events "$events" \
        --ready-fd 3 "$@" 3>"$tmp/ready" 2>>"$broker_err" &
    broker_pid=$!
    track_pid "$broker_pid"
    if ! wait_ready "$tmp/ready" "${broker_ready_seconds:-20}"; then
        cat "$broker_err"
        die "broker $broker_label did not announce its address"
    fi
    port="${addr##*:}"
    echo "# broker $broker_label${*:+ ($*)}: pid $broker_pid on $addr"
}

# stop_broker: SIGTERM the broker of start_broker; checks that it exits 0 and that it wrote
# nothing to stderr.
stop_broker() {
    stop_pid "$broker_pid"
    broker_pid=""
    check "broker $broker_label exits 0 on SIGTERM" 0 "$stop_rc"
    check_empty "broker $broker_label wrote nothing to stderr" "$broker_err"
}
