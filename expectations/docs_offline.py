"""Make a Great Expectations Data Docs site read offline.

GX's pages load Bootstrap, jQuery, bootstrap-table, Font Awesome and Vega from CDNs, and its index
draws its tables with bootstrap-table from data in a script: offline, the page is blank. After each
build, every page not rewritten yet gets:

- no remote `<link>` or `<script src>` (nothing to wait for, no request leaves the machine);
- each bootstrap-table drawn as a plain HTML table, its rows linking to their validation pages;
- a small inline stylesheet (layout, tables, status colours, the icons as characters) and a small
  inline stand-in for the few jQuery calls GX's own inline scripts make (show or hide succeeded
  expectations), so those scripts run without errors.
"""

from __future__ import annotations

import ast
import html
import re
from pathlib import Path

MARKER = "<!-- paperlake: offline page -->"
REMOTE_LINK = re.compile(r"<link\b[^>]*\bhref=\"https?://[^\"]*\"[^>]*>\s*", re.IGNORECASE)
REMOTE_SCRIPT = re.compile(r"<script\b[^>]*\bsrc=\"https?://[^\"]*\"[^>]*>\s*</script>\s*", re.IGNORECASE)
REMOTE_LOGO = re.compile(r"src=\"https?://great-expectations-web-assets[^\"]*\"")
# A bootstrap-table GX fills from a script: `$('#ID').bootstrapTable(Object.assign({columns: [...], data: [...], ...`
TABLE_SCRIPT = re.compile(
    r"<script>\s*\$\('#(?P<id>[\w-]+)'\)\.bootstrapTable\(\s*Object\.assign\(\s*\{\s*columns: (?P<columns>\[.*?\]),\s*"
    r"data: (?P<data>\[.*?\]),\s*toolbar:.*?</script>",
    re.DOTALL,
)

STYLE = """
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #212529; background: #fff; line-height: 1.45; }
a { color: #0d6efd; } .container-fluid, .container { padding: 0 1.25rem; }
nav.navbar { display: flex; gap: 1rem; align-items: center; padding: .6rem 1.25rem; border-bottom: 1px solid #dee2e6; }
nav img { height: 32px; } .navbar-brand { font-weight: 600; }
.row { display: flex; flex-wrap: wrap; gap: 1rem; } .col, [class*="col-"] { flex: 1 1 18rem; min-width: 0; }
.card { border: 1px solid #dee2e6; border-radius: .4rem; margin: .8rem 0; padding: .6rem .9rem; overflow-x: auto; }
.card-header { font-weight: 600; border-bottom: 1px solid #dee2e6; margin-bottom: .5rem; padding-bottom: .3rem; }
table { border-collapse: collapse; margin: .4rem 0; max-width: 100%; }
th, td { border: 1px solid #dee2e6; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f1f3f5; } tr.clickable-row:hover { background: #f8f9fa; }
.text-success { color: #198754; } .text-danger { color: #dc3545; } .text-muted, .text-secondary { color: #6c757d; }
.badge { border-radius: .3rem; padding: .05rem .4rem; background: #e9ecef; }
.cooltip .top, .tooltip, .popover, .modal, .d-none, .sr-only, .fa-github { display: none; }
.nav-tabs { display: flex; gap: .5rem; list-style: none; padding: 0; } .collapse:not(.show) { display: block; }
.btn { border: 1px solid #ced4da; background: #f8f9fa; border-radius: .3rem; padding: .15rem .5rem; }
.fas::before, .far::before, .fa::before { font-style: normal; }
.fa-check-circle::before, .fa-check::before { content: "\\2714"; } .fa-times::before, .fa-times-circle::before { content: "\\2718"; }
.fa-exclamation-triangle::before { content: "\\26A0"; } .fa-clipboard-check::before { content: "\\2611"; }
</style>
"""

