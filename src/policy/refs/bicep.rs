//! Bicep (`*.bicep`) and Bicep parameter files (`*.bicepparam`).
//!
//! There is no Bicep parser crate, so a small scanner reads the statements that matter —
//! `resource`, `module`, `param`, `var` (with `@secure()` decorators) — and turns their
//! values into the shared document tree (objects, arrays, `[for …: {…}]` loops as a one-item
//! array, `if (…) {…}` conditions as their object). Other values keep their source text;
//! which scalars were written as literals (`'text'` without `${…}`, numbers, `true`) is
//! recorded on the side, so a literal is never confused with a parameter of the same name.
//! Everything else (`type`, `func`, `import`, `output`, …) is skipped statement by statement.
//!
//! What it reports (Key Vault rules shared with ARM, see `arm.rs`):
//! - `resource s 'Microsoft.KeyVault/vaults/secrets@…' = {…}` (or `'secrets'` nested in a
//!   vault) → [`SecretDecl`](crate::policy::facts::SecretDecl) (format `bicep`, at the
//!   `resource` keyword): store = the vault's `name` via `parent: <vault symbol>`, the
//!   enclosing vault, or the `vault/secret` name; `properties.attributes.exp`/`nbf`,
//!   `properties.contentType`, `tags`; a literal `properties.value` → a `literal` reference.
//! - `'Microsoft.KeyVault/vaults@…'` (not `existing`) → store with purge protection,
//!   soft delete and access policies as grants; `…/vaults/accessPolicies` → grants.
//! - `<vault>.getSecret('name'[, 'version'])` → reference (store = that vault resource's
//!   `name`, usually an `existing` one; consumer `<module>.<param>`), and in `.bicepparam`
//!   files `az.getSecret('<sub>', '<rg>', '<vault>', '<secret>'[, '<version>'])` (consumer =
//!   the parameter).
//! - a `@secure()` parameter with a literal default → `literal`; a `.bicepparam` parameter
//!   with a secret-like name and a literal value → `value`.
//!
//! Names are the literal text, or the expression's source text (`kvName`, `${prefix}-kv`).
//! A file the scanner cannot follow (unterminated string, object or comment) gets a warning
//! with its line; what was read before that point is still reported.

use super::arm::{self, Lang};
use super::{Input, SecretRef};
use crate::policy::facts::{Facts, Problem};
use crate::policy::tree::{LineStarts, Node, Value};
use std::collections::{HashMap, HashSet};

pub fn extract(input: &Input, out: &mut Facts) {
    let lower = input.name.to_ascii_lowercase();
    let params_file = lower.ends_with(".bicepparam");
    if !params_file && !lower.ends_with(".bicep") {
        return;
    }
    let mut p = Parser::new(input.text);
    if let Err(e) = p.file() {
        let (line, _) = p.lines.line_col(input.text, e.offset.min(input.text.len()));
        out.problems.push(Problem {
            path: input.path.to_string(),
            line,
            message: format!(
                "not valid Bicep ({}); references after this point skipped",
                e.message
            ),
            note: false,
        });
    }
    report(input, &p, params_file, out);
}

// ---------------------------------------------------------------- scanner

struct ParseError {
    offset: usize,
    message: String,
}

type Parse<T> = Result<T, ParseError>;

struct Resource {
    sym: String,
    /// Lower-case type without the API version: `microsoft.keyvault/vaults`, `secrets`.
    ty: String,
    existing: bool,
    at: (usize, usize),
    body: Node,
    parent: Option<usize>,
}

struct Module {
    sym: String,
    body: Node,
}

struct Param {
    name: String,
    secure: bool,
    value: Option<Node>,
}

struct Parser<'t> {
    text: &'t str,
    b: &'t [u8],
    pos: usize,
    lines: LineStarts,
    /// Positions of scalars written as literals.
    literals: HashSet<(usize, usize)>,
    /// Byte offset of each expression scalar, by position.
    offsets: HashMap<(usize, usize), usize>,
    resources: Vec<Resource>,
    modules: Vec<Module>,
    params: Vec<Param>,
    vars: Vec<(String, Node)>,
    enclosing: Vec<usize>,
    depth: usize,
}

fn ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

impl<'t> Parser<'t> {
    fn new(text: &'t str) -> Self {
        Parser {
            text,
            b: text.as_bytes(),
            pos: 0,
            lines: LineStarts::new(text),
            literals: HashSet::new(),
            offsets: HashMap::new(),
            resources: Vec::new(),
            modules: Vec::new(),
            params: Vec::new(),
            vars: Vec::new(),
            enclosing: Vec::new(),
            depth: 0,
        }
    }

