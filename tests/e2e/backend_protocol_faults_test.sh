#!/usr/bin/env bash
# backend_protocol_faults_test.sh: a result is matched to its case (issue 13, "Verdicts that
# cannot lie"; docs/backend-protocol.md#one-line-per-case).
#
# Four faulty backends (tests/e2e/backends/, see faulty_backend.py) delegate every case to the
# real OpenSSL backend and break the protocol on the cases TQ_FAULTY_CASES names: a stray debug
# line on stdout before the result (stray-line), "id": "not-the-case-id" (wrong-id), the result
# twice (answer-twice, the second 0.3 s later, so that it lands between cases or in the next
# one), the result after the case's deadline (answer-late). They run with the real OpenSSL
# backend over --filter versions/ (cases that expect a refusal and cases that expect a
# connection), with --jobs 1 and --jobs 2, with and without --isolate. In each run's
# results.json:
#   - no case is judged on another case's result: a case's `result` has the case's own id;
#   - every case whose backend broke the protocol on it (TQ_FAULTY_LOG) is an error, never a
#     pass: "protocol_error: ..." quoting the offending line, or "timeout: ..." for the late one;
#   - every other case of a faulty backend gets the verdict the real OpenSSL backend gets alone
#     (a reference run), except a case that answer-twice's late second answer landed in, which
#     is a protocol_error quoting that answer;
#   - the OpenSSL backend of the same run is untouched.
# Before issue 13 the runner never compared a result's id with its case, and did not restart a
# backend that wrote a stray line: these checks fail there.
#
# Env: TQ_BUILD_DIR, TQ_SOURCE_DIR (set by ctest); TQ_BROKER_TEST_PKI and TQ_E2E_KEEP as in
# tests/e2e/lib.sh. Loopback only; every command has a timeout.
set -u -o pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init protocol-faults
: "${TQ_SOURCE_DIR:?set TQ_SOURCE_DIR to the source directory}"
faulty="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/backends"
real="$TQ_BUILD_DIR/backends/tlsqual-backend-openssl"
[[ -x "$real" ]] || die "$real is not built"
make_pki

export TQ_FAULTY_REAL_BACKEND="$real"
# One case that expects a refusal and one that expects a connection; not neighbours in the plan.
export TQ_FAULTY_CASES='capped at TLS 1\.0 |TLS 1\.2 client connects'
export TQ_FAULTY_LATE_S=8   # past the deadline of --timeout 2000 (+ 5 s of grace)
common=(run --scenarios "$TQ_SOURCE_DIR/scenarios" --pki "$pki" --filter versions/
        --timeout 2000)

# The reference: the real backend alone.
timeout 300 "$bin" "${common[@]}" --jobs 1 --backend openssl --out "$tmp/ref" \
    >"$tmp/ref.out" 2>&1
rc=$?
[[ -s "$tmp/ref/latest/results.json" ]] || { tail "$tmp/ref.out"; die "reference run (exit $rc)"; }
check "reference run: openssl alone over versions/ exits 0" 0 "$rc"

# run_faulty NAME ARGS...: one run of the four faulty backends and the real one; then its checks.
run_faulty() {
    local name="$1"
    shift
    local out="$tmp/$name"
    mkdir -p "$out"
    export TQ_FAULTY_LOG="$out/faults.log"
    : >"$TQ_FAULTY_LOG"
    timeout 400 "$bin" "${common[@]}" "$@" --out "$out" \
        --backend "exec:$faulty/stray-line" --backend "exec:$faulty/wrong-id" \
        --backend "exec:$faulty/answer-twice" --backend "exec:$faulty/answer-late" \
        --backend openssl >"$out/run.out" 2>"$out/run.err"
    local rc=$?
    check "$name: tlsqual run $* exits 1 (some cases broke the protocol)" 1 "$rc"
    ! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' "$out/run.err"
    check_ok "$name: no sanitizer report (ASan builds)" $?
    "$PY" - "$tmp/ref/latest/results.json" "$out/latest/results.json" "$TQ_FAULTY_LOG" "$name" <<'PY'
import json, re, sys

ref_path, res_path, log_path, mode = sys.argv[1:]
ref = {c["name"]: c for c in json.load(open(ref_path))["cases"]}
cases = json.load(open(res_path))["cases"]
faults = {tuple(l.rstrip("\n").split("\t")) for l in open(log_path) if l.strip()}
# What the message of a case that broke the protocol must quote.
quote = {"stray-line": r"'debug: tls handshake starting for this case'",
         "wrong-id": r"'not-the-case-id'",
         "answer-twice": r"'\{\"id\":\s?\"[^\"]+\""}
problems, counts = [], {}

def bad(c, why):
    problems.append(f"{c['backend']} {c['name']}: {why} (verdict {c['verdict']}, "
                    f"message {c.get('message')!r})")

for c in cases:
    b, n, v, msg = c["backend"], c["name"], c["verdict"], c.get("message") or ""
    counts[b] = counts.get(b, 0) + 1
    r = c.get("result")
    if isinstance(r, dict) and r.get("id") != n:
        bad(c, f"judged on the result of case {r.get('id')!r}")
    if b == "openssl":
        if v != ref[n]["verdict"]:
            bad(c, f"the real backend's verdict changed: want {ref[n]['verdict']}")
        continue
    if (b, n) in faults:
        if v != "error":
            bad(c, "its backend broke the protocol on it, yet it is not an error")
        elif b == "answer-late":
            if not msg.startswith("timeout"):
                bad(c, "want a timeout error")
        elif not msg.startswith("protocol_error") or not re.search(quote[b], msg):
            bad(c, f"want protocol_error quoting the offending line /{quote[b]}/")
        continue
    if v == ref[n]["verdict"]:
        continue
    # answer-twice: its late second answer may be the first line read for the next case.
    landed = b == "answer-twice" and msg.startswith("protocol_error") and any(
        f'\'{{"id":"{fn}"' in msg.replace('": "', '":"') for fb, fn in faults if fb == b)
    if not landed:
        bad(c, f"a case answered correctly must get its own verdict, {ref[n]['verdict']}")

want = len(ref)
for b in ("stray-line", "wrong-id", "answer-twice", "answer-late", "openssl"):
    if counts.get(b) != want:
        problems.append(f"{b}: want {want} cases, got {counts.get(b, 0)}")
    if b != "openssl" and not any(fb == b for fb, _ in faults):
        problems.append(f"{b}: no fault was injected (nothing was tested)")
for p in problems:
    print("#  ", p)
passed = sum(1 for c in cases if c["verdict"] == "pass" and c["backend"] != "openssl")
print(f"# {mode}: {len(faults)} faulted cases, all errors; {passed} faulty-backend cases passed "
      f"on their own results" if not problems else f"# {mode}: {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
PY
    check_ok "$name: no case passes on another's result; every broken case is an error" $?
}

run_faulty sessions-jobs1 --jobs 1
run_faulty sessions-jobs2 --jobs 2
run_faulty isolate-jobs1 --jobs 1 --isolate
run_faulty isolate-jobs2 --jobs 2 --isolate
finish
