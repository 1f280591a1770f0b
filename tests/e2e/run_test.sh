#!/usr/bin/env bash
# End to end: `tlsqual run` generates the PKI, starts the broker, runs every shipped scenario
# through every backend, exits 0, and writes a JUnit report that validates against the Jenkins
# xUnit schema and holds one case per scenario and backend. A broken scenario is exit 2 with
# file:line. Needs TQ_BUILD_DIR, TQ_SOURCE_DIR, TQ_SHARED_DIR (set by ctest).
set -euo pipefail
tlsqual="$TQ_BUILD_DIR/tlsqual"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== tlsqual run (every backend)"
set +e
timeout 600 "$tlsqual" run --scenarios "$TQ_SOURCE_DIR/scenarios" --out "$tmp/results" \
    >"$tmp/run.out" 2>"$tmp/run.err"
rc=$?
set -e
cat "$tmp/run.out"
[ "$rc" -eq 0 ] || { cat "$tmp/run.err" >&2; fail "tlsqual run exited $rc, want 0"; }

junit="$tmp/results/junit.xml"
[ -s "$junit" ] || fail "no $junit"
xsd="$TQ_SHARED_DIR/junit/junit-10.xsd"
if [ -f "$xsd" ]; then
    xmllint --noout --schema "$xsd" "$junit" || fail "junit.xml does not validate"
else
    echo "note: $xsd not found; schema validation not run" >&2
fi

num_scenarios=$("$tlsqual" lint --scenarios "$TQ_SOURCE_DIR/scenarios" |
    sed -n 's/^tlsqual lint: \([0-9]*\) scenario.*/\1/p')
[ -d "$tmp/results/latest" ] || fail "no results/latest"
[ -s "$tmp/results/latest/results.json" ] || fail "no results.json in the run folder"
/usr/bin/python3 - "$junit" "$num_scenarios" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
want = int(sys.argv[2])
suites = {s.get("name"): s for s in root.findall("testsuite")}
assert "openssl" in suites, "no openssl testsuite"
for name, s in suites.items():
    cases = s.findall("testcase")
    assert len(cases) == want, f"{name}: want {want} cases, got {len(cases)}"
    for c in cases:
        assert c.find("failure") is None and c.find("error") is None, f"{name}: {c.get('name')} failed"
        sk = c.find("skipped")
        assert sk is None or sk.get("message"), f"{name}: skip without a reason"
ossl = suites["openssl"]
assert not ossl.findall("testcase/skipped"), "openssl: a case was skipped"
keys = [(c.get("classname"), c.get("name")) for s in suites.values() for c in s.findall("testcase")]
assert len(keys) == len(set(keys)), "classname+name not unique"
print(f"junit ok: {len(suites)} backend(s), {want} case(s) each")
PY

echo "== the documented example backend (docs/examples) passes through exec:"
timeout 300 "$tlsqual" run --scenarios "$TQ_SOURCE_DIR/scenarios" --out "$tmp/example" \
    --filter client-certificate/ \
    --backend "exec:$TQ_SOURCE_DIR/docs/examples/python_backend.py" | tail -1
grep -q 'testsuite name="python-example"' "$tmp/example/junit.xml" || fail "no python-example suite"

echo "== a broken scenario is exit 2 with file and line"
mkdir -p "$tmp/bad/smoke"
printf 'name: broken\nspec: s\nexpect:\n  outcome: [ok, nonsense]\n' >"$tmp/bad/smoke/broken.yaml"
set +e
"$tlsqual" run --scenarios "$tmp/bad" --out "$tmp/bad-results" >"$tmp/bad.out" 2>"$tmp/bad.err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "broken scenario: exit $rc, want 2"
grep -q "broken.yaml:4: 'outcome' must be an outcome" "$tmp/bad.err" ||
    { cat "$tmp/bad.err" >&2; fail "broken scenario: no file:line message"; }
head -1 "$tmp/bad.err"

echo "== lint names file and line for a spec that cites no real heading"
printf 'name: cites nothing\nspec: "aws-iot-facts.md#No such heading"\nexpect: {outcome: ok}\n' \
    >"$tmp/bad/smoke/broken.yaml"
if [ -f "$TQ_SHARED_DIR/aws-iot-facts.md" ]; then
    set +e
    "$tlsqual" lint --scenarios "$tmp/bad" --facts "$TQ_SHARED_DIR/aws-iot-facts.md" 2>"$tmp/lint.err"
    rc=$?
    set -e
    [ "$rc" -eq 2 ] && grep -q "broken.yaml:2: spec .*no such heading" "$tmp/lint.err" ||
        { cat "$tmp/lint.err" >&2; fail "lint: no file:line error for a bad spec"; }
fi

echo "== lint passes on the shipped catalog"
"$tlsqual" lint --scenarios "$TQ_SOURCE_DIR/scenarios"
echo "PASS"