    fn err<T>(&self, offset: usize, message: &str) -> Parse<T> {
        Err(ParseError {
            offset,
            message: message.to_string(),
        })
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<u8> {
        self.b.get(self.pos + n).copied()
    }

    fn pos_of(&self, offset: usize) -> (usize, usize) {
        self.lines.line_col(self.text, offset)
    }

    /// Skip blanks and comments, and line breaks too when `newlines`.
    fn skip_ws(&mut self, newlines: bool) -> Parse<()> {
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\n' if newlines => self.pos += 1,
                // Comments, and pragmas (`#disable-next-line BCP036`) read as comments.
                b'#' if self.peek_at(1).is_some_and(|c| c.is_ascii_alphabetic()) => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.pos += 1;
                    }
                }
                b'/' if self.peek_at(1) == Some(b'/') => {
                    while self.peek().is_some_and(|c| c != b'\n') {
                        self.pos += 1;
                    }
                }
                b'/' if self.peek_at(1) == Some(b'*') => {
                    let start = self.pos;
                    match self.text[self.pos + 2..].find("*/") {
                        Some(end) => self.pos += 2 + end + 2,
                        None => return self.err(start, "unterminated comment"),
                    }
                }
                _ => break,
            }
        }
        Ok(())
    }

    fn ident(&mut self) -> Option<&'t str> {
        let start = self.pos;
        if !self
            .peek()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_')
        {
            return None;
        }
        while self.peek().is_some_and(ident_char) {
            self.pos += 1;
        }
        Some(&self.text[start..self.pos])
    }

    /// The identifier at the cursor, without moving.
    fn peek_ident(&mut self) -> Option<&'t str> {
        let save = self.pos;
        let id = self.ident();
        self.pos = save;
        id
    }

    /// A string at the cursor: (content, interpolated). Escapes are decoded in literals.
    fn string(&mut self) -> Parse<(String, bool)> {
        let start = self.pos;
        if self.text[self.pos..].starts_with("'''") {
            return match self.text[self.pos + 3..].find("'''") {
                Some(end) => {
                    let s = self.text[self.pos + 3..self.pos + 3 + end].to_string();
                    self.pos += 3 + end + 3;
                    // A leading line break after the opening quotes is not part of the text.
                    let s = s.strip_prefix('\n').map(str::to_string).unwrap_or(s);
                    Ok((s, false))
                }
                None => self.err(start, "unterminated multi-line string"),
            };
        }
        self.pos += 1;
        let mut out = String::new();
        let mut interpolated = false;
        loop {
            let Some(c) = self.peek() else {
                return self.err(start, "unterminated string");
            };
            match c {
                b'\'' => {
                    self.pos += 1;
                    return Ok((out, interpolated));
                }
                b'\n' => return self.err(start, "unterminated string"),
                b'\\' => {
                    let e = self.peek_at(1);
                    self.pos += 2;
                    match e {
                        Some(b'n') => out.push('\n'),
                        Some(b'r') => out.push('\r'),
                        Some(b't') => out.push('\t'),
                        Some(b'u') if self.peek() == Some(b'{') => {
                            let close = self.text[self.pos..].find('}').unwrap_or(0);
                            let hex = &self.text[self.pos + 1..self.pos + close.max(1)];
                            if let Some(ch) =
                                u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
                            {
                                out.push(ch);
                            }
                            self.pos += close + 1;
                        }
                        Some(e) if e.is_ascii() => out.push(e as char),
                        _ => return self.err(start, "bad escape in string"),
                    }
                }
                b'$' if self.peek_at(1) == Some(b'{') => {
                    interpolated = true;
                    let from = self.pos;
                    self.pos += 2;
                    self.balanced(b'}')?;
                    out.push_str(&self.text[from..self.pos]);
                }
                _ => {
                    let ch = self.text[self.pos..].chars().next().expect("in bounds");
                    out.push(ch);
                    self.pos += ch.len_utf8();
                }
            }
        }
    }

    /// Scan to just past the `close` byte that ends the current nesting (strings and inner
    /// brackets skipped).
    fn balanced(&mut self, close: u8) -> Parse<()> {
        let start = self.pos;
        let mut stack = vec![close];
        while let Some(c) = self.peek() {
            match c {
                b'\'' => {
                    self.string()?;
                    continue;
                }
                b'/' if matches!(self.peek_at(1), Some(b'/' | b'*')) => {
                    self.skip_ws(false)?;
                    continue;
                }
                b'(' => stack.push(b')'),
                b'[' => stack.push(b']'),
                b'{' => stack.push(b'}'),
                b')' | b']' | b'}' => {
                    if stack.pop() != Some(c) {
                        return self.err(self.pos, "unbalanced brackets");
                    }
                    if stack.is_empty() {
                        self.pos += 1;
                        return Ok(());
                    }
                }
                _ => {}
            }
            self.pos += 1;
        }
        self.err(start, "unterminated brackets")
    }

    /// Source text up to the end of the value: a line break, `,` or a closing bracket at
    /// depth 0 (`stop_at_comma`), or the end of the statement.
    fn scan_expression(&mut self, stop_at_comma: bool) -> Parse<(usize, usize)> {
        let start = self.pos;
        // The end of the last code read: blanks and comments after it are not the value's.
        let mut end = start;
        while let Some(c) = self.peek() {
            match c {
                b' ' | b'\t' | b'\r' => {
                    self.pos += 1;
                    continue;
                }
                b'/' if matches!(self.peek_at(1), Some(b'/' | b'*')) => {
                    self.skip_ws(false)?;
                    continue;
                }
                b'\'' => {
                    self.string()?;
                }
                b'(' | b'[' | b'{' => {
                    self.pos += 1;
                    self.balanced(match c {
                        b'(' => b')',
                        b'[' => b']',
                        _ => b'}',
                    })?;
                }
                b'\n' => {
                    // A ternary or boolean operator opening the next line continues the
                    // expression (`cond\n  ? a\n  : b`, the formatter's layout).
                    let save = self.pos;
                    self.skip_ws(true)?;
                    let rest = &self.text[self.pos..];
                    if ["?", ":", "&&", "||"].iter().any(|op| rest.starts_with(op)) {
                        continue;
                    }
                    self.pos = save;
                    break;
                }
                b')' | b']' | b'}' => break,
                b',' if stop_at_comma => break,
                _ => self.pos += 1,
            }
            end = self.pos;
        }
        Ok((start, end))
    }

    fn value(&mut self) -> Parse<Node> {
        self.skip_ws(false)?;
        self.depth += 1;
        if self.depth > 200 {
            return self.err(self.pos, "values nested too deeply");
        }
        let v = self.value_inner();
        self.depth -= 1;
        v
    }

    fn value_inner(&mut self) -> Parse<Node> {
        let start = self.pos;
        let (line, column) = self.pos_of(start);
        match self.peek() {
            Some(b'{') => return self.object(),
            Some(b'[') => return self.array(),
            Some(b'\'') => {
                let (s, interpolated) = self.string()?;
                if self.at_value_end()? {
                    if !interpolated {
                        self.literals.insert((line, column));
                    }
                    return Ok(Node {
                        line,
                        column,
                        value: Value::Scalar(s),
                    });
                }
                self.pos = start; // `'a' == b ? …`: an expression that starts with a string
            }
            _ => {}
        }
        if self.peek_ident() == Some("if") {
            let save = self.pos;
            self.pos += 2;
            self.skip_ws(false)?;
            if self.peek() == Some(b'(') {
                self.pos += 1;
                self.balanced(b')')?;
                return self.value();
            }
            self.pos = save;
        }
        let (s, e) = self.scan_expression(true)?;
        if s == e {
            return self.err(start, "expected a value");
        }
        let text = &self.text[s..e];
        let value = if text == "null" {
            Value::Null
        } else {
            let literal = matches!(text, "true" | "false")
                || text.trim_start_matches('-').parse::<f64>().is_ok();
            if literal {
                self.literals.insert((line, column));
            } else {
                self.offsets.insert((line, column), s);
            }
            Value::Scalar(text.to_string())
        };
        Ok(Node {
            line,
            column,
            value,
        })
    }

    /// After a value: only blanks, a comment, a separator or a closing bracket follow.
    fn at_value_end(&mut self) -> Parse<bool> {
        let save = self.pos;
        self.skip_ws(false)?;
        let end = matches!(self.peek(), None | Some(b'\n' | b',' | b'}' | b']' | b')'));
        self.pos = save;
        Ok(end)
    }

    fn object(&mut self) -> Parse<Node> {
        let start = self.pos;
        let (line, column) = self.pos_of(start);
        self.pos += 1;
        let mut entries = Vec::new();
        loop {
            self.skip_ws(true)?;
            match self.peek() {
                None => return self.err(start, "unterminated object"),
                Some(b'}') => {
                    self.pos += 1;
                    break;
                }
                Some(b',') => {
                    self.pos += 1;
                    continue;
                }
                Some(b'@') => {
                    self.decorator()?;
                    continue;
                }
                // `...otherObject`: spread entries are not read.
                Some(b'.') if self.text[self.pos..].starts_with("...") => {
                    self.pos += 3;
                    self.scan_expression(true)?;
                    continue;
                }
                Some(b'\'') => {
                    let (key, _) = self.string()?;
                    self.property(key, &mut entries)?;
                }
                _ => {
                    let at = self.pos;
                    let Some(key) = self.ident() else {
                        return self.err(at, "expected a property name");
                    };
                    if key == "resource" {
                        self.skip_ws(false)?;
                        if self.peek() != Some(b':') {
                            self.resource(at)?;
                            continue;
                        }
                    }
                    self.property(key.to_string(), &mut entries)?;
                }
            }
        }
        Ok(Node {
            line,
            column,
            value: Value::Map(entries),
        })
    }

    fn property(&mut self, key: String, entries: &mut Vec<(String, Node)>) -> Parse<()> {
        self.skip_ws(false)?;
        if self.peek() != Some(b':') {
            return self.err(self.pos, "expected `:` after a property name");
        }
        self.pos += 1;
        let v = self.value()?;
        entries.push((key, v));
        Ok(())
    }

    fn array(&mut self) -> Parse<Node> {
        let start = self.pos;
        let (line, column) = self.pos_of(start);
        self.pos += 1;
        self.skip_ws(true)?;
        if self.peek_ident() == Some("for") {
            // [for x in xs: value] — the header ends at the first `:` outside brackets.
            self.pos += 3;
            loop {
                match self.peek() {
                    None => return self.err(start, "unterminated loop"),
                    Some(b':') => break,
                    Some(b'\'') => {
                        self.string()?;
                        continue;
                    }
                    Some(b'(') => {
                        self.pos += 1;
                        self.balanced(b')')?;
                        continue;
                    }
                    Some(b'[') => {
                        self.pos += 1;
                        self.balanced(b']')?;
                        continue;
                    }
                    _ => self.pos += 1,
                }
            }
            self.pos += 1;
            let item = self.value()?;
            self.skip_ws(true)?;
            if self.peek() != Some(b']') {
                return self.err(start, "unterminated loop");
            }
            self.pos += 1;
            return Ok(Node {
                line,
                column,
                value: Value::Seq(vec![item]),
            });
        }
        let mut items = Vec::new();
        loop {
            self.skip_ws(true)?;
            match self.peek() {
                None => return self.err(start, "unterminated array"),
                Some(b']') => {
                    self.pos += 1;
                    break;
                }
                Some(b',') => self.pos += 1,
                _ => items.push(self.value()?),
            }
        }
        Ok(Node {
            line,
            column,
            value: Value::Seq(items),
        })
    }

    /// `@name(…)` → the name.
    fn decorator(&mut self) -> Parse<&'t str> {
        let at = self.pos;
        self.pos += 1;
        // `@sys.secure()`: the namespace does not matter.
        let mut name = self.ident().unwrap_or_default();
        while self.peek() == Some(b'.') {
            self.pos += 1;
            name = self.ident().unwrap_or_default();
        }
        if name.is_empty() {
            return self.err(at, "expected a decorator name");
        }
        self.skip_ws(false)?;
        if self.peek() == Some(b'(') {
            self.pos += 1;
            self.balanced(b')')?;
        }
        Ok(name)
    }

    /// `resource <sym> '<type>@<version>' [existing] = <value>`, the keyword at `at`.
    fn resource(&mut self, at: usize) -> Parse<()> {
        self.skip_ws(false)?;
        let sym = self.ident().unwrap_or_default().to_string();
        self.skip_ws(false)?;
        if self.peek() != Some(b'\'') {
            return self.err(self.pos, "expected the resource type");
        }
        let (ty, _) = self.string()?;
        self.skip_ws(false)?;
        let existing = self.peek_ident() == Some("existing");
        if existing {
            self.pos += "existing".len();
            self.skip_ws(false)?;
        }
        if self.peek() != Some(b'=') {
            return self.err(self.pos, "expected `=` in a resource declaration");
        }
        self.pos += 1;
        let index = self.resources.len();
        self.resources.push(Resource {
            sym,
            ty: ty
                .split('@')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase(),
            existing,
            at: self.pos_of(at),
            body: Node::null().clone(),
            parent: self.enclosing.last().copied(),
        });
        self.enclosing.push(index);
        let body = self.value();
        self.enclosing.pop();
        self.resources[index].body = body?;
        Ok(())
    }

    /// The file's statements.
    fn file(&mut self) -> Parse<()> {
        let mut secure = false;
        loop {
            self.skip_ws(true)?;
            let at = self.pos;
            match self.peek() {
                None => return Ok(()),
                Some(b'@') => {
                    secure |= self.decorator()? == "secure";
                    continue;
                }
                _ => {}
            }
            match self.ident() {
                Some("resource") => self.resource(at)?,
                Some("module") => {
                    self.skip_ws(false)?;
                    let sym = self.ident().unwrap_or_default().to_string();
                    self.skip_ws(false)?;
                    if self.peek() == Some(b'\'') {
                        self.string()?;
                    }
                    self.skip_ws(false)?;
                    if self.peek() == Some(b'=') {
                        self.pos += 1;
                        let body = self.value()?;
                        self.modules.push(Module { sym, body });
                    }
                }
                Some(kw @ ("param" | "var")) => {
                    self.skip_ws(false)?;
                    let name = self.ident().unwrap_or_default().to_string();
                    let value = self.declared_value()?;
                    if kw == "param" {
                        self.params.push(Param {
                            name,
                            secure,
                            value,
                        });
                    } else if let Some(v) = value {
                        self.vars.push((name, v));
                    }
                }
                _ => {
                    // Anything else (`output`, `type`, `import`, `using`, a `func` body on
                    // its own line, …): to its end.
                    self.scan_expression(false)?;
                    if matches!(self.peek(), Some(b')' | b']' | b'}')) {
                        return self.err(self.pos, "unbalanced brackets");
                    }
                    if self.pos == at {
                        self.pos += self.text[at..].chars().next().map_or(1, char::len_utf8);
                    }
                }
            }
            secure = false;
        }
    }

    /// After `param name` / `var name`: an optional type, then `= value` if present.
    fn declared_value(&mut self) -> Parse<Option<Node>> {
        loop {
            self.skip_ws(false)?;
            match self.peek() {
                None | Some(b'\n') => return Ok(None),
                Some(b'=') => {
                    self.pos += 1;
                    return self.value().map(Some);
                }
                Some(b'\'') => {
                    self.string()?;
                }
                Some(b'{') | Some(b'(') | Some(b'[') => {
                    let close = match self.peek() {
                        Some(b'{') => b'}',
                        Some(b'(') => b')',
                        _ => b']',
                    };
                    self.pos += 1;
                    self.balanced(close)?;
                }
                Some(_) => {
                    let ch = self.text[self.pos..].chars().next().expect("in bounds");
                    self.pos += ch.len_utf8();
                }
            }
        }
    }
}

