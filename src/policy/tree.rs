//! One document tree with positions for every structured configuration format the policy
//! reads: YAML (saphyr, multi-document, aliases resolved, `<<` merge keys applied), JSON and
//! JSONC (jsonc-parser) and HCL (hcl-edit). Extractors walk this tree instead of three
//! parser APIs, and every node knows the line and column it was written at.
//!
//! HCL maps onto the tree the way Terraform's JSON syntax does: a block `resource "a" "b" { … }`
//! becomes `resource → a → b → {…}`, repeated blocks (`access_policy { } access_policy { }`)
//! become a sequence, and expressions that are not literals (`var.x`, `upper(…)`) keep their
//! source text as a scalar.

use std::borrow::Cow;

/// A node and where it starts (1-based line and column, in characters).
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub line: usize,
    pub column: usize,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    /// Strings, numbers and booleans, as text (`true`, `42`, `2027-01-31`).
    Scalar(String),
    Seq(Vec<Node>),
    /// Entries in document order; the key's own position is the entry node's position for
    /// HCL blocks and the value's position otherwise.
    Map(Vec<(String, Node)>),
}

static NULL: Node = Node {
    line: 0,
    column: 0,
    value: Value::Null,
};

impl Node {
    fn new(line: usize, column: usize, value: Value) -> Node {
        Node {
            line,
            column,
            value,
        }
    }

    /// The value under `key` in a map.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value at a path of keys.
    pub fn at(&self, path: &[&str]) -> Option<&Node> {
        path.iter().try_fold(self, |n, k| n.get(k))
    }

    /// The text of a scalar, or of the scalar at a path of keys.
    pub fn str(&self) -> Option<&str> {
        match &self.value {
            Value::Scalar(s) => Some(s),
            _ => None,
        }
    }

    pub fn str_at(&self, path: &[&str]) -> Option<&str> {
        self.at(path).and_then(Node::str)
    }

    /// The items of a sequence; a single non-sequence value counts as a sequence of one
    /// (HCL repeated blocks and YAML's habit of writing one item without a list).
    pub fn items(&self) -> &[Node] {
        match &self.value {
            Value::Seq(items) => items,
            Value::Null => &[],
            _ => std::slice::from_ref(self),
        }
    }

    pub fn entries(&self) -> &[(String, Node)] {
        match &self.value {
            Value::Map(entries) => entries,
            _ => &[],
        }
    }

    pub fn is_map(&self) -> bool {
        matches!(self.value, Value::Map(_))
    }

    /// Every scalar below this node with its position (depth first, document order).
    pub fn scalars(&self) -> Vec<&Node> {
        let mut out = Vec::new();
        fn walk<'a>(n: &'a Node, out: &mut Vec<&'a Node>) {
            match &n.value {
                Value::Scalar(_) => out.push(n),
                Value::Seq(items) => items.iter().for_each(|i| walk(i, out)),
                Value::Map(entries) => entries.iter().for_each(|(_, v)| walk(v, out)),
                Value::Null => {}
            }
        }
        walk(self, &mut out);
        out
    }

    /// A missing node, for `unwrap_or(Node::null())`.
    pub fn null() -> &'static Node {
        &NULL
    }
}

/// Why a file could not be read as the format its name says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseProblem {
    pub line: usize,
    pub message: String,
}

/// Every YAML document in `text` (empty documents are dropped).
pub fn parse_yaml(text: &str) -> Result<Vec<Node>, ParseProblem> {
    use saphyr::LoadableYamlNode;
    let docs = saphyr::MarkedYaml::load_from_str(text).map_err(|e| ParseProblem {
        line: e.marker().line(),
        message: e.info().to_string(),
    })?;
    Ok(docs
        .iter()
        .map(from_yaml)
        .filter(|n| n.value != Value::Null)
        .collect())
}