# GX's inline scripts call jQuery; without the CDN they would stop at the first `$`. This does the
# little they use: run code when the page is ready, and show, hide or walk elements.
JQUERY_STAND_IN = """
<script>
(function () {
  function wrap(nodes) {
    var list = Array.prototype.slice.call(nodes).filter(Boolean);
    var api = {
      length: list.length,
      each: function (fn) { list.forEach(function (el, i) { fn.call(el, i, el); }); return api; },
      parent: function () { return wrap(list.map(function (el) { return el.parentElement; })); },
      fadeIn: function () { list.forEach(function (el) { el.style.display = ""; }); return api; },
      fadeOut: function () { list.forEach(function (el) { el.style.display = "none"; }); return api; },
      attr: function (name) { return list.length ? list[0].getAttribute(name) : undefined; },
      data: function (name) { return list.length ? list[0].getAttribute("data-" + name) : undefined; },
      ready: function (fn) { $(fn); return api; },
      on: function () { return api; }, bootstrapTable: function () { return api; },
      tooltip: function () { return api; }, popover: function () { return api; }, collapse: function () { return api; }
    };
    return api;
  }
  window.$ = window.jQuery = function (target) {
    if (typeof target === "function") {
      if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", target); else target();
      return wrap([]);
    }
    if (typeof target === "string") { try { return wrap(document.querySelectorAll(target)); } catch (e) { return wrap([]); } }
    return wrap([target]);
  };
})();
</script>
"""


def make_site_offline(site_dir: Path, built_since: float | None = None) -> int:
    """Rewrite every page of the site not rewritten yet; returns how many were.

    `built_since` (a time.time()) skips pages older than the build that just ran: a site with a
    year of runs holds thousands of pages, and only the index, the suites and the new results change.
    """
    rewritten = 0
    for page in Path(site_dir).rglob("*.html"):
        if built_since is not None and page.stat().st_mtime < built_since:
            continue
        text = page.read_text(encoding="utf-8")
        if MARKER in text:
            continue
        page.write_text(offline_page(text, _static_prefix(page, Path(site_dir))), encoding="utf-8")
        rewritten += 1
    return rewritten


def _static_prefix(page: Path, site_dir: Path) -> str:
    """The relative path from `page` to the site root, so the page finds static/ wherever the site is moved."""
    depth = len(page.relative_to(site_dir).parts) - 1
    return "../" * depth


def offline_page(text: str, to_root: str = "") -> str:
    text = REMOTE_SCRIPT.sub("", REMOTE_LINK.sub("", text))
    text = REMOTE_LOGO.sub(f'src="{to_root}static/images/logo-long.png"', text)
    text = _draw_tables(text)
    head_end = text.lower().find("</head>")
    extra = MARKER + STYLE + JQUERY_STAND_IN
    return text[:head_end] + extra + text[head_end:] if head_end >= 0 else extra + text


def _draw_tables(text: str) -> str:
    """Each table a script would fill with bootstrap-table gets its rows as HTML; the script goes."""
    bodies = {}

    def take(match: re.Match) -> str:
        try:
            bodies[match["id"]] = static_table(ast.literal_eval(match["columns"]), ast.literal_eval(match["data"]))
        except (ValueError, SyntaxError):
            return match[0]  # not what GX writes today: leave it as it was
        return ""

    text = TABLE_SCRIPT.sub(take, text)
    for table_id, body in bodies.items():
        empty_table = re.compile(rf'(<table\s+id="{re.escape(table_id)}"[^>]*>)\s*(</table>)')
        text = empty_table.sub(lambda m, body=body: m[1] + body + m[2], text, count=1)
    return text


def static_table(columns: list[dict], rows: list[dict]) -> str:
    """The rows of a bootstrap-table as plain HTML: status as a word, each row linked to its page."""
    fields = [c["field"] for c in columns]
    head = "".join(f"<th>{html.escape(c.get('title', c['field']))}</th>" for c in columns)
    lines = [f"<thead><tr>{head}</tr></thead><tbody>"]
    ordered = sorted(rows, key=lambda r: str(r.get("_run_time_sort", "")), reverse=True)
    for row in ordered:
        link = row.get("_table_row_link_path")
        cells = []
        for field in fields:
            value = row.get(field, "")
            if field == "validation_success" and "_validation_success_text" in row:
                word = row["_validation_success_text"]
                css = "text-success" if word == "Success" else "text-danger"
                value = f'<span class="{css}">{"&#10004;" if word == "Success" else "&#10008;"} {html.escape(word)}</span>'
            elif field == "run_name" and link:
                value = f'<a href="{html.escape(link)}">{html.escape(str(value))}</a>'
            cells.append(f"<td>{value}</td>")
        lines.append(f'<tr class="clickable-row">{"".join(cells)}</tr>')
    lines.append("</tbody>")
    return "".join(lines)