// ---------------------------------------------------------------- facts

/// A resource body, looking through `[for …: {…}]`.
fn body_of(r: &Resource) -> &Node {
    match &r.body.value {
        Value::Seq(items) => items.first().unwrap_or(Node::null()),
        _ => &r.body,
    }
}

fn report(input: &Input, p: &Parser, params_file: bool, out: &mut Facts) {
    let literal = |n: &Node| -> Option<String> {
        p.literals
            .contains(&(n.line, n.column))
            .then(|| n.str().map(str::to_string))
            .flatten()
    };
    let resolve = |n: &Node| -> Option<String> {
        literal(n).or_else(|| {
            let id = n.str()?;
            let from_param = p
                .params
                .iter()
                .find(|q| q.name == id)
                .and_then(|q| q.value.as_ref());
            let from_var = p.vars.iter().find(|(v, _)| v == id).map(|(_, n)| n);
            from_param.or(from_var).and_then(&literal)
        })
    };
    let lang = Lang {
        format: "bicep",
        literal: &literal,
        resolve: &resolve,
    };
    let name_of = |r: &Resource| -> String {
        body_of(r)
            .str_at(&["name"])
            .unwrap_or(r.sym.as_str())
            .to_string()
    };
    let by_symbol = |sym: &str| p.resources.iter().find(|r| r.sym == sym);
    let is_vault = |r: &Resource| r.ty == "microsoft.keyvault/vaults";
    let parent_vault = |r: &Resource| -> Option<String> {
        if let Some(i) = r.parent {
            return Some(name_of(&p.resources[i])).filter(|_| is_vault(&p.resources[i]));
        }
        let sym = body_of(r).str_at(&["parent"])?;
        Some(by_symbol(sym).map_or_else(|| sym.to_string(), name_of))
    };

    for r in &p.resources {
        let body = body_of(r);
        if body.value == Value::Null {
            continue; // cut short by a parse error
        }
        let at = Node {
            line: r.at.0,
            column: r.at.1,
            value: Value::Null,
        };
        let nested_in_vault = r.parent.is_some_and(|i| is_vault(&p.resources[i]));
        match r.ty.as_str() {
            "microsoft.keyvault/vaults" if !r.existing => {
                arm::vault_decl(input, &lang, body, &at, name_of(r), out);
            }
            "microsoft.keyvault/vaults/secrets" | "secrets"
                if !r.existing && (r.ty.contains('/') || nested_in_vault) =>
            {
                let name = name_of(r);
                let (store, secret) = match parent_vault(r) {
                    Some(v) => (Some(v), name),
                    None => split_name(
                        &name,
                        body.get("name").is_some_and(|n| literal(n).is_some()),
                    ),
                };
                arm::secret_decl(input, &lang, body, &at, store, secret, out);
            }
            "microsoft.keyvault/vaults/accesspolicies" | "accesspolicies"
                if r.ty.contains('/') || nested_in_vault =>
            {
                let store = parent_vault(r).or_else(|| split_name(&name_of(r), false).0);
                if let Some(list) = body.at(&["properties", "accessPolicies"]) {
                    arm::access_policies(input, &lang, list, store.as_deref(), out);
                }
            }
            _ => {}
        }
    }

    // getSecret calls, with who receives them.
    let vault_name = |sym: &str| by_symbol(sym).map_or_else(|| sym.to_string(), name_of);
    for m in &p.modules {
        let body = match &m.body.value {
            Value::Seq(items) => items.first().unwrap_or(Node::null()),
            _ => &m.body,
        };
        for (key, v) in body.get("params").map_or(&[][..], Node::entries) {
            let consumer = format!("{}.{key}", m.sym);
            get_secrets(input, p, v, &consumer, &vault_name, out);
        }
    }
    for q in &p.params {
        let Some(v) = &q.value else { continue };
        get_secrets(input, p, v, &q.name, &vault_name, out);
        let Some(text) = literal(v).filter(|t| !t.is_empty() && !super::aws::plain_setting(t))
        else {
            continue;
        };
        let kind = if !params_file && q.secure {
            "literal"
        } else if params_file && super::secret_named(&q.name) {
            "value"
        } else {
            continue;
        };
        if text.contains("@Microsoft.KeyVault(") {
            continue; // a reference, read by azure.rs
        }
        let mut r = input.reference("bicep", v, q.name.clone());
        r.kind = kind;
        r.consumer = Some(q.name.clone());
        r.value = Some(text);
        out.refs.push(r);
    }
}