fn from_yaml(y: &saphyr::MarkedYaml) -> Node {
    use saphyr::{Scalar, YamlData};
    let (line, column) = (y.span.start.line(), y.span.start.col() + 1);
    let value = match &y.data {
        YamlData::Value(s) => match s {
            Scalar::Null => Value::Null,
            Scalar::Boolean(b) => Value::Scalar(b.to_string()),
            Scalar::Integer(i) => Value::Scalar(i.to_string()),
            Scalar::FloatingPoint(f) => Value::Scalar(f.to_string()),
            Scalar::String(s) => Value::Scalar(s.to_string()),
        },
        YamlData::Representation(s, _, _) => Value::Scalar(s.to_string()),
        YamlData::Sequence(items) => Value::Seq(items.iter().map(from_yaml).collect()),
        YamlData::Mapping(map) => {
            let mut entries: Vec<(String, Node)> = Vec::new();
            let mut merges = Vec::new();
            for (k, v) in map.iter() {
                let key = match &k.data {
                    YamlData::Value(Scalar::String(s)) => s.to_string(),
                    YamlData::Value(s) => scalar_text(s).into_owned(),
                    _ => continue,
                };
                if key == "<<" {
                    merges.push(from_yaml(v));
                } else {
                    entries.push((key, from_yaml(v)));
                }
            }
            // Merge keys: entries written in the map win over merged ones.
            for m in merges {
                for src in m.items() {
                    for (k, v) in src.entries() {
                        if !entries.iter().any(|(e, _)| e == k) {
                            entries.push((k.clone(), v.clone()));
                        }
                    }
                }
            }
            Value::Map(entries)
        }
        // A tagged scalar (`!Ref X`) carries no span of its own: it starts at its tag.
        YamlData::Tagged(_, inner) => {
            let mut n = from_yaml(inner);
            if n.line == 0 {
                (n.line, n.column) = (line, column);
            }
            return n;
        }
        YamlData::Alias(_) | YamlData::BadValue => Value::Null,
    };
    Node::new(line, column, value)
}

fn scalar_text<'a>(s: &'a saphyr::Scalar) -> Cow<'a, str> {
    use saphyr::Scalar;
    match s {
        Scalar::Null => Cow::Borrowed("null"),
        Scalar::Boolean(b) => Cow::Owned(b.to_string()),
        Scalar::Integer(i) => Cow::Owned(i.to_string()),
        Scalar::FloatingPoint(f) => Cow::Owned(f.to_string()),
        Scalar::String(s) => Cow::Borrowed(s),
    }
}

/// YAML written inside a string scalar (SecretProviderClass `objects: |`), parsed with
/// positions shifted to where the string sits in the file: for a block scalar the content
/// starts on the line after the indicator, at the block's indentation.
pub fn parse_embedded_yaml(file_text: &str, scalar: &Node) -> Result<Vec<Node>, ParseProblem> {
    let inner = scalar.str().unwrap_or_default();
    let line_text = file_text
        .lines()
        .nth(scalar.line.saturating_sub(1))
        .unwrap_or("");
    let after: String = line_text.chars().skip(scalar.column - 1).collect();
    let block = after.starts_with('|') || after.starts_with('>');
    let (line_shift, col_shift) = if block {
        let indent = file_text
            .lines()
            .skip(scalar.line)
            .find(|l| !l.trim().is_empty())
            .map_or(0, |l| l.len() - l.trim_start().len());
        (scalar.line, indent)
    } else {
        // Quoted or plain: the content starts one character in (after a quote), close enough
        // for a one-line string; multi-line flow strings fold lines anyway.
        let quoted = after.starts_with('"') || after.starts_with('\'');
        (scalar.line - 1, scalar.column - 1 + usize::from(quoted))
    };
    let mut docs = parse_yaml(inner).map_err(|p| ParseProblem {
        line: p.line + line_shift,
        message: p.message,
    })?;
    fn shift(n: &mut Node, dl: usize, dc: usize) {
        if n.line == 1 || dl > 0 {
            n.column += dc;
        }
        n.line += dl;
        match &mut n.value {
            Value::Seq(items) => items.iter_mut().for_each(|i| shift(i, dl, dc)),
            Value::Map(entries) => entries.iter_mut().for_each(|(_, v)| shift(v, dl, dc)),
            _ => {}
        }
    }
    docs.iter_mut()
        .for_each(|d| shift(d, line_shift, col_shift));
    Ok(docs)
}

/// A JSON (or JSONC: comments and trailing commas allowed) document.
pub fn parse_json(text: &str) -> Result<Node, ParseProblem> {
    use jsonc_parser::{parse_to_ast, CollectOptions, ParseOptions};
    let lines = LineStarts::new(text);
    let parsed =
        parse_to_ast(text, &CollectOptions::default(), &ParseOptions::default()).map_err(|e| {
            ParseProblem {
                line: lines.line_col(text, e.range().start).0,
                message: e.kind().to_string(),
            }
        })?;
    Ok(parsed
        .value
        .as_ref()
        .map_or_else(|| NULL.clone(), |v| from_json(v, text, &lines)))
}

