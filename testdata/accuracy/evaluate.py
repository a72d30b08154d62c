#!/usr/bin/env python3
"""Score keyguard against the accuracy corpus written by generate.py.

    python3 testdata/accuracy/evaluate.py CORPUS --keyguard BIN [--config FILE] [--markdown]
                                          [--min-precision 0.95] [--min-recall 0.95]

Runs `BIN scan CORPUS -f json --show-secrets -q [--config FILE]` and matches its findings
against CORPUS/truth.json:

* a finding matches a planted secret when it has the same path, its line range meets the
  planted value's lines (a single line; BEGIN..END for a multi-line PEM block) and its secret
  overlaps the planted value (one is a substring of the other, the shorter being at least
  MIN_OVERLAP characters). The rule's family does not matter: a `generic` rule, or another
  family's rule, that fires on a planted secret has found it;
* a planted secret is recalled (TP) when at least one finding matches it, else it is a FN;
* a finding that matches no planted secret is a false positive (FP), attributed to the
  family of the rule that fired; when it overlaps a decoy the decoy's kind is shown.

Per family: precision = TP / (TP + FP), recall = TP / (TP + FN), where TP counts the family's
recalled planted secrets and FP the family's rules' unmatched findings. Exits 1 when overall
precision or recall is below its threshold, 2 when keyguard or the corpus cannot be read.
"""
import argparse
import json
import os
import subprocess
import sys
from collections import defaultdict

MIN_OVERLAP = 6
# families whose planted value is a whole URL: reporting only its password is a full find
CONTAINER_FAMILIES = {"database", "url"}
TRUTH = "truth.json"


def load_findings(args):
    if args.findings:
        with open(args.findings, encoding="utf-8") as fh:
            return json.load(fh)
    cmd = [args.keyguard, "scan", args.corpus, "-f", "json", "--show-secrets", "-q"]
    if args.config:
        cmd += ["--config", args.config]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=args.timeout)
    except (OSError, subprocess.TimeoutExpired) as e:
        sys.exit(f"evaluate: cannot run {' '.join(cmd)}: {e}")
    # keyguard: 0 = nothing blocking, 1 = blocking findings, 2 = usage/config/I-O error
    if p.returncode not in (0, 1):
        sys.stderr.write(p.stderr.decode("utf-8", "replace"))
        print(f"evaluate: keyguard exited {p.returncode}: {' '.join(cmd)}", file=sys.stderr)
        sys.exit(2)
    try:
        return json.loads(p.stdout)
    except ValueError as e:
        sys.stderr.write(p.stderr.decode("utf-8", "replace"))
        print(f"evaluate: keyguard did not print a JSON report: {e}", file=sys.stderr)
        sys.exit(2)


def overlaps(secret, value, minimum=MIN_OVERLAP):
    if not secret or not value:
        return False
    short, long_ = (secret, value) if len(secret) <= len(value) else (value, secret)
    return len(short) >= min(minimum, len(value)) and short in long_


def redact(s):
    s = s or ""
    return (s[:4] + "…") if len(s) > 4 else s


def pct(n, d):
    return "—" if d == 0 else f"{100.0 * n / d:.1f}%"


def evaluate(truth, findings):
    planted = [t for t in truth if not t.get("decoy")]
    decoys = [t for t in truth if t.get("decoy")]
    by_path = defaultdict(list)
    for t in truth:
        by_path[t["path"]].append(t)

    recalled = {}  # id(planted) -> list of findings
    fps = []
    tp_findings = 0
    for f in findings:
        path = f.get("path", "")
        if path == TRUTH:
            continue
        lo = f.get("line", 0)
        hi = max(lo, f.get("end_line") or lo)
        secret = f.get("secret", "")
        hit = None
        decoy = None
        for t in by_path.get(path, ()):
            t_end = t.get("end_line", t["line"])
            if lo > t_end or hi < t["line"]:
                continue
            if t.get("decoy"):
                if decoy is None and (overlaps(secret, t["value"], 1)):
                    decoy = t
                continue
            if overlaps(secret, t["value"]):
                hit = t
                recalled.setdefault(id(t), []).append(f)
        if hit is not None:
            tp_findings += 1
        else:
            fps.append((f, decoy))

    fams = defaultdict(lambda: {"planted": 0, "tp": 0, "fn": 0, "fp": 0})
    fns = []
    cross = []
    partial = []
    for t in planted:
        row = fams[t["family"]]
        row["planted"] += 1
        hits = recalled.get(id(t))
        if hits:
            row["tp"] += 1
            rule_fams = {h.get("family") for h in hits}
            if t["family"] not in rule_fams and not rule_fams <= {"generic"}:
                cross.append((t, hits))
            # a URL or connection string may legitimately be reported as its password only
            best = max(len(h.get("secret", "")) for h in hits)
            if t["family"] not in CONTAINER_FAMILIES and best < len(t["value"]):
                partial.append((t, hits))
        else:
            row["fn"] += 1
            fns.append(t)
    for f, _ in fps:
        fams[f.get("family") or "?"]["fp"] += 1

    total = {k: sum(r[k] for r in fams.values()) for k in ("planted", "tp", "fn", "fp")}
    total["decoys"] = len(decoys)
    return {
        "families": dict(fams), "total": total, "fps": fps, "fns": fns, "cross": cross, "partial": partial,
        "findings": len([f for f in findings if f.get("path") != TRUTH]), "tp_findings": tp_findings,
    }