/// `vault/secret` → (vault, secret); `${kvName}/secret` → (`kvName`, secret).
fn split_name(name: &str, literal: bool) -> (Option<String>, String) {
    // The first `/` outside `${…}`.
    let mut depth = 0usize;
    let b = name.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'{' if i > 0 && b[i - 1] == b'$' => depth += 1,
            b'}' if depth > 0 => depth -= 1,
            b'/' if depth == 0 && (literal || name.contains("${")) => {
                let vault = &name[..i];
                let vault = vault
                    .strip_prefix("${")
                    .and_then(|v| v.strip_suffix('}'))
                    .filter(|v| !v.contains("${"))
                    .unwrap_or(vault);
                return (Some(vault.to_string()), name[i + 1..].to_string());
            }
            _ => {}
        }
    }
    (None, name.to_string())
}

/// Every `getSecret(…)` call in the expression scalars below `n`.
fn get_secrets(
    input: &Input,
    p: &Parser,
    n: &Node,
    consumer: &str,
    vault_name: &dyn Fn(&str) -> String,
    out: &mut Facts,
) {
    for s in n.scalars() {
        let Some(&offset) = p.offsets.get(&(s.line, s.column)) else {
            continue;
        };
        let text = s.str().unwrap_or_default();
        let mut from = 0;
        while let Some(i) = text[from..].find("getSecret(") {
            let call = from + i;
            from = call + "getSecret(".len();
            if call > 0 && ident_char(text.as_bytes()[call - 1]) {
                continue; // `mygetSecret(`
            }
            // The receiver: `kv.`, `kvs[i].`, `az.`, or none.
            let before = text[..call].trim_end();
            let (receiver, start) = match before.strip_suffix('.') {
                Some(r) => {
                    let r = r.trim_end();
                    let r_noindex = if r.ends_with(']') {
                        r.rfind('[').map_or(r, |o| &r[..o])
                    } else {
                        r
                    };
                    let begin = r_noindex
                        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .map_or(0, |i| i + 1);
                    (&r_noindex[begin..], begin)
                }
                None => ("", call),
            };
            let args = call_args(&text[from..]);
            let arg = |i: usize| args.get(i).cloned();
            let (store, name, version) = if receiver.is_empty() || receiver == "az" {
                if args.len() < 4 {
                    continue;
                }
                (arg(2), arg(3), arg(4))
            } else {
                (Some(vault_name(receiver)), arg(0), arg(1))
            };
            let Some(name) = name else { continue };
            let (line, column) = p.lines.line_col(input.text, offset + start);
            let mut r = SecretRef {
                line,
                column,
                ..input.reference("bicep", s, name)
            };
            r.store = store;
            r.version = version.filter(|v| !v.is_empty());
            r.consumer = Some(consumer.to_string());
            out.refs.push(r);
        }
    }
}