fn from_json(v: &jsonc_parser::ast::Value, text: &str, lines: &LineStarts) -> Node {
    use jsonc_parser::ast::Value as J;
    use jsonc_parser::common::Ranged;
    let (line, column) = lines.line_col(text, v.range().start);
    let value = match v {
        J::StringLit(s) => Value::Scalar(s.value.to_string()),
        J::NumberLit(n) => Value::Scalar(n.value.to_string()),
        J::BooleanLit(b) => Value::Scalar(b.value.to_string()),
        J::NullKeyword(_) => Value::Null,
        J::Array(a) => Value::Seq(
            a.elements
                .iter()
                .map(|e| from_json(e, text, lines))
                .collect(),
        ),
        J::Object(o) => Value::Map(
            o.properties
                .iter()
                .map(|p| {
                    (
                        p.name.as_str().to_string(),
                        from_json(&p.value, text, lines),
                    )
                })
                .collect(),
        ),
    };
    Node::new(line, column, value)
}

/// An HCL file's body as a map (see the module documentation for the mapping).
pub fn parse_hcl(text: &str) -> Result<Node, ParseProblem> {
    let body = hcl_edit::parser::parse_body(text).map_err(|e| ParseProblem {
        line: e.location().line(),
        message: e.message().to_string(),
    })?;
    let lines = LineStarts::new(text);
    Ok(hcl_body(&body, text, &lines, (1, 1)))
}

fn hcl_pos(
    span: Option<std::ops::Range<usize>>,
    text: &str,
    lines: &LineStarts,
    fallback: (usize, usize),
) -> (usize, usize) {
    span.map_or(fallback, |r| lines.line_col(text, r.start))
}

fn hcl_body(
    body: &hcl_edit::structure::Body,
    text: &str,
    lines: &LineStarts,
    at: (usize, usize),
) -> Node {
    use hcl_edit::structure::Structure;
    use hcl_edit::Span;
    let mut entries: Vec<(String, Node)> = Vec::new();
    for s in body.iter() {
        match s {
            Structure::Attribute(a) => {
                let pos = hcl_pos(a.span(), text, lines, at);
                let mut v = hcl_expr(&a.value, text, lines, pos);
                // Point at the attribute, so `expiration_date = …` is the reported line.
                (v.line, v.column) = pos;
                entries.push((a.key.as_str().to_string(), v));
            }
            Structure::Block(b) => {
                let pos = hcl_pos(b.span(), text, lines, at);
                let mut node = hcl_body(&b.body, text, lines, pos);
                for label in b.labels.iter().rev() {
                    node = Node::new(
                        pos.0,
                        pos.1,
                        Value::Map(vec![(label.as_str().to_string(), node)]),
                    );
                }
                insert_block(&mut entries, b.ident.as_str(), node);
            }
        }
    }
    Node::new(at.0, at.1, Value::Map(entries))
}

/// Add a block under `key`, merging labelled blocks (`resource "a" "x"`, `resource "a" "y"`)
/// and turning repeated unlabelled blocks into a sequence.
fn insert_block(entries: &mut Vec<(String, Node)>, key: &str, node: Node) {
    let Some(existing) = entries.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v) else {
        entries.push((key.to_string(), node));
        return;
    };
    // Both are maps of labels: merge label by label.
    let labelled = |n: &Node| match &n.value {
        Value::Map(e) => e.len() == 1 && e[0].1.is_map(),
        _ => false,
    };
    if labelled(existing) && labelled(&node) {
        if let (Value::Map(into), Value::Map(mut from)) = (&mut existing.value, node.value.clone())
        {
            let (k, v) = from.remove(0);
            if !into.iter().any(|(e, _)| *e == k) || v.entries().iter().all(|(_, c)| c.is_map()) {
                insert_block(into, &k, v);
                return;
            }
        }
    }
    match &mut existing.value {
        Value::Seq(items) => items.push(node),
        _ => {
            let first = std::mem::replace(existing, NULL.clone());
            *existing = Node::new(first.line, first.column, Value::Seq(vec![first, node]));
        }
    }
}

