//! `keyguard refs`: the inventory as an aligned table (references, then what the
//! configuration declares) or as CSV (references, one row each).

use crate::policy::facts::Facts;
use std::fmt::Write;

/// Cells wider than this are cut with `…` so a table stays readable.
const MAX_CELL: usize = 48;

fn cut(s: &str) -> String {
    if s.chars().count() > MAX_CELL {
        let head: String = s.chars().take(MAX_CELL - 1).collect();
        format!("{head}…")
    } else {
        s.to_string()
    }
}

/// Rows under a header, columns padded to their widest cell.
fn table(out: &mut String, header: &[&str], rows: &[Vec<String>]) {
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut line = |cells: &mut dyn Iterator<Item = String>| {
        let mut l = String::new();
        for (i, (c, w)) in cells.zip(&width).enumerate() {
            if i > 0 {
                l.push_str("  ");
            }
            let _ = write!(l, "{c:<w$}");
        }
        out.push_str(l.trim_end());
        out.push('\n');
    };
    line(&mut header.iter().map(|h| h.to_string()));
    for r in rows {
        line(&mut r.iter().cloned());
    }
}

fn loc(p: &crate::policy::facts::Place) -> String {
    format!("{}:{}:{}", p.path, p.line, p.column)
}

fn opt(o: &Option<String>) -> String {
    o.as_deref().map_or_else(|| "-".to_string(), cut)
}

pub fn text(facts: &Facts) -> String {
    let mut out = String::new();
    let rows: Vec<Vec<String>> = facts
        .refs
        .iter()
        .map(|r| {
            vec![
                format!("{}:{}:{}", r.path, r.line, r.column),
                r.format.to_string(),
                r.kind.to_string(),
                opt(&r.store),
                cut(if r.name.is_empty() { "-" } else { &r.name }),
                opt(&r.version),
                opt(&r.consumer),
                opt(&r.environment),
            ]
        })
        .collect();
    if !rows.is_empty() {
        table(
            &mut out,
            &[
                "LOCATION",
                "FORMAT",
                "KIND",
                "STORE",
                "SECRET",
                "VERSION",
                "CONSUMER",
                "ENVIRONMENT",
            ],
            &rows,
        );
    }
    if !facts.secrets.is_empty() {
        out.push_str("\nDeclared secrets\n");
        let rows: Vec<Vec<String>> = facts
            .secrets
            .iter()
            .map(|d| {
                vec![
                    loc(&d.place),
                    d.format.to_string(),
                    d.kind.to_string(),
                    opt(&d.store),
                    cut(&d.name),
                    opt(&d.expires),
                    opt(&d.owner),
                    d.rotation_days
                        .map_or_else(|| "-".to_string(), |r| format!("{r} days")),
                    opt(&d.content_type),
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                "LOCATION", "FORMAT", "KIND", "STORE", "SECRET", "EXPIRES", "OWNER", "ROTATION",
                "TYPE",
            ],
            &rows,
        );
    }
    if !facts.stores.is_empty() {
        out.push_str("\nStores\n");
        let flag = |b: Option<bool>| b.map_or("-", |b| if b { "yes" } else { "no" });
        let rows: Vec<Vec<String>> = facts
            .stores
            .iter()
            .map(|s| {
                vec![
                    loc(&s.place),
                    s.format.to_string(),
                    s.kind.to_string(),
                    cut(&s.name),
                    flag(s.purge_protection).to_string(),
                    s.soft_delete_days
                        .map_or_else(|| "-".to_string(), |d| format!("{d} days")),
                    opt(&s.endpoint),
                ]
            })
            .collect();
        table(
            &mut out,
            &[
                "LOCATION",
                "FORMAT",
                "KIND",
                "STORE",
                "PURGE PROTECTION",
                "SOFT DELETE",
                "ENDPOINT",
            ],
            &rows,
        );
    }
    if !facts.grants.is_empty() {
        out.push_str("\nGrants\n");
        let rows: Vec<Vec<String>> = facts
            .grants
            .iter()
            .map(|g| {
                vec![
                    loc(&g.place),
                    g.format.to_string(),
                    opt(&g.consumer),
                    cut(&g.actions.join(",")),
                    cut(&g.resource),
                    if g.all_secrets { "every secret" } else { "" }.to_string(),
                ]
            })
            .collect();
        table(
            &mut out,
            &["LOCATION", "FORMAT", "CONSUMER", "ACTIONS", "RESOURCE", ""],
            &rows,
        );
    }
    if !facts.certificates.is_empty() {
        out.push_str("\nCertificates\n");
        let rows: Vec<Vec<String>> = facts
            .certificates
            .iter()
            .map(|c| vec![loc(&c.place), cut(&c.subject), c.not_after.clone()])
            .collect();
        table(&mut out, &["LOCATION", "SUBJECT", "NOT AFTER"], &rows);
    }
    let _ = writeln!(
        out,
        "\n{} secret references, {} declared secrets, {} stores, {} grants, {} certificates",
        facts.refs.len(),
        facts.secrets.len(),
        facts.stores.len(),
        facts.grants.len(),
        facts.certificates.len()
    );
    out
}

/// References as CSV (RFC 4180, formula-safe cells).
pub fn csv(facts: &Facts) -> String {
    let mut out = String::new();
    super::csv::row(
        &mut out,
        [
            "format",
            "path",
            "line",
            "column",
            "store",
            "name",
            "version",
            "consumer",
            "environment",
            "kind",
        ]
        .map(String::from),
    );
    let o = |o: &Option<String>| o.clone().unwrap_or_default();
    for r in &facts.refs {
        super::csv::row(
            &mut out,
            [
                r.format.to_string(),
                r.path.clone(),
                r.line.to_string(),
                r.column.to_string(),
                o(&r.store),
                r.name.clone(),
                o(&r.version),
                o(&r.consumer),
                o(&r.environment),
                r.kind.to_string(),
            ],
        );
    }
    out
}
