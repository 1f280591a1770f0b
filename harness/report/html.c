#include "html.h"

#include <string.h>

#include "bytes.h"
#include "fs.h"
#include "results_json.h"

enum { HTML_MAX_BYTES = 512 << 20 };

/* The page: the data is a JSON island (JSON_ESCAPE_SLASH keeps "</script>" out of it); the
 * script renders the grid from it, so the page and results.json can never disagree. */
static const char page_head[] =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<title>tlsqual report</title>\n<style>\n"
    "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}\n"
    "h1{font-size:1.4em;margin:0 0 .3em}\n"
    ".counts span{display:inline-block;padding:.2em .7em;margin-right:.4em;border-radius:3px}\n"
    "table{border-collapse:collapse;margin-top:1em}\n"
    "th,td{border:1px solid #ccc;padding:.15em .5em;text-align:left}\n"
    "th{background:#f3f3f3;position:sticky;top:0}\n"
    "td.v{cursor:pointer;text-align:center;min-width:5em}\n"
    ".pass{background:#c8e6c9}.warn{background:#fff59d}.fail{background:#ef9a9a}\n"
    ".error{background:#ce93d8}.skip{background:#e0e0e0}.not_run{background:#ce93d8}\n"
    "tr.group th{background:#e3eaf5;text-align:left}\n"
    "#detail{white-space:pre-wrap;font:12px monospace;background:#fafafa;border:1px solid #ccc;"
    "padding:1em;margin-top:1em;display:none}\n"
    "#props td{font:12px monospace}\n"
    "#incomplete{background:#ef9a9a;border:2px solid #b71c1c;padding:.5em 1em;font-weight:bold;"
    "display:none}\n"
    "</style></head><body>\n<h1>tlsqual qualification report</h1>\n"
    "<p id=\"incomplete\"></p>\n"
    "<div class=\"counts\" id=\"counts\"></div>\n"
    "<p><input id=\"filter\" placeholder=\"filter scenarios\" size=\"40\"></p>\n"
    "<table id=\"grid\"></table>\n<pre id=\"detail\"></pre>\n"
    "<h2>Run</h2><table id=\"props\"></table>\n"
    "<script type=\"application/json\" id=\"data\">";

static const char page_tail[] =
    "</script>\n<script>\n"
    "const data = JSON.parse(document.getElementById('data').textContent);\n"
    "const el = (t, a = {}, txt) => { const e = document.createElement(t);\n"
    "  Object.assign(e, a); if (txt !== undefined) e.textContent = txt; return e; };\n"
    "if (!data.complete) { const b = document.getElementById('incomplete');\n"
    "  b.textContent = 'INCOMPLETE: this report lacks verdicts its run planned: ' +\n"
    "    (data.properties.incomplete || 'no reason recorded'); b.style.display = 'block'; }\n"
    "const c = data.counts, counts = document.getElementById('counts');\n"
    "for (const [k, cls] of [['total',''],['passed','pass'],['warned','warn'],['failed','fail'],\n"
    "    ['errors','error'],['skipped','skip']])\n"
    "  counts.append(el('span', {className: cls}, `${k} ${c[k]}`));\n"
    "const backends = [...new Set(data.cases.map(x => x.backend))];\n"
    "const rows = new Map();\n"
    "for (const x of data.cases) {\n"
    "  const key = x.group + '\\u0000' + x.name;\n"
    "  if (!rows.has(key)) rows.set(key, {group: x.group, name: x.name, cells: {}});\n"
    "  rows.get(key).cells[x.backend] = x; }\n"
    "const grid = document.getElementById('grid'), detail = document.getElementById('detail');\n"
    "function show(x) { detail.style.display = 'block';\n"
    "  detail.textContent = [`${x.backend} / ${x.group} / ${x.name}`, `verdict: ${x.verdict}`,\n"
    "    x.message ? `why: ${x.message}` : '', `scenario: ${x.file}`,\n"
    "    x.details ? `\\n${x.details}` : '', x.stderr ? `\\nbackend stderr:\\n${x.stderr}` : '',\n"
    "    x.result ? `\\nresult:\\n${JSON.stringify(x.result, null, 1)}` : ''].join('\\n'); }\n"
    "function render(filter) { grid.replaceChildren();\n"
    "  const head = el('tr'); head.append(el('th', {}, 'scenario'));\n"
    "  for (const b of backends) head.append(el('th', {}, b));\n"
    "  grid.append(head); let group = null;\n"
    "  for (const r of rows.values()) {\n"
    "    if (filter && !(r.group + '/' + r.name).toLowerCase().includes(filter)) continue;\n"
    "    if (r.group !== group) { group = r.group; const g = el('tr', {className: 'group'});\n"
    "      g.append(el('th', {colSpan: backends.length + 1}, group)); grid.append(g); }\n"
    "    const tr = el('tr'); tr.append(el('td', {}, r.name));\n"
    "    for (const b of backends) { const x = r.cells[b];\n"
    "      const td = el('td', {className: 'v ' + (x ? x.verdict : ''), title: x && x.message"
    " || ''}, x ? x.verdict : '');\n"
    "      if (x) { td.id = 'case-' + x.seq; td.onclick = () => { show(x);\n"
    "        history.replaceState(null, '', '#case-' + x.seq); }; } tr.append(td); }\n"
    "    grid.append(tr); } }\n"
    "document.getElementById('filter').oninput = e => render(e.target.value.toLowerCase());\n"
    "const props = document.getElementById('props');\n"
    "for (const [k, v] of Object.entries(data.properties)) {\n"
    "  const tr = el('tr'); tr.append(el('td', {}, k), el('td', {}, v)); props.append(tr); }\n"
    "render('');\n"
    "const wanted = location.hash.replace('#case-', '') ||\n"
    "  new URLSearchParams(location.search).get('case');\n"
    "const linked = data.cases.find(x => String(x.seq) === wanted);\n"
    "if (linked) show(linked);\n"
    "</script></body></html>\n";

/* see html.h */
tq_status tq_html_write(struct tq_diag *diag, const char *path, const struct tq_report *r)
{
    struct tq_buf page;
    tq_buf_init(&page, HTML_MAX_BYTES);
    tq_status st;
    if (!tq_ok(st = tq_buf_append(&page, page_head, strlen(page_head))) ||
        !tq_ok(st = tq_results_json_render(&page, r, true)) ||
        !tq_ok(st = tq_buf_append(&page, page_tail, strlen(page_tail))))
        st = tq_diag_fail(diag, st.code, path, 0, "cannot render report.html");
    else
        st = tq_fs_write_atomic(diag, path, page.data, page.len, 0644);
    tq_buf_cleanup(&page);
    return st;
}
