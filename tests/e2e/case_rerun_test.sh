#!/usr/bin/env bash
# case_rerun_test.sh: verdicts that can be rerun exactly (issue 13).
# 1. For every case of the shipped suite, `tlsqual run --list --case ID` lists exactly one case
#    per backend, and it is that ID; an ID that names nothing is exit 2.
# 2. A failing case of an exec: backend, in a scenario folder, PKI, baseline, reference and
#    output folder whose paths hold spaces and quotes, carries a "rerun:" line; pasted into
#    sh, it reruns exactly that case (one case, same backend, same verdict) with the same
#    settings: the baseline it names still turns a listed failure into a warning.
# Needs TQ_BUILD_DIR and TQ_SOURCE_DIR (set by ctest).
set -euo pipefail
tlsqual="$TQ_BUILD_DIR/tlsqual"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== 1. --case ID selects exactly one case per backend, for every case of the suite"
"$tlsqual" run --list --scenarios "$TQ_SOURCE_DIR/scenarios" >"$tmp/all.txt"
num_backends=$(cut -d' ' -f1 "$tmp/all.txt" | sort -u | wc -l)
cut -d' ' -f2- "$tmp/all.txt" | sort -u >"$tmp/ids.txt"
num_ids=$(wc -l <"$tmp/ids.txt")
[ "$num_backends" -ge 1 ] && [ "$num_ids" -ge 100 ] ||
    fail "--list: $num_backends backend(s), $num_ids case ID(s)"
[ "$(wc -l <"$tmp/all.txt")" -eq $((num_backends * num_ids)) ] ||
    fail "--list: case IDs are not unique per backend"
checked=0
while IFS= read -r id; do
    "$tlsqual" run --list --scenarios "$TQ_SOURCE_DIR/scenarios" --case "$id" >"$tmp/one.txt" ||
        fail "--case '$id': exit $?"
    [ "$(wc -l <"$tmp/one.txt")" -eq "$num_backends" ] ||
        fail "--case '$id' lists $(wc -l <"$tmp/one.txt") cases, want $num_backends"
    [ "$(cut -d' ' -f2- "$tmp/one.txt" | sort -u)" = "$id" ] || fail "--case '$id' lists another"
    [ "$(cut -d' ' -f1 "$tmp/one.txt" | sort -u | wc -l)" -eq "$num_backends" ] ||
        fail "--case '$id': a backend twice"
    checked=$((checked + 1))
done <"$tmp/ids.txt"
[ "$checked" -eq "$num_ids" ] || fail "checked $checked of $num_ids IDs"
echo "$num_ids case IDs x $num_backends backends: each --case ID lists exactly $num_backends case(s)"
set +e
"$tlsqual" run --list --scenarios "$TQ_SOURCE_DIR/scenarios" --case "versions/TLS 1.3" \
    >/dev/null 2>"$tmp/nocase.err"
rc=$?
set -e
[ "$rc" -eq 2 ] && grep -q "no such case" "$tmp/nocase.err" ||
    fail "--case with a prefix of an ID: exit $rc, want 2 with 'no such case'"

echo "== 2. a failing exec: case reruns exactly, from its rerun line"
root="$tmp/it's a \"root\" folder"
scen="$root/my scenarios"
mkdir -p "$scen/smoke" "$root/exec backends"
cp "$TQ_BUILD_DIR/backends/tlsqual-backend-openssl" "$root/exec backends/open ssl's backend"
smoke="$TQ_SOURCE_DIR/scenarios/smoke/registered-device-connects.yaml"
# Three scenarios whose names share a prefix (the old --filter NAME ran all three for "a"):
# a fails, b passes, c fails and is listed in the baseline (a warning).
sed -e "s/^name: .*/name: \"it's a \\\\\"quoted\\\\\" case\"/" \
    -e 's/^  outcome: ok/  outcome: cert_expired/' "$smoke" >"$scen/smoke/a.yaml"
sed -e "s/^name: .*/name: \"it's a \\\\\"quoted\\\\\" case that passes\"/" "$smoke" \
    >"$scen/smoke/b.yaml"
