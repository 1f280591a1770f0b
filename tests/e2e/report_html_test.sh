#!/usr/bin/env bash
# report.html is one self-contained page that renders in a real browser (headless Chromium):
# the grid has one coloured cell per case, the counts match results.json, a case's evidence
# opens from its link, and the page asks for nothing over the network.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
e2e_init report-html
command -v chromium >/dev/null || die "chromium is not installed (tools/packages.txt lists it)"

timeout 600 "$bin" run --scenarios "$TQ_SOURCE_DIR/scenarios" --out "$tmp/results" \
    --filter client-certificate/ --backend openssl >/dev/null || die "tlsqual run failed"
pass "tlsqual run writes a report"
page="$tmp/results/latest/report.html"
! grep -qE '(src|href)="https?:' "$page" || die "report.html refers to the network"
pass "report.html refers to nothing over the network"

seq=$("$PY" -c 'import json,sys; c=json.load(open(sys.argv[1]))["cases"]; print(c[-1]["seq"])' \
      "$tmp/results/latest/results.json")
chrome=(chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run
        --disable-background-networking --disable-component-update --disable-sync
        --user-data-dir="$tmp/profile")
timeout 120 "${chrome[@]}" --dump-dom "file://$page?case=$seq" >"$tmp/dom.html" 2>/dev/null
timeout 120 "${chrome[@]}" --window-size=1300,900 --screenshot="$tmp/report.png" \
    "file://$page" >/dev/null 2>&1
[ -s "$tmp/report.png" ] || die "no screenshot"
pass "chromium renders report.html (screenshot)"

"$PY" - "$tmp/dom.html" "$tmp/results/latest/results.json" "$seq" <<'PY' ||
import json, re, sys
dom, data, seq = open(sys.argv[1]).read(), json.load(open(sys.argv[2])), sys.argv[3]
cells = re.findall(r'<td class="v (pass|warn|fail|error|skip)"', dom)
assert len(cells) == len(data["cases"]), f"{len(cells)} cells for {len(data['cases'])} cases"
for k in ("passed", "failed", "skipped"):
    assert f"{k} {data['counts'][k]}" in dom, f"counts: no '{k} {data['counts'][k]}'"
case = next(c for c in data["cases"] if str(c["seq"]) == seq)
detail = re.search(r'<pre id="detail"[^>]*>(.*?)</pre>', dom, re.S).group(1)
assert case["name"] in detail and "verdict:" in detail, "linked case evidence not shown"
print(f"report.html ok: {len(cells)} cells, counts match, ?case={seq} opens its evidence")
PY
    die "the rendered page: cells, counts or the linked evidence are wrong"
pass "the rendered page: one cell per case, counts match, ?case= opens its evidence"
finish
