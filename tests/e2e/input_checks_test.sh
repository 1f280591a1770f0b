#!/usr/bin/env bash
# input_checks_test.sh: no input is ignored, or found elsewhere, without a word (issue 13).
# *.yml scenarios load like *.yaml; a folder without scenarios, a --docs folder that does not
# exist, a spec: that cites no anchor, a step that expects nothing, a stale baseline line and a
# --pki folder that does not exist are each exit 2 with a message that names the file (and line)
# or says how to fix it, at once and without creating anything; with no ./scenarios the binary
# says which folder it read and why. Needs TQ_BUILD_DIR and TQ_SOURCE_DIR (set by ctest).
set -euo pipefail
tlsqual="$TQ_BUILD_DIR/tlsqual"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# expect RC PATTERN CMD...: CMD exits RC and its output (stdout and stderr) matches PATTERN.
expect() {
    local want=$1 pattern=$2 rc=0
    shift 2
    "$@" >"$tmp/out" 2>&1 || rc=$?
    [ "$rc" -eq "$want" ] || { cat "$tmp/out" >&2; fail "$* exited $rc, want $want"; }
    grep -qE -- "$pattern" "$tmp/out" || { cat "$tmp/out" >&2; fail "$*: no '$pattern'"; }
    echo "ok (exit $rc): $(grep -E -m1 -- "$pattern" "$tmp/out")"
}
docs=(--docs "$TQ_SOURCE_DIR/docs/aws-iot")
smoke="$TQ_SOURCE_DIR/scenarios/smoke/registered-device-connects.yaml"

echo "== *.yml is a scenario file like *.yaml"
mkdir -p "$tmp/yml/smoke"
cp "$smoke" "$tmp/yml/smoke/device.yml"
expect 0 '^tlsqual lint: 1 scenario\(s\), 0 problem\(s\)' "$tlsqual" lint --scenarios "$tmp/yml" \
    "${docs[@]}"

echo "== a folder without scenario files is an error for lint and run"
mkdir -p "$tmp/empty/smoke"
cp "$smoke" "$tmp/empty/smoke/device.yaml.orig"
expect 2 'empty: no scenario file \(\*\.yaml, \*\.yml\)' "$tlsqual" lint --scenarios "$tmp/empty"
expect 2 'empty: no scenario file' "$tlsqual" run --scenarios "$tmp/empty" --backend openssl \
    --out "$tmp/empty-out"
[ ! -e "$tmp/empty-out" ] || fail "a run of nothing made its output folder"

echo "== spec: resolves in the repository's reference, never skipped"
expect 2 '^tlsqual lint: --docs /nonexistent: no such folder' "$tlsqual" lint \
    --scenarios "$tmp/yml" --docs /nonexistent
expect 2 "device.yml:4: spec 'docs/aws-iot/client-certificates.md#status-values': the AWS IoT reference folder $tmp/docs/aws-iot does not exist" \
    "$tlsqual" lint --scenarios "$tmp/yml"
sed 's|^spec: .*|spec: docs/aws-iot/tls.md#no-such-anchor|' "$smoke" >"$tmp/yml/smoke/device.yml"
expect 2 "device.yml:4: spec 'docs/aws-iot/tls.md#no-such-anchor': no line '### no-such-anchor'" \
    "$tlsqual" lint --scenarios "$tmp/yml" "${docs[@]}"
sed 's|^spec: .*|spec: "aws-iot-facts.md#4.3 Certificate status values"|' "$smoke" \
    >"$tmp/yml/smoke/device.yml"
expect 2 "device.yml:4: spec .*want 'docs/aws-iot/<file>.md#<anchor>'" "$tlsqual" run \
    --scenarios "$tmp/yml" "${docs[@]}" --backend openssl --out "$tmp/x"
cp "$smoke" "$tmp/yml/smoke/device.yml"

