#!/usr/bin/env bash
# End to end: `tlsqual run` generates the PKI, starts the broker, runs every shipped scenario
# through every backend, exits 0, and writes a JUnit report that validates against the Jenkins
# xUnit schema and holds one case per scenario and backend. A broken scenario is exit 2 with
# file:line. Needs TQ_BUILD_DIR, TQ_SOURCE_DIR (set by ctest).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init run
tlsqual="$bin"

echo "== tlsqual run (every backend)"
set +e
timeout 600 "$tlsqual" run --scenarios "$TQ_SOURCE_DIR/scenarios" --out "$tmp/results" \
    >"$tmp/run.out" 2>"$tmp/run.err"
rc=$?
set -e
cat "$tmp/run.out"
[ "$rc" -eq 0 ] || { cat "$tmp/run.err" >&2; die "tlsqual run exited $rc, want 0"; }
pass "tlsqual run over every backend exits 0"

junit="$tmp/results/junit.xml"
[ -s "$junit" ] || die "no $junit"
xsd="$TQ_SOURCE_DIR/tests/data/junit/junit-10.xsd"
if [ -f "$xsd" ]; then
    xmllint --noout --schema "$xsd" "$junit" || die "junit.xml does not validate"
    pass "junit.xml validates against junit-10.xsd"
else
    echo "note: $xsd not found; schema validation not run" >&2
fi

num_scenarios=$("$tlsqual" lint --scenarios "$TQ_SOURCE_DIR/scenarios" |
    sed -n 's/^tlsqual lint: \([0-9]*\) scenario.*/\1/p')
[ -d "$tmp/results/latest" ] || die "no results/latest"
[ -s "$tmp/results/latest/results.json" ] || die "no results.json in the run folder"
pass "the run folder results/latest holds results.json"
"$PY" - "$junit" "$num_scenarios" <<'PY' || die "junit.xml: want one passed case per scenario"
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
pass "junit.xml: one case per scenario and backend, none failed, every skip has a reason"

echo "== the documented example backend (docs/examples) passes through exec:"
timeout 300 "$tlsqual" run --scenarios "$TQ_SOURCE_DIR/scenarios" --out "$tmp/example" \
    --filter client-certificate/ \
    --backend "exec:$TQ_SOURCE_DIR/docs/examples/python_backend.py" | tail -1
grep -q 'testsuite name="python-example"' "$tmp/example/junit.xml" || die "no python-example suite"
pass "the example backend runs through exec: (suite python-example)"

echo "== a broken scenario is exit 2 with file and line"
mkdir -p "$tmp/bad/smoke"
printf 'name: broken\nspec: s\nexpect:\n  outcome: [ok, nonsense]\n' >"$tmp/bad/smoke/broken.yaml"
set +e
"$tlsqual" run --scenarios "$tmp/bad" --out "$tmp/bad-results" >"$tmp/bad.out" 2>"$tmp/bad.err"
rc=$?
set -e
check "a broken scenario: tlsqual run exits 2" 2 "$rc"
grep -q "broken.yaml:4: 'outcome' must be an outcome" "$tmp/bad.err" ||
    { cat "$tmp/bad.err" >&2; die "broken scenario: no file:line message"; }
pass "a broken scenario: the error names file and line"
head -1 "$tmp/bad.err"

echo "== lint names file and line for a spec that cites no real heading"
printf 'name: cites nothing\nspec: "docs/aws-iot/tls.md#no-such-heading"\nexpect: {outcome: ok}\n' \
    >"$tmp/bad/smoke/broken.yaml"
set +e
"$tlsqual" lint --scenarios "$tmp/bad" --docs "$TQ_SOURCE_DIR/docs/aws-iot" 2>"$tmp/lint.err"
rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "broken.yaml:2: spec .*no line '### no-such-heading'" "$tmp/lint.err" ||
    { cat "$tmp/lint.err" >&2; die "lint: no file:line error for a bad spec"; }
pass "lint: a spec citing no real heading is exit 2 with file and line"

echo "== lint passes on the shipped catalog"
"$tlsqual" lint --scenarios "$TQ_SOURCE_DIR/scenarios" || die "lint fails on the shipped catalog"
pass "lint passes on the shipped catalog"
finish
