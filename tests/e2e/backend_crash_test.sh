#!/usr/bin/env bash
# backend_crash_test.sh: a backend that dies mid-run is one errored case, and nothing else.
#
# `tlsqual run` gets two backends over the shipped scenarios: the real OpenSSL backend, and
# `exec:` a wrapper that answers --capabilities by delegating to the OpenSSL backend (renamed
# "crashy", so the two suites are told apart) and, in --run, starts the real backend on the
# case and kills it and then itself with SIGKILL after about 50 ms. Checks in junit.xml: every
# crashy case is an <error> whose message starts with "backend_crashed", and every openssl case
# still passes (the crash does not leak into the next case or backend); the run exits 1.
#
# Env: TQ_BUILD_DIR, TQ_SOURCE_DIR (set by ctest).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init crash-e2e
: "${TQ_SOURCE_DIR:?set TQ_SOURCE_DIR to the source directory}"

real="$TQ_BUILD_DIR/backends/tlsqual-backend-openssl"
[ -x "$real" ] || die "no $real"
wrapper="$tmp/crashy-backend"
# The wrapper gets the real backend's path as a literal (quoted with printf %q), so it needs no
# environment and evaluates nothing.
{
    echo '#!/usr/bin/env bash'
    echo 'set -uo pipefail'
    printf 'real=%q\n' "$real"
    printf 'py=%q\n' "$PY"
    cat <<'WRAPPER'
rename='import json, sys; c = json.load(sys.stdin); c["name"] = "crashy"; print(json.dumps(c))'
case "${1:-}" in
--capabilities)
    "$real" --capabilities | "$py" -c "$rename"
    exit "${PIPESTATUS[0]}"
    ;;
--run)
    cmd=("$real" --run)
    "${cmd[@]}" <&0 &
    child=$!
    sleep 0.05
    kill -9 "$child" 2>/dev/null
    kill -9 $$
    ;;
*)
    exec "$real" "$@"
    ;;
esac
WRAPPER
} >"$wrapper"
chmod +x "$wrapper"

"$wrapper" --capabilities | "$PY" -c 'import json,sys; assert json.load(sys.stdin)["name"] == "crashy"' ||
    die "wrapper --capabilities"
pass "the crashing wrapper answers --capabilities as crashy"

# 1. One process per case (--isolate): every case of the crashing backend is an error.
set +e
timeout 300 "$TQ_BUILD_DIR/tlsqual" run --scenarios "$TQ_SOURCE_DIR/scenarios" --isolate \
    --filter devices/ --filter versions/ --backend "exec:$wrapper" --backend openssl \
    --out "$tmp/out" >"$tmp/run.out" 2>"$tmp/run.err"
rc=$?
set -e
tail -3 "$tmp/run.out"
[ "$rc" -eq 1 ] || { tail -20 "$tmp/run.err" >&2; die "tlsqual run exited $rc, want 1"; }
[ -s "$tmp/out/junit.xml" ] || die "no junit.xml"
pass "--isolate: tlsqual run exits 1 and writes junit.xml"

"$PY" - "$tmp/out/junit.xml" <<'PY' || die "--isolate: junit.xml is not as wanted"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = {s.get("name"): s for s in root.findall("testsuite")}
assert set(suites) == {"crashy", "openssl"}, f"suites: {sorted(suites)}"
crashy = suites["crashy"].findall("testcase")
ossl = suites["openssl"].findall("testcase")
want = len(ossl)   # one case per scenario (after expansion) and backend
assert want > 0 and len(crashy) == want, f"crashy: want {want} cases, got {len(crashy)}"
for c in crashy:
    err = c.find("error")
    assert err is not None, f"crashy {c.get('name')}: not an <error>"
    msg = err.get("message") or ""
    assert msg.startswith("backend_crashed"), f"crashy {c.get('name')}: message {msg!r}"
for c in ossl:
    assert c.find("failure") is None and c.find("error") is None, f"openssl {c.get('name')} failed"
print(f"junit ok: {want} crashy case(s) errored with backend_crashed, {want} openssl case(s) passed")
PY
pass "--isolate: every crashy case is a backend_crashed error, every openssl case passes"

# 2. Sessions (the default: one process serves cases in turn): the crash fails the case that
#    was running, a new process serves the next ones, nothing is lost, the healthy backend is
#    untouched.
set +e
timeout 300 "$TQ_BUILD_DIR/tlsqual" run --scenarios "$TQ_SOURCE_DIR/scenarios" --jobs 1 \
    --filter devices/ --filter versions/ --backend "exec:$wrapper" --backend openssl \
    --out "$tmp/out2" >"$tmp/run2.out" 2>"$tmp/run2.err"
rc=$?
set -e
[ "$rc" -eq 1 ] || { tail -20 "$tmp/run2.err" >&2; die "session run exited $rc, want 1"; }
pass "sessions: tlsqual run exits 1"
"$PY" - "$tmp/out2/junit.xml" <<'PY' || die "sessions: junit.xml is not as wanted"
import sys, xml.etree.ElementTree as ET
suites = {s.get("name"): s for s in ET.parse(sys.argv[1]).getroot().findall("testsuite")}
crashy, ossl = suites["crashy"].findall("testcase"), suites["openssl"].findall("testcase")
assert len(crashy) == len(ossl) > 0, "a case of the crashing backend is missing"
crashed = [c for c in crashy if (c.find("error") is not None and
           (c.find("error").get("message") or "").startswith("backend_crashed"))]
assert crashed, "no case reported backend_crashed"
for c in ossl:
    assert c.find("failure") is None and c.find("error") is None, f"openssl {c.get('name')} failed"
print(f"sessions ok: {len(crashy)} crashy cases recorded ({len(crashed)} backend_crashed), "
      f"{len(ossl)} openssl cases passed")
PY
pass "sessions: the crash fails one case, nothing is lost, openssl is untouched"
finish
