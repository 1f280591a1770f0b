#!/usr/bin/env bash
# Two shards merged give the same report as one run (issue 6), and a JUnit consumer
# (python3-junitparser) counts what the console summary says. It runs one group on every
# backend: the property holds for any slice, and the whole matrix is run_test.sh's job.
set -euo pipefail
tlsqual="$TQ_BUILD_DIR/tlsqual"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
run() { timeout 600 "$tlsqual" run --scenarios "$TQ_SOURCE_DIR/scenarios" --pki "$tmp/pki" \
    --filter client-certificate/ "$@"; }

run --out "$tmp/full" >"$tmp/full.out" || fail "full run failed: $(tail -3 "$tmp/full.out")"
run --out "$tmp/shards" --shard 1/2 >/dev/null || fail "shard 1/2 failed"
run --out "$tmp/shards" --shard 2/2 >/dev/null || fail "shard 2/2 failed"
shards=("$tmp"/shards/*-shard1of2 "$tmp"/shards/*-shard2of2)
"$tlsqual" merge --out "$tmp/merged" "${shards[@]}" >/dev/null || fail "merge failed"
if "$tlsqual" merge --out "$tmp/twice" "${shards[0]}" "${shards[0]}" 2>"$tmp/twice.err"; then
    fail "merging a shard twice must fail"
fi
grep -q "is in two shards" "$tmp/twice.err" || fail "no message for a duplicated shard"

/usr/bin/python3 - "$tmp/full/latest" "$tmp/merged" "$tmp/full.out" <<'PY'
import json, re, sys
from junitparser import JUnitXml, Failure, Error, Skipped
full, merged, console = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
key = lambda d: [(c["backend"], c["group"], c["name"], c["verdict"], c["message"])
                 for c in json.load(open(d + "/results.json"))["cases"]]
a, b = key(full), key(merged)
assert a == b, f"merged report differs from the full run ({len(a)} vs {len(b)} cases)"
m = re.search(r"^summary: (\d+) passed, (\d+) failed, (\d+) skipped$", console, re.M)
passed, failed, skipped = map(int, m.groups())
counts = {"passed": 0, "failed": 0, "skipped": 0}
for suite in JUnitXml.fromfile(full + "/junit.xml"):
    for case in suite:
        kinds = {type(r) for r in case.result}
        counts["failed" if kinds & {Failure, Error} else "skipped" if Skipped in kinds else "passed"] += 1
assert counts == {"passed": passed, "failed": failed, "skipped": skipped}, (counts, m.groups())
print(f"shard merge ok: {len(a)} cases; junitparser counts {counts} equal the console summary")
PY
