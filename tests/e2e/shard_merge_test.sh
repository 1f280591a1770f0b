#!/usr/bin/env bash
# Two shards merged give the same report as one run (issue 6), and a JUnit consumer
# (python3-junitparser) counts what the console summary says. `tlsqual merge` refuses anything
# but every shard of one run, naming what is wrong (issue 13): a missing shard, mixed shard
# counts, a shard twice, shards of other filters or run ids; --allow-partial names the missing
# shards in a report marked incomplete, never a green one. A filter that selects no case is a
# usage error that leaves OUT/latest alone. It runs one group on every backend: the property
# holds for any slice, and the whole matrix is run_test.sh's job.
set -euo pipefail
tlsqual="$TQ_BUILD_DIR/tlsqual"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
run() { timeout 600 "$tlsqual" run --scenarios "$TQ_SOURCE_DIR/scenarios" --pki "$tmp/pki" \
    --pki-create --filter client-certificate/ "$@"; }

run --out "$tmp/full" >"$tmp/full.out" || fail "full run failed: $(tail -3 "$tmp/full.out")"
run --out "$tmp/shards" --shard 1/2 >/dev/null || fail "shard 1/2 failed"
run --out "$tmp/shards" --shard 2/2 >/dev/null || fail "shard 2/2 failed"
run --out "$tmp/thirds" --shard 2/3 >/dev/null || fail "shard 2/3 failed"
run --out "$tmp/smoke" --shard 2/2 --filter smoke >/dev/null || fail "shard 2/2 of smoke failed"
shards=("$tmp"/shards/*-shard1of2 "$tmp"/shards/*-shard2of2)
"$tlsqual" merge --out "$tmp/merged" "${shards[@]}" >"$tmp/merged.out" || fail "merge failed"
tail -1 "$tmp/merged.out" | grep -qx 'summary: [0-9]* passed, 0 failed, 0 errors, [0-9]* skipped, [0-9]* warnings' ||
    fail "merged summary: $(tail -1 "$tmp/merged.out")"
"$TQ_SOURCE_DIR/tools/verdict-diff" "$tmp/full/latest/results.json" "$tmp/merged/results.json" ||
    fail "the merged report differs from the unsharded run"
[ "$(jq -r '.properties.shards' "$tmp/merged/results.json")" = "1/2 2/2" ] ||
    fail "the merged report does not say it holds shards 1/2 and 2/2"

# refused NAME WANT ARGS...: `tlsqual merge ARGS` exits 2, says WANT, writes nothing.
refused() {
    local name="$1" want="$2" rc=0
    shift 2
    "$tlsqual" merge --out "$tmp/m-$name" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
    [ "$rc" -eq 2 ] || fail "$name: want exit 2, got $rc: $(tail -2 "$tmp/$name.out")"
    grep -qF -- "$want" "$tmp/$name.err" || fail "$name: want '$want', got: $(cat "$tmp/$name.err")"
    [ ! -e "$tmp/m-$name" ] || fail "$name: a refused merge wrote $tmp/m-$name"
    echo "ok: $name refused: $(cat "$tmp/$name.err")"
}
refused alone "1 of 2 shards missing: 1/2 (given: 2/2)" "${shards[1]}"
refused mixed "different shard counts" "${shards[0]}" "$tmp"/thirds/*-shard2of3
refused twice "shard 1/2 is given twice" "${shards[0]}" "${shards[0]}" "${shards[1]}"
refused filters "they differ in filters" "${shards[0]}" "$tmp"/smoke/*-shard2of2

run --out "$tmp/ids" --shard 1/2 --filter smoke --run-id pipeline-1 >/dev/null
run --out "$tmp/ids" --shard 2/2 --filter smoke --run-id pipeline-2 >/dev/null
refused run-ids "they differ in run.id ('pipeline-1' and 'pipeline-2')" \
    "$tmp"/ids/*-shard1of2 "$tmp"/ids/*-shard2of2
run --out "$tmp/same" --shard 1/2 --filter smoke --run-id pipeline-7 >/dev/null
run --out "$tmp/same" --shard 2/2 --filter smoke --run-id pipeline-7 >/dev/null
"$tlsqual" merge --out "$tmp/m-same" "$tmp"/same/*-shard1of2 "$tmp"/same/*-shard2of2 \
    >/dev/null || fail "shards with one --run-id did not merge"
[ "$(jq -r '.properties["run.id"]' "$tmp/m-same/results.json")" = pipeline-7 ] ||
    fail "the merged report lost the run id"

# --allow-partial: a report, but one that says it lacks shard 1/2 everywhere, and exit 1.
rc=0
"$tlsqual" merge --out "$tmp/partial" --allow-partial "${shards[1]}" >"$tmp/partial.out" \
    2>"$tmp/partial.err" || rc=$?
[ "$rc" -eq 1 ] || fail "--allow-partial: want exit 1, got $rc"
grep -q '^INCOMPLETE: partial merge: 1 of 2 shards missing (1/2)' "$tmp/partial.out" ||
    fail "--allow-partial: the console does not say incomplete: $(cat "$tmp/partial.out")"
tail -1 "$tmp/partial.out" | grep -q ', incomplete$' || fail "--allow-partial: summary line"
[ "$(jq -r '[.complete, .properties["shards.missing"], .properties.shards] | @tsv' \
    "$tmp/partial/results.json")" = "$(printf 'false\t1/2\t2/2')" ] ||
    fail "--allow-partial: results.json does not name the missing shard"
grep -q '<property name="incomplete" value="partial merge: 1 of 2 shards missing (1/2)' \
    "$tmp/partial/junit.xml" || fail "--allow-partial: junit.xml has no incomplete property"
grep -q '<property name="shards.missing" value="1/2"/>' "$tmp/partial/junit.xml" ||
    fail "--allow-partial: junit.xml does not name the missing shard"
echo "ok: --allow-partial: exit 1, $(grep INCOMPLETE "$tmp/partial.out")"

# A filter that selects nothing: exit 2, a message, no run folder, latest untouched.
before=$(readlink "$tmp/full/latest")
folders=$(ls "$tmp/full" | wc -l)
rc=0
timeout 60 "$tlsqual" run --scenarios "$TQ_SOURCE_DIR/scenarios" --pki "$tmp/pki" \
    --out "$tmp/full" --filter no-such-scenario >"$tmp/empty.out" 2>"$tmp/empty.err" || rc=$?
[ "$rc" -eq 2 ] || fail "empty filter: want exit 2, got $rc"
grep -q "no case to run: .*--filter 'no-such-scenario'" "$tmp/empty.err" ||
    fail "empty filter: message: $(cat "$tmp/empty.err")"
[ "$(readlink "$tmp/full/latest")" = "$before" ] || fail "empty filter: latest moved"
[ "$(ls "$tmp/full" | wc -l)" -eq "$folders" ] || fail "empty filter: a run folder was made"
echo "ok: empty filter: exit 2: $(cat "$tmp/empty.err")"

/usr/bin/python3 - "$tmp/full/latest" "$tmp/merged" "$tmp/full.out" <<'PY'
import json, re, sys
from junitparser import JUnitXml, Failure, Error, Skipped
full, merged, console = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
key = lambda d: [(c["backend"], c["group"], c["name"], c["verdict"], c["message"])
                 for c in json.load(open(d + "/results.json"))["cases"]]
a, b = key(full), key(merged)
assert a == b, f"merged report differs from the full run ({len(a)} vs {len(b)} cases)"
m = re.search(r"^summary: (\d+) passed, (\d+) failed, (\d+) errors, (\d+) skipped, "
              r"(\d+) warnings$", console, re.M)
assert m, "no summary line"
summary = dict(zip(["passed", "failed", "errors", "skipped", "warnings"], map(int, m.groups())))
counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0, "warnings": 0}
for suite in JUnitXml.fromfile(full + "/junit.xml"):
    for case in suite:
        kinds = {type(r) for r in case.result}
        counts["failed" if Failure in kinds else "errors" if Error in kinds
               else "skipped" if Skipped in kinds else "passed"] += 1
        counts["warnings"] += (case.system_out or "").startswith("warning: ")
assert counts == summary, (counts, summary)
print(f"shard merge ok: {len(a)} cases; junitparser counts {counts} equal the console summary")
PY
