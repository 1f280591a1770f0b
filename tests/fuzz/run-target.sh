#!/usr/bin/env bash
# run-target.sh TARGET CORPUS MAX_LEN WORK_DIR [DICT]: runs one libFuzzer target for
# $TQ_FUZZ_SECONDS seconds (default 15) over the checked-in CORPUS, which it only reads.
# New inputs go to WORK_DIR/<target>/new/ and crash reproducers to WORK_DIR/<target>/artifacts/.
# Prints libFuzzer's final "#N DONE cov: ..." line (also kept in WORK_DIR/<target>/summary);
# on a crash, prints the end of the log and exits non-zero.
set -euo pipefail

target=$1 corpus=$2 max_len=$3 work_root=$4 dict=${5:-}
seconds=${TQ_FUZZ_SECONDS:-15}
name=$(basename "$target")
work=$work_root/$name
mkdir -p "$work/new" "$work/artifacts"
log=$work/fuzz.log

args=(-max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048
      -artifact_prefix="$work/artifacts/" -print_final_stats=1)
[[ -n $dict ]] && args+=(-dict="$dict")

status=0
"$target" "${args[@]}" "$work/new" "$corpus" >"$log" 2>&1 || status=$?
done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)
if [[ $status -eq 0 && -n $done_line ]]; then
    echo "$name (${seconds}s, max_len $max_len): $done_line" | tee "$work/summary"
    exit 0
fi
echo "$name FAILED (exit $status); end of $log:"
tail -n 80 "$log"
echo "reproducers in $work/artifacts/:"
ls -l "$work/artifacts/"
exit 1
