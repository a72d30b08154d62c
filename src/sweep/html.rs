//! `keyguard report DIR… --html FILE`: one self-contained HTML page for a security team —
//! totals, findings by family, by repository and by age of the introducing commit, policy
//! violations by check, failed repositories; sortable tables and bar charts.
//!
//! No network and no external assets: CSS and a small script are inline. The data travels
//! as JSON in a `<script type="application/json">` element with `<`, `>` and `&` escaped,
//! and the script inserts it with `textContent` only, so file paths, author names and
//! commit messages from untrusted repositories cannot become markup. Secrets are the
//! redacted previews of the stored reports.

use super::merge::Merged;
use serde_json::{json, Value};

/// The page for `m`, dated `now` (seconds since the Unix epoch; ages are relative to it).
pub fn render(m: &Merged, now: u64) -> String {
    let repos: Vec<Value> = m.results.iter().map(super::merge::repo_summary).collect();
    let findings: Vec<Value> = m
        .ok()
        .flat_map(|r| {
            r.finding_values().iter().map(move |f| {
                json!({
                    "repo": r.name,
                    "rule": f["rule_id"],
                    "family": f["family"],
                    "severity": f["severity"],
                    "path": f["path"],
                    "line": f["line"],
                    "secret": f["secret"],
                    "commit": f["commit"]["id"],
                    "author": f["commit"]["author"],
                    "date": f["commit"]["date"],
                    "verified": f["verification"]["state"],
                    "verified_reason": f["verification"]["reason"],
                })
            })
        })
        .collect();
    let violations: Vec<Value> = m
        .ok()
        .filter_map(|r| r.policy.as_ref().map(|p| (r, p)))
        .flat_map(|(r, p)| {
            p.violations.iter().map(move |v| {
                json!({
                    "repo": r.name,
                    "check": v["rule_id"],
                    "severity": v["severity"],
                    "path": v["path"],
                    "line": v["line"],
                    "message": v["message"],
                })
            })
        })
        .collect();
    let data = json!({
        "version": env!("CARGO_PKG_VERSION"),
        "generated_at": now,
        "repos": repos,
        "findings": findings,
        "violations": violations,
        "warnings": m.warnings,
    });
    let data = script_safe(&serde_json::to_string(&data).expect("data serialises"));
    TEMPLATE.replace("/*DATA*/", &data)
}

/// JSON that cannot end its `<script>` element or open a comment there.
fn script_safe(json: &str) -> String {
    json.replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
        .replace('\u{2028}', "\\u2028")
        .replace('\u{2029}', "\\u2029")
}