sed -e "s/^name: .*/name: \"it's a \\\\\"quoted\\\\\" case, listed\"/" \
    -e 's/^  outcome: ok/  outcome: cert_expired/' "$smoke" >"$scen/smoke/c.yaml"
printf '%s\n' "openssl: smoke/it's a \"quoted\" case, listed  # a known deviation" \
    >"$root/the baseline's file.txt"
"$tlsqual" certs --out "$root/p k i" --quiet >/dev/null
run_args=(--scenarios "$scen" --pki "$root/p k i" --out "$root/out dir" --jobs 1
          --baseline "$root/the baseline's file.txt" --docs "$TQ_SOURCE_DIR/docs/aws-iot"
          --backend "exec:$root/exec backends/open ssl's backend")
set +e
timeout 300 "$tlsqual" run "${run_args[@]}" >"$tmp/first.out" 2>&1
rc=$?
set -e
[ "$rc" -eq 1 ] || { tail -20 "$tmp/first.out"; fail "first run: exit $rc, want 1"; }
grep -qF "tlsqual run: 3 scenario(s) from $scen (given with --scenarios)" "$tmp/first.out" ||
    { head -5 "$tmp/first.out"; fail "the run header does not say where the scenarios come from"; }
/usr/bin/python3 - "$root/out dir/latest/results.json" "$tmp" <<'PY'
import json, sys
cases = {c["name"]: c for c in json.load(open(sys.argv[1]))["cases"]}
want = {"it's a \"quoted\" case": "fail", "it's a \"quoted\" case that passes": "pass",
        "it's a \"quoted\" case, listed": "warn"}
got = {n: c["verdict"] for n, c in cases.items()}
assert got == want, f"first run: verdicts {got}, want {want}"
for name, out in (("it's a \"quoted\" case", "rerun-a"), ("it's a \"quoted\" case, listed", "rerun-c")):
    lines = [l for l in (cases[name]["details"] or "").splitlines() if l.startswith("rerun: ")]
    assert len(lines) == 1, f"{name}: want one rerun line, got {lines}"
    open(f"{sys.argv[2]}/{out}.sh", "w").write(lines[0][len("rerun: "):] + "\n")
    print(f"{name}: {lines[0]}")
PY
line=$(cat "$tmp/rerun-a.sh")
for option in --scenarios --pki --out --baseline --docs "--backend 'exec:" --case; do
    case "$line" in *" $option"*) ;; *) fail "the rerun line lacks $option: $line" ;; esac
done
run_rerun() {   # run_rerun NAME: runs the rerun line NAME.sh with sh from another folder
    set +e
    (cd / && timeout 300 sh "$tmp/$1.sh") >"$tmp/$1.out" 2>&1
    echo $? >"$tmp/$1.rc"
    set -e
}
run_rerun rerun-a
[ "$(cat "$tmp/rerun-a.rc")" -eq 1 ] || { tail -20 "$tmp/rerun-a.out"; fail "rerun of a: exit $(cat "$tmp/rerun-a.rc"), want 1"; }
run_rerun rerun-c
[ "$(cat "$tmp/rerun-c.rc")" -eq 0 ] || { tail -20 "$tmp/rerun-c.out"; fail "rerun of c: exit $(cat "$tmp/rerun-c.rc"), want 0 (a listed deviation warns)"; }
[ ! -e "$root/out dir/pki" ] || fail "a rerun generated OUT/pki: it did not get --pki"
/usr/bin/python3 - "$root/out dir" <<'PY'
import glob, json, os, sys
runs = sorted((p for p in glob.glob(os.path.join(sys.argv[1], "*", "results.json"))
               if not os.path.islink(os.path.dirname(p))), key=os.path.getmtime)
assert len(runs) == 3, f"want 3 runs in the output folder, got {len(runs)}"
for path, name, verdict in ((runs[1], "it's a \"quoted\" case", "fail"),
                            (runs[2], "it's a \"quoted\" case, listed", "warn")):
    cases = json.load(open(path))["cases"]
    got = [(c["backend"], c["group"], c["name"], c["verdict"]) for c in cases]
    assert got == [("openssl", "smoke", name, verdict)], f"rerun of {name!r}: {got}"
    print(f"rerun of {name!r}: exactly one case, {got[0]}")
PY
echo "PASS"
