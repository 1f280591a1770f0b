#!/usr/bin/env bash
# certs_bench.sh: prints how long `tlsqual certs` takes cold (empty folder: every key and
# certificate), warm (nothing to do) and forced (--force: certificates again, keys kept).
# A benchmark prints figures; it never passes or fails. Usage: bench/certs_bench.sh [BUILD_DIR]
# (default: $TQ_BUILD_DIR, else ./build). Runs: TQ_BENCH_RUNS (default 3).
set -euo pipefail

build="${1:-${TQ_BUILD_DIR:-build}}"
tlsqual="$build/tlsqual"
runs="${TQ_BENCH_RUNS:-3}"
[[ -x "$tlsqual" ]] || { echo "certs_bench.sh: no executable at $tlsqual" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf -- "$work"' EXIT

# elapsed_ms ARGS...: runs `tlsqual certs --quiet ARGS` and prints its wall time in ms.
elapsed_ms() {
    local start end
    start="$(date +%s%N)"
    "$tlsqual" certs --quiet "$@"
    end="$(date +%s%N)"
    echo $(( (end - start) / 1000000 ))
}

printf '%-6s %10s %10s %10s\n' run cold_ms warm_ms force_ms
for ((i = 1; i <= runs; i++)); do
    dir="$work/pki-$i"
    cold="$(elapsed_ms --out "$dir")"
    warm="$(elapsed_ms --out "$dir")"
    force="$(elapsed_ms --out "$dir" --force)"
    printf '%-6s %10s %10s %10s\n' "$i" "$cold" "$warm" "$force"
done
printf '%s artifacts; %s CPUs; %s\n' \
    "$(jq '.artifacts | length' "$work/pki-1/manifest.json" 2>/dev/null || echo '?')" \
    "$(nproc)" "$("$tlsqual" --version)"