const TEMPLATE: &str = r##"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>keyguard sweep report</title>
<style>
:root { --fg:#1d2330; --muted:#5b6475; --line:#d9dde5; --bg:#f6f7f9; --bar:#3b6fd8; --bad:#c0392b; --ok:#2e7d32; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
header { background: #1d2330; color: #fff; padding: 16px 24px; }
header h1 { margin: 0; font-size: 20px; }
header p { margin: 4px 0 0; color: #b8c0d0; }
main { padding: 16px 24px 40px; max-width: 1400px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 14px 16px; margin: 14px 0; }
h2 { font-size: 16px; margin: 0 0 10px; }
.totals { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 10px; }
.tile { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; }
.tile .n { font-size: 24px; font-weight: 600; }
.tile .l { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.tile.bad .n { color: var(--bad); }
.grid2 { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 14px; }
.chart .row { display: grid; grid-template-columns: 180px 1fr 60px; align-items: center; gap: 8px; margin: 3px 0; }
.chart .label { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.chart .track { background: #eef1f6; height: 14px; border-radius: 3px; }
.chart .fill { background: var(--bar); height: 14px; border-radius: 3px; min-width: 2px; }
.chart .v { text-align: right; font-variant-numeric: tabular-nums; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { cursor: pointer; user-select: none; background: #f0f2f6; position: sticky; top: 0; }
th[aria-sort="ascending"]::after { content: " \25B2"; }
th[aria-sort="descending"]::after { content: " \25BC"; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.code { font-family: ui-monospace, Menlo, Consolas, monospace; word-break: break-all; }
.status-failed { color: var(--bad); font-weight: 600; }
.status-ok { color: var(--ok); }
.sev-critical, .sev-high { color: var(--bad); font-weight: 600; }
.scroll { max-height: 520px; overflow: auto; }
.muted { color: var(--muted); }
.empty { color: var(--muted); font-style: italic; }
</style>
</head>
<body>
<header><h1>keyguard sweep report</h1><p id="subtitle">Enable JavaScript to see this report (it needs no network).</p></header>
<main>
<div class="totals" id="totals"></div>
<div class="grid2">
<section><h2>Findings by family</h2><div class="chart" id="by-family"></div></section>
<section><h2>Findings by age of the introducing commit</h2><div class="chart" id="by-age"></div></section>
</div>
<div class="grid2">
<section><h2>Repositories with the most findings</h2><div class="chart" id="by-repo-chart"></div></section>
<section><h2>Policy violations by check</h2><div class="chart" id="by-check"></div></section>
</div>
<section><h2>Failed repositories</h2><div id="failed"></div></section>
<section><h2>Repositories</h2><div class="scroll" id="repos"></div></section>
<section><h2>Findings</h2>
<p><label>Verification <select id="verified-filter">
<option value="all">all findings</option><option value="live">live</option><option value="invalid">invalid</option>
<option value="unknown">unknown</option><option value="not verified">not verified</option>
</select></label></p>
<div class="scroll" id="findings"></div></section>
<section><h2>Policy violations</h2><div class="scroll" id="violations"></div></section>
<section id="warnings-section" hidden><h2>Warnings</h2><ul id="warnings"></ul></section>
</main>
<script type="application/json" id="data">/*DATA*/</script>
<script>
"use strict";
(function () {
  const data = JSON.parse(document.getElementById("data").textContent);
  const el = (tag, text, cls) => {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  };
  const fmt = (n) => Number(n).toLocaleString("en-US");
  const bytes = (n) => {
    const u = ["B", "KB", "MB", "GB", "TB"]; let i = 0; let v = n;
    while (v >= 1000 && i < u.length - 1) { v /= 1000; i++; }
    return i === 0 ? n + " B" : v.toFixed(1) + " " + u[i];
  };
  const countBy = (items, key) => {
    const m = new Map();
    for (const it of items) { const k = key(it); m.set(k, (m.get(k) || 0) + 1); }
    return [...m.entries()].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])));
  };

  const repos = data.repos, findings = data.findings, violations = data.violations;
  const failed = repos.filter((r) => r.status === "failed");
  const generated = new Date(data.generated_at * 1000);
  document.getElementById("subtitle").textContent =
    "keyguard " + data.version + " \u00b7 generated " + generated.toISOString().replace("T", " ").slice(0, 16) + " UTC";

  const tiles = [
    ["repositories", repos.length, "total-repos"],
    ["scanned", repos.length - failed.length, "total-ok"],
    ["failed", failed.length, "total-failed", failed.length > 0],
    ["findings", findings.length, "total-findings", findings.length > 0],
    ["verified live", findings.filter((f) => f.verified === "live").length, "total-live", findings.some((f) => f.verified === "live")],
    ["blocking", repos.reduce((s, r) => s + r.blocking, 0), "total-blocking"],
    ["repositories with findings", repos.filter((r) => r.findings > 0).length, "total-affected"],
    ["policy violations", violations.length, "total-violations", violations.length > 0],
    ["bytes scanned", bytes(repos.reduce((s, r) => s + r.bytes_scanned, 0)), "total-bytes"],
  ];
  const totals = document.getElementById("totals");
  for (const [label, value, id, bad] of tiles) {
    const t = el("div", undefined, "tile" + (bad ? " bad" : ""));
    const n = el("div", typeof value === "number" ? fmt(value) : value, "n");
    n.id = id;
    t.append(n, el("div", label, "l"));
    totals.append(t);
  }

  function chart(id, rows, empty) {
    const host = document.getElementById(id);
    if (rows.length === 0) { host.append(el("p", empty, "empty")); return; }
    const max = Math.max(...rows.map((r) => r[1]));
    for (const [label, v] of rows) {
      const row = el("div", undefined, "row");
      const lab = el("div", label, "label"); lab.title = String(label);
      const track = el("div", undefined, "track");
      const fill = el("div", undefined, "fill");
      fill.style.width = (max ? (100 * v) / max : 0).toFixed(1) + "%";
      track.append(fill);
      row.append(lab, track, el("div", fmt(v), "v"));
      host.append(row);
    }
  }
  chart("by-family", countBy(findings, (f) => f.family || "(none)"), "No findings.");
  const DAY = 86400 * 1000;
  const buckets = ["< 30 days", "30\u201390 days", "90 days\u20131 year", "1\u20132 years", "> 2 years", "unknown date"];
  const age = (f) => {
    const t = f.date ? Date.parse(f.date) : NaN;
    if (Number.isNaN(t)) return buckets[5];
    const d = (generated.getTime() - t) / DAY;
    return d < 30 ? buckets[0] : d < 90 ? buckets[1] : d < 365 ? buckets[2] : d < 730 ? buckets[3] : buckets[4];
  };
  const ages = new Map(countBy(findings, age));
  chart("by-age", findings.length ? buckets.map((b) => [b, ages.get(b) || 0]).filter((r) => r[1] > 0) : [], "No findings.");
  chart("by-repo-chart", repos.filter((r) => r.findings > 0).map((r) => [r.name, r.findings])
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, 15), "No repository has findings.");
  chart("by-check", countBy(violations, (v) => v.check), "No policy violations (or no policy given).");

  // Sortable tables: click a header to sort by it; numbers sort as numbers.
  function table(id, columns, rows, empty) {
    const host = document.getElementById(id);
    if (rows.length === 0) { host.append(el("p", empty, "empty")); return; }
    const t = el("table"), thead = el("thead"), tbody = el("tbody"), hr = el("tr");
    columns.forEach((c, i) => {
      const th = el("th", c.title);
      th.addEventListener("click", () => sort(i, th));
      hr.append(th);
    });
    thead.append(hr);
    let current = rows.slice();
    const draw = () => {
      tbody.replaceChildren();
      for (const r of current) {
        const tr = el("tr");
        columns.forEach((c) => {
          const v = c.get(r);
          const td = el("td", c.show ? c.show(v, r) : v, (c.num ? "num " : "") + (c.cls ? c.cls(v, r) : ""));
          tr.append(td);
        });
        tbody.append(tr);
      }
    };
    function sort(i, th) {
      const dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
      for (const h of hr.children) h.removeAttribute("aria-sort");
      th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
      const c = columns[i];
      current.sort((a, b) => {
        const x = c.get(a), y = c.get(b);
        const r = c.num ? (Number(x) || 0) - (Number(y) || 0) : String(x ?? "").localeCompare(String(y ?? ""));
        return dir * r;
      });
      draw();
    }
    draw();
    t.append(thead, tbody);
    host.append(t);
  }
  const SEV = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };
  table("failed", [
    { title: "Repository", get: (r) => r.name },
    { title: "Source", get: (r) => r.source, cls: () => "code" },
    { title: "Error", get: (r) => r.error },
  ], failed, "None: every repository was scanned.");
  table("repos", [
    { title: "Repository", get: (r) => r.name },
    { title: "Status", get: (r) => r.status, cls: (v) => "status-" + v },
    { title: "Findings", get: (r) => r.findings, num: true },
    { title: "Blocking", get: (r) => r.blocking, num: true },
    { title: "Policy violations", get: (r) => r.policy_violations || 0, num: true },
    { title: "Scanned", get: (r) => r.bytes_scanned, num: true, show: (v) => bytes(v) },
    { title: "Seconds", get: (r) => r.duration_secs, num: true },
  ], repos, "No repositories.");
  const findingColumns = [
    { title: "Repository", get: (f) => f.repo },
    { title: "Severity", get: (f) => SEV[f.severity] ?? -1, num: true, show: (v, f) => f.severity, cls: (v, f) => "sev-" + f.severity },
    { title: "Rule", get: (f) => f.rule },
    { title: "Family", get: (f) => f.family },
    { title: "Location", get: (f) => f.path + ":" + f.line, cls: () => "code" },
    { title: "Secret (redacted)", get: (f) => f.secret, cls: () => "code" },
    { title: "Introduced", get: (f) => f.date || "" },
    { title: "Author", get: (f) => f.author || "" },
    { title: "Commit", get: (f) => (f.commit || "").slice(0, 12), cls: () => "code" },
    { title: "Verified", get: (f) => f.verified || "", cls: (v) => v === "live" ? "sev-critical" : "" },
    { title: "Why", get: (f) => f.verified_reason || "" },
  ];
  const verifiedFilter = document.getElementById("verified-filter");
  const drawFindings = () => {
    const want = verifiedFilter.value;
    document.getElementById("findings").replaceChildren();
    table("findings", findingColumns,
      findings.filter((f) => want === "all" || (f.verified || "not verified") === want), "No findings.");
  };
  verifiedFilter.addEventListener("change", drawFindings);
  drawFindings();
  table("violations", [
    { title: "Repository", get: (v) => v.repo },
    { title: "Check", get: (v) => v.check },
    { title: "Severity", get: (v) => SEV[v.severity] ?? -1, num: true, show: (x, v) => v.severity, cls: (x, v) => "sev-" + v.severity },
    { title: "Location", get: (v) => v.path + ":" + v.line, cls: () => "code" },
    { title: "Message", get: (v) => v.message },
  ], violations, "No policy violations (or no policy given).");
  if (data.warnings.length) {
    const ul = document.getElementById("warnings");
    for (const w of data.warnings) ul.append(el("li", w));
    document.getElementById("warnings-section").hidden = false;
  }
  document.body.dataset.rendered = "yes";
})();
</script>
</body>
</html>
"##;

#[cfg(test)]
mod tests {
    #[test]
    fn data_cannot_close_the_script() {
        let s = super::script_safe(r#"{"p":"</script><img src=x onerror=alert(1)>&"}"#);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["p"], "</script><img src=x onerror=alert(1)>&");
    }
}