/// The arguments of a call whose `(` was just passed: literal strings unquoted, other
/// arguments as written.
fn call_args(text: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut depth = 0i32;
    let mut quoted = false;
    let mut start = 0;
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if quoted {
            match c {
                b'\\' => i += 1,
                b'\'' => quoted = false,
                _ => {}
            }
        } else {
            match c {
                b'\'' => quoted = true,
                b'(' | b'[' | b'{' => depth += 1,
                b')' if depth == 0 => {
                    args.push(&text[start..i]);
                    break;
                }
                b')' | b']' | b'}' => depth -= 1,
                b',' if depth == 0 => {
                    args.push(&text[start..i]);
                    start = i + 1;
                }
                _ => {}
            }
        }
        i += 1;
    }
    args.into_iter()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(
            |a| match a.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
                Some(s) if !s.contains("${") => s.replace("\\'", "'"),
                _ => a.to_string(),
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::policy::refs::extract;

    const MAIN: &str = r#"// Key Vault for the orders service
targetScope = 'resourceGroup'

@description('Vault name')
param keyVaultName string = 'kv-orders-prod'
param purge bool = true
@secure()
param adminPassword string = 'fake-Default-Pa55'
@secure()
param apiKey string

var retention = 30

resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: keyVaultName
  location: resourceGroup().location
  properties: {
    tenantId: subscription().tenantId
    sku: { family: 'A', name: 'standard' }
    enablePurgeProtection: purge
    softDeleteRetentionInDays: retention
    accessPolicies: [
      {
        tenantId: subscription().tenantId
        objectId: '11111111-2222-3333-4444-555555555555'
        permissions: {
          secrets: [
            'get'
            'list'
          ]
        }
      }
    ]
  }

  resource nested 'secrets' = {
    name: 'nested-secret'
    properties: {
      value: apiKey
    }
  }
}

