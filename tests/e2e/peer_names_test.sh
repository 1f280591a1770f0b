#!/usr/bin/env bash
# peer_names_test.sh: every backend writes the peer chain's names in one form, byte for byte.
#
# docs/backend-protocol.md says `peer_chain` names are RFC 2253 strings; a backend that writes
# `CN=x, O=y` (wolfSSL's own printer did) breaks every consumer that compares them. Two cases
# run through every backend that was built: the legacy chain (escaped commas in subject and
# issuer: "O=Mock Amazon.com\, Inc.", "OU=(c) 2006 Mock VeriSign\, Inc. - ...") and the 4-deep
# field chain (L, ST, the Starfield names). In results.json, for each case:
#   - every built backend reported a peer chain, and all the chains are identical (subject,
#     issuer and SHA-256 of every certificate, in order);
#   - every subject is the manifest's RFC 2253 subject of the artifact with that SHA-256
#     (certs_test.sh checks those against `openssl x509 -nameopt RFC2253`), and every issuer is
#     the subject of the next certificate of the chain.
#
# Env: TQ_BUILD_DIR, TQ_SOURCE_DIR (set by ctest).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init peer-names-e2e
: "${TQ_SOURCE_DIR:?set TQ_SOURCE_DIR to the source directory}"

backends=()
for exe in "$TQ_BUILD_DIR"/backends/tlsqual-backend-*; do
    [ -x "$exe" ] && backends+=("${exe##*/tlsqual-backend-}")
done
[ "${#backends[@]}" -ge 2 ] || die "want at least two built backends, got ${#backends[@]}"
echo "backends: ${backends[*]}"

legacy="server-chains/legacy endpoint chain validates with the VeriSign-like root"
deep="server-chains/4-deep field RSA chain validates with the Amazon roots"
set +e
timeout 300 "$TQ_BUILD_DIR/tlsqual" run --scenarios "$TQ_SOURCE_DIR/scenarios" --out "$tmp/out" \
    --filter "$legacy" --filter "$deep" >"$tmp/run.out" 2>"$tmp/run.err"
rc=$?
set -e
# The verdicts are the run's business (a known deviation is a warning); the names are ours.
[ "$rc" -le 1 ] || { cat "$tmp/run.err" >&2; die "tlsqual run exited $rc"; }
results="$tmp/out/latest/results.json"
[ -s "$results" ] || die "no $results"
pass "tlsqual run over ${#backends[@]} backends writes results.json"

"$PY" - "$results" "$tmp/out/pki/manifest.json" "${legacy#*/}" "${deep#*/}" "${backends[@]}" \
    <<'PY' || die "the backends do not write the peer chain's names in one form"
import json, sys

results_path, manifest_path, legacy, deep, *backends = sys.argv[1:]
cases = json.load(open(results_path))["cases"]
subject_of = {a["sha256"]: a["subject"] for a in json.load(open(manifest_path))["artifacts"]}
problems = []
for name in (legacy, deep):
    chains = {}
    for c in cases:
        if c["name"] == name:
            chain = (c.get("result") or {}).get("peer_chain") or []
            chains[c["backend"]] = [(x["subject"], x["issuer"], x["sha256"]) for x in chain]
    missing = sorted(set(backends) - {b for b, ch in chains.items() if ch})
    if missing:
        problems.append(f"{name}: no peer chain from {', '.join(missing)}")
    for backend, chain in sorted(chains.items()):
        for i, (subject, issuer, sha) in enumerate(chain):
            want = subject_of.get(sha)
            if subject != want:
                problems.append(f"{name}: {backend} chain[{i}] subject {subject!r}, want {want!r}")
            if i + 1 < len(chain) and issuer != chain[i + 1][0]:
                problems.append(f"{name}: {backend} chain[{i}] issuer {issuer!r}, "
                                f"want the next subject {chain[i + 1][0]!r}")
    distinct = {json.dumps(ch) for ch in chains.values()}
    if len(distinct) > 1:
        problems.append(f"{name}: the backends wrote {len(distinct)} different chains")
    print(f"{name}: {len(chains)} backend(s), {len(distinct)} distinct chain(s)")
for p in problems:
    print("FAIL:", p, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
pass "every backend writes the RFC 2253 names of the manifest, all chains identical"
finish