def render(res, markdown, corpus):
    out = []
    fams = res["families"]
    order = sorted(fams, key=lambda k: (k == "?", k))
    tot = res["total"]
    cols = ["family", "planted", "TP", "FN", "FP", "precision", "recall"]
    rows = []
    for k in order:
        r = fams[k]
        rows.append([k, r["planted"], r["tp"], r["fn"], r["fp"], pct(r["tp"], r["tp"] + r["fp"]), pct(r["tp"], r["planted"])])
    rows.append(["**overall**" if markdown else "OVERALL", tot["planted"], tot["tp"], tot["fn"], tot["fp"],
                 pct(tot["tp"], tot["tp"] + tot["fp"]), pct(tot["tp"], tot["planted"])])

    if markdown:
        out.append(f"### keyguard accuracy on `{corpus}`")
        out.append("")
        out.append(f"{res['findings']} findings; {tot['planted']} planted secrets, {tot['decoys']} decoys.")
        out.append("")
        out.append("| " + " | ".join(cols) + " |")
        out.append("|" + "|".join(["---"] + ["---:"] * (len(cols) - 1)) + "|")
        for row in rows:
            out.append("| " + " | ".join(str(x) for x in row) + " |")
    else:
        out.append(f"keyguard accuracy on {corpus}: {res['findings']} findings; "
                   f"{tot['planted']} planted secrets, {tot['decoys']} decoys")
        widths = [max(len(str(r[i])) for r in rows + [cols]) for i in range(len(cols))]
        fmt = "  ".join("{:<%d}" % widths[0] if i == 0 else "{:>%d}" % widths[i] for i in range(len(cols)))
        out.append(fmt.format(*cols))
        for row in rows:
            out.append(fmt.format(*[str(x) for x in row]))

    def section(title, lines):
        if not lines:
            return
        out.append("")
        out.append(f"#### {title}" if markdown else f"{title}:")
        if markdown:
            out.append("")
        for ln in lines:
            out.append(("- " if markdown else "  ") + ln)

    code = (lambda s: f"`{s}`") if markdown else (lambda s: s)
    fp_lines = []
    for f, decoy in sorted(res["fps"], key=lambda x: (x[0].get("family", ""), x[0].get("rule_id", ""), x[0].get("path", ""), x[0].get("line", 0))):
        what = f"decoy {decoy['family']}/{decoy['kind']}" if decoy else "not planted"
        fp_lines.append(f"{code(f.get('rule_id', '?'))} {f.get('path')}:{f.get('line')} "
                        f"secret {code(redact(f.get('secret')))} ({what})")
    section(f"False positives ({len(res['fps'])})", fp_lines)
    fn_lines = [f"{t['family']}/{t['kind']} {t['path']}:{t['line']} {code(redact(t['value']))}"
                for t in sorted(res["fns"], key=lambda t: (t["family"], t["kind"], t["path"], t["line"]))]
    section(f"False negatives ({len(res['fns'])})", fn_lines)
    cross_lines = [f"{t['family']}/{t['kind']} {t['path']}:{t['line']} found by "
                   + ", ".join(sorted({code(h.get('rule_id', '?')) for h in hits}))
                   for t, hits in res["cross"]]
    section(f"Found only by another family's rule ({len(res['cross'])})", cross_lines)
    partial_lines = [f"{t['family']}/{t['kind']} {t['path']}:{t['line']} by "
                     + ", ".join(sorted({code(h.get('rule_id', '?')) for h in hits}))
                     + f": {max(len(h.get('secret', '')) for h in hits)} of {len(t['value'])} chars"
                     for t, hits in res["partial"]]
    section(f"Partial matches: the finding covers only part of the planted value ({len(res['partial'])})", partial_lines)
    return "\n".join(out) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("--keyguard", default="keyguard", help="keyguard binary (default: keyguard on PATH)")
    ap.add_argument("--config", help="passed to keyguard scan --config")
    ap.add_argument("--findings", help="read this keyguard JSON report instead of running keyguard")
    ap.add_argument("--markdown", action="store_true", help="print Markdown tables")
    ap.add_argument("--min-precision", type=float, default=0.95)
    ap.add_argument("--min-recall", type=float, default=0.95)
    ap.add_argument("--timeout", type=float, default=600)
    args = ap.parse_args(argv)

    truth_path = os.path.join(args.corpus, TRUTH)
    try:
        with open(truth_path, encoding="utf-8") as fh:
            truth = json.load(fh)
    except (OSError, ValueError) as e:
        print(f"evaluate: cannot read {truth_path}: {e} (run generate.py first)", file=sys.stderr)
        return 2
    report = load_findings(args)
    findings = report.get("findings", []) if isinstance(report, dict) else []
    if any(f.get("redacted") for f in findings):
        print("evaluate: the report has redacted secrets; keyguard must run with --show-secrets", file=sys.stderr)
        return 2

    res = evaluate(truth, findings)
    sys.stdout.write(render(res, args.markdown, args.corpus))
    tot = res["total"]
    precision = tot["tp"] / (tot["tp"] + tot["fp"]) if tot["tp"] + tot["fp"] else 0.0
    recall = tot["tp"] / tot["planted"] if tot["planted"] else 0.0
    ok = precision >= args.min_precision and recall >= args.min_recall
    print(f"\n{'PASS' if ok else 'FAIL'}: precision {precision:.3f} (min {args.min_precision}), "
          f"recall {recall:.3f} (min {args.min_recall})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