resource dbPassword 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: kv
  name: 'db-password'
  tags: {
    owner: 'team-orders'
    'cost-center': '42'
  }
  properties: {
    value: 'fake-literal-db-pass'
    contentType: 'text/plain'
    attributes: {
      exp: 1767225600
      nbf: dateTimeToEpoch('2025-01-01T00:00:00Z')
    }
  }
}

resource legacy 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = if (deployLegacy) {
  name: '${keyVaultName}/legacy-key'
  properties: {
    value: adminPassword
  }
}

resource shared 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: 'kv-shared-prod'
  scope: resourceGroup('rg-shared')
}

resource devVault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv-orders-dev'
  properties: {
    enableSoftDelete: false
    accessPolicies: [for p in policies: {
      objectId: p.objectId
      permissions: { secrets: [ 'all' ] }
    }]
  }
}

module sql './sql.bicep' = {
  name: 'sql'
  params: {
    adminLogin: 'sqladmin'
    adminPassword: shared.getSecret('sql-admin-password')
    replicaPassword: shared.getSecret('sql-replica', '0123456789abcdef')
  }
}

output vaultUri string = kv.properties.vaultUri
"#;

    #[test]
    fn bicep_vaults_secrets_and_get_secret() {
        let f = extract("infra/main.bicep", MAIN);
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        let secrets: Vec<_> = f
            .secrets
            .iter()
            .map(|s| (s.place.line, s.store.as_deref(), s.name.as_str()))
            .collect();
        assert_eq!(
            secrets,
            [
                (36, Some("keyVaultName"), "nested-secret"),
                (44, Some("keyVaultName"), "db-password"),
                (61, Some("keyVaultName"), "legacy-key"),
            ]
        );
        let db = &f.secrets[1];
        assert_eq!(db.format, "bicep");
        assert_eq!(db.expires.as_deref(), Some("1767225600"));
        assert_eq!(
            db.not_before.as_deref(),
            Some("dateTimeToEpoch('2025-01-01T00:00:00Z')")
        );
        assert_eq!(db.content_type.as_deref(), Some("text/plain"));
        assert_eq!(db.tags.get("cost-center").map(String::as_str), Some("42"));
        assert_eq!(
            db.tags.get("owner").map(String::as_str),
            Some("team-orders")
        );
        assert_eq!(db.supports, ["expiry", "content-type", "not-before"]);

        let stores: Vec<_> = f
            .stores
            .iter()
            .map(|s| {
                (
                    s.place.line,
                    s.name.as_str(),
                    s.purge_protection,
                    s.soft_delete_days,
                )
            })
            .collect();
        assert_eq!(
            stores,
            [
                (14, "keyVaultName", Some(true), Some(30)),
                (73, "kv-orders-dev", Some(false), Some(0)),
            ]
        );
        let grants: Vec<_> = f
            .grants
            .iter()
            .map(|g| {
                (
                    g.place.line,
                    g.consumer.as_deref(),
                    g.actions.clone(),
                    g.all_secrets,
                )
            })
            .collect();
        assert_eq!(
            grants,
            [
                (
                    27,
                    Some("11111111-2222-3333-4444-555555555555"),
                    vec!["get".to_string(), "list".to_string()],
                    false
                ),
                (79, Some("p.objectId"), vec!["all".to_string()], true),
            ]
        );

        let refs: Vec<_> = f
            .refs
            .iter()
            .map(|r| {
                (
                    r.line,
                    r.column,
                    r.kind,
                    r.name.as_str(),
                    r.store.as_deref(),
                    r.consumer.as_deref(),
                    r.version.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            refs,
            [
                (
                    8,
                    30,
                    "literal",
                    "adminPassword",
                    None,
                    Some("adminPassword"),
                    None
                ),
                (
                    52,
                    12,
                    "literal",
                    "db-password",
                    Some("keyVaultName"),
                    None,
                    None
                ),
                (
                    88,
                    20,
                    "reference",
                    "sql-admin-password",
                    Some("kv-shared-prod"),
                    Some("sql.adminPassword"),
                    None
                ),
                (
                    89,
                    22,
                    "reference",
                    "sql-replica",
                    Some("kv-shared-prod"),
                    Some("sql.replicaPassword"),
                    Some("0123456789abcdef")
                ),
            ]
        );
        assert_eq!(f.refs[1].value.as_deref(), Some("fake-literal-db-pass"));
    }

    #[test]
    fn bicepparam_get_secret_and_literals() {
        let text = "using './main.bicep'\n\nparam location = 'westeurope'\nparam sqlPassword = az.getSecret('00000000-0000-0000-0000-000000000000', 'rg-prod', 'kv-orders-prod', 'sql-password')\nparam apiToken = getSecret(\n  'sub', 'rg', 'kv-orders-prod', 'api-token', 'abc123')\nparam clientSecret = 'fake-client-secret'\n";
        let f = extract("infra/prod.bicepparam", text);
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        let refs: Vec<_> = f
            .refs
            .iter()
            .map(|r| {
                (
                    r.line,
                    r.column,
                    r.kind,
                    r.name.as_str(),
                    r.store.as_deref(),
                    r.version.as_deref(),
                    r.consumer.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            refs,
            [
                (
                    4,
                    21,
                    "reference",
                    "sql-password",
                    Some("kv-orders-prod"),
                    None,
                    Some("sqlPassword")
                ),
                (
                    5,
                    18,
                    "reference",
                    "api-token",
                    Some("kv-orders-prod"),
                    Some("abc123"),
                    Some("apiToken")
                ),
                (
                    7,
                    22,
                    "value",
                    "clientSecret",
                    None,
                    None,
                    Some("clientSecret")
                ),
            ]
        );
        assert_eq!(f.refs[0].environment.as_deref(), Some("production"));
    }

    #[test]
    fn malformed_bicep_warns_with_its_line_and_keeps_what_it_read() {
        let text = "resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {\n  name: 'kv-a'\n}\n\nresource s 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {\n  parent: kv\n  name: 'broken\n}\n";
        let f = extract("bad.bicep", text);
        assert_eq!(f.stores.len(), 1);
        assert_eq!(f.problems.len(), 1);
        assert_eq!(f.problems[0].line, 7);
        assert!(f.problems[0].message.contains("unterminated string"));
        // Nothing panics on odd input.
        for junk in [
            "resource",
            "resource x",
            "param",
            "@",
            "{",
            "[for",
            "'''",
            "/*",
            "}}}",
        ] {
            let _ = extract("junk.bicep", junk);
        }
    }
}