echo "== a lifecycle step that expects nothing is a file:line error"
mkdir -p "$tmp/steps/lifecycle"
printf '%s\n' 'name: a step expects nothing' 'spec: RFC 5280 section 6.3' \
    'client: {certificate: device-rsa-2048}' 'steps:' '  - connect: a' '    expect:' \
    '      outcome: []' >"$tmp/steps/lifecycle/nothing.yaml"
expect 2 "nothing.yaml:7: 'outcome' must name at least one outcome" "$tlsqual" lint \
    --scenarios "$tmp/steps"

echo "== a baseline line that can never match is a file:line error"
printf '%s\n' '# stale lines' \
    'gnuttls: smoke/registered device connects and gets CONNACK accepted  # misspelt backend' \
    'openssl: smoke/registered device connects  # renamed case' >"$tmp/stale.txt"
expect 2 "stale.txt:2: no backend called 'gnuttls'" "$tlsqual" run --scenarios "$tmp/yml" \
    "${docs[@]}" --backend openssl --baseline "$tmp/stale.txt" --out "$tmp/stale-out"
grep -q "stale.txt:3: no case 'smoke/registered device connects' in the scenarios" "$tmp/out" ||
    { cat "$tmp/out" >&2; fail "no error for the renamed case"; }
cp "$tmp/stale.txt" "$tmp/yml/known-deviations.txt"
expect 2 "known-deviations.txt:3: no case 'smoke/registered device connects'" "$tlsqual" lint \
    --scenarios "$tmp/yml" "${docs[@]}"
rm "$tmp/yml/known-deviations.txt"

echo "== a --pki folder that does not exist is an error at once, unless asked to create it"
start=$(date +%s%N)
expect 2 "--pki $tmp/typo: no such folder; make a PKI with \`tlsqual certs --out $tmp/typo\`, or add --pki-create" \
    "$tlsqual" run --scenarios "$tmp/yml" "${docs[@]}" --backend openssl --pki "$tmp/typo" \
    --out "$tmp/typo-out"
expect 2 "--pki $tmp/typo: no such folder; make a PKI with \`tlsqual certs --out $tmp/typo\`, provision" \
    "$tlsqual" device --pki "$tmp/typo"
took_ms=$((($(date +%s%N) - start) / 1000000))
[ ! -e "$tmp/typo" ] || fail "a mistyped --pki folder was created"
[ "$took_ms" -lt 10000 ] || fail "the --pki errors took $took_ms ms: they must come at once"
mkdir "$tmp/not-a-pki"
expect 2 "not-a-pki: the folder holds no PKI \(no manifest.json\)" "$tlsqual" device \
    --pki "$tmp/not-a-pki"
[ -z "$(ls -A "$tmp/not-a-pki")" ] || fail "tlsqual device wrote into a folder that holds no PKI"
expect 2 "--pki-create goes with --pki DIR" "$tlsqual" run --scenarios "$tmp/yml" --pki-create

echo "== without ./scenarios, lint and run say which folder they read, and why"
mkdir "$tmp/elsewhere"
(cd "$tmp/elsewhere" && "$tlsqual" lint) >"$tmp/out" 2>&1 || true
grep -q "^tlsqual lint: scenarios from $TQ_SOURCE_DIR/scenarios (no ./scenarios here, so the suite of the source tree" \
    "$tmp/out" || { cat "$tmp/out" >&2; fail "lint does not say where its scenarios come from"; }
head -1 "$tmp/out"
mkdir -p "$tmp/here/scenarios/smoke" "$tmp/here/docs"
cp -r "$TQ_SOURCE_DIR/docs/aws-iot" "$tmp/here/docs/"
cp "$smoke" "$tmp/here/scenarios/smoke/"
(cd "$tmp/here" && "$tlsqual" lint) >"$tmp/out" 2>&1 ||
    { cat "$tmp/out" >&2; fail "lint of ./scenarios with ./docs/aws-iot beside it"; }
grep -q "^tlsqual lint: scenarios from scenarios (./scenarios in the current folder)" "$tmp/out" ||
    { cat "$tmp/out" >&2; fail "lint does not say it read ./scenarios"; }
head -1 "$tmp/out"
echo "PASS"