fn hcl_expr(
    e: &hcl_edit::expr::Expression,
    text: &str,
    lines: &LineStarts,
    at: (usize, usize),
) -> Node {
    use hcl_edit::expr::{Expression as E, ObjectKey};
    use hcl_edit::Span;
    let pos = hcl_pos(e.span(), text, lines, at);
    let value = match e {
        E::Null(_) => Value::Null,
        E::Bool(b) => Value::Scalar(b.value().to_string()),
        E::Number(n) => Value::Scalar(n.value().to_string()),
        E::String(s) => Value::Scalar(s.value().to_string()),
        E::Array(a) => Value::Seq(a.iter().map(|x| hcl_expr(x, text, lines, pos)).collect()),
        E::Object(o) => Value::Map(
            o.iter()
                .map(|(k, v)| {
                    let key = match k {
                        ObjectKey::Ident(i) => i.as_str().to_string(),
                        ObjectKey::Expression(x) => hcl_expr(x, text, lines, pos)
                            .str()
                            .unwrap_or_default()
                            .trim_matches('"')
                            .to_string(),
                    };
                    (key, hcl_expr(v.expr(), text, lines, pos))
                })
                .collect(),
        ),
        // Templates, references, calls, conditionals: their source text.
        _ => Value::Scalar(
            e.span()
                .and_then(|r| text.get(r))
                .unwrap_or_default()
                .trim()
                .trim_matches('"')
                .to_string(),
        ),
    };
    Node::new(pos.0, pos.1, value)
}

/// Byte offset → line and column, by binary search over line starts.
pub struct LineStarts(Vec<usize>);

impl LineStarts {
    pub fn new(text: &str) -> LineStarts {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        LineStarts(starts)
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let line = self.0.partition_point(|&s| s <= offset);
        let start = self.0[line - 1];
        let col = text
            .get(start..offset.min(text.len()))
            .map_or(1, |s| s.chars().count() + 1);
        (line, col)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_positions_merge_keys_and_documents() {
        let text = "base: &b\n  store: vault-prod\n---\nkind: X\nspec:\n  <<: {store: a, name: n}\n  store: b\n";
        let docs = parse_yaml(text).unwrap();
        assert_eq!(docs.len(), 2);
        let spec = docs[1].get("spec").unwrap();
        assert_eq!(spec.str_at(&["store"]), Some("b"));
        assert_eq!(spec.str_at(&["name"]), Some("n"));
        let store = docs[0].at(&["base", "store"]).unwrap();
        assert_eq!((store.line, store.column), (2, 10));
    }

    #[test]
    fn tagged_scalars_start_at_their_tag() {
        let docs = parse_yaml("a: !Ref X\nb:\n  - !Sub 'y'\n").unwrap();
        let a = docs[0].get("a").unwrap();
        assert_eq!((a.str(), a.line, a.column), (Some("X"), 1, 4));
        let y = &docs[0].get("b").unwrap().items()[0];
        assert_eq!((y.str(), y.line, y.column), (Some("y"), 3, 5));
    }

    #[test]
    fn embedded_block_scalar_points_into_the_file() {
        let text = "spec:\n  parameters:\n    objects: |\n      array:\n        - objectName: db\n";
        let docs = parse_yaml(text).unwrap();
        let objects = docs[0].at(&["spec", "parameters", "objects"]).unwrap();
        let inner = parse_embedded_yaml(text, objects).unwrap();
        let name = inner[0].get("array").unwrap().items()[0]
            .get("objectName")
            .unwrap();
        assert_eq!(name.str(), Some("db"));
        assert_eq!((name.line, name.column), (5, 23));
    }

    #[test]
    fn json_and_hcl_positions() {
        let json = parse_json("{\n  // c\n  \"a\": {\"b\": 1,},\n}").unwrap();
        let b = json.at(&["a", "b"]).unwrap();
        assert_eq!((b.str(), b.line, b.column), (Some("1"), 3, 14));

        let hcl = "resource \"azurerm_key_vault_secret\" \"a\" {\n  name = \"x\"\n  expiration_date = var.exp\n}\nresource \"azurerm_key_vault_secret\" \"b\" {\n  tags = { owner = \"me\" }\n  access_policy { p = 1 }\n  access_policy { p = 2 }\n}\n";
        let body = parse_hcl(hcl).unwrap();
        let secrets = body.at(&["resource", "azurerm_key_vault_secret"]).unwrap();
        assert_eq!(secrets.entries().len(), 2);
        let a = secrets.get("a").unwrap();
        assert_eq!(a.str_at(&["name"]), Some("x"));
        assert_eq!(a.str_at(&["expiration_date"]), Some("var.exp"));
        assert_eq!(a.get("expiration_date").unwrap().line, 3);
        let b = secrets.get("b").unwrap();
        assert_eq!(b.str_at(&["tags", "owner"]), Some("me"));
        assert_eq!(b.get("access_policy").unwrap().items().len(), 2);
    }

    #[test]
    fn malformed_input_names_the_line() {
        assert_eq!(parse_yaml("a: 1\nb: [\n").unwrap_err().line, 3);
        assert_eq!(parse_json("{\n\"a\": }").unwrap_err().line, 2);
        assert!(parse_hcl("resource \"x\" {\n  a = \n").is_err());
    }
}
