//! The OData `$filter` subset Graph scripts use on users (`userType eq 'Guest' and
//! startswith(mail,'ana')`), read into a tree; the database module writes it as SQL.
//! Anything outside the subset is refused by name, never ignored: a program must not take
//! every user for the few it asked for.

use chrono::{DateTime, Utc};

/// A property a filter may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prop {
    UserType,
    Mail,
    DisplayName,
    AccountEnabled,
    ExternalUserState,
    CreatedDateTime,
    LastSignIn,
}

impl Prop {
    const ALL: [(&'static str, Prop); 7] = [
        ("userType", Prop::UserType),
        ("mail", Prop::Mail),
        ("displayName", Prop::DisplayName),
        ("accountEnabled", Prop::AccountEnabled),
        ("externalUserState", Prop::ExternalUserState),
        ("createdDateTime", Prop::CreatedDateTime),
        ("signInActivity/lastSignInDateTime", Prop::LastSignIn),
    ];

    fn parse(word: &str) -> Option<Prop> {
        Self::ALL.iter().find(|(name, _)| name.eq_ignore_ascii_case(word)).map(|(_, p)| *p)
    }

    pub fn name(self) -> &'static str {
        Self::ALL.iter().find(|(_, p)| *p == self).map(|(n, _)| *n).unwrap_or("")
    }

    fn is_time(self) -> bool {
        matches!(self, Prop::CreatedDateTime | Prop::LastSignIn)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Bool(bool),
    Time(DateTime<Utc>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Compare(Prop, Op, Value),
    In(Prop, Vec<Value>),
    StartsWith(Prop, String),
}

/// Why a filter was refused, in words naming what is not supported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("$filter: {0}")]
pub struct FilterRefused(pub String);

fn refused<T>(why: impl Into<String>) -> Result<T, FilterRefused> {
    Err(FilterRefused(why.into()))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Word(String),
    Text(String),
    Open,
    Close,
    Comma,
}

fn tokens(text: &str) -> Result<Vec<Token>, FilterRefused> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | ',' => {
                chars.next();
                out.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    _ => Token::Comma,
                });
            }
            '\'' => {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => return refused("a quoted value is not closed."),
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            s.push('\'');
                        }
                        Some('\'') => break,
                        Some(c) => s.push(c),
                    }
                }
                out.push(Token::Text(s));
            }
            _ => {
                let mut w = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '(' | ')' | ',' | '\'') {
                        break;
                    }
                    w.push(c);
                    chars.next();
                }
                out.push(Token::Word(w));
            }
        }
    }
    Ok(out)
}

/// The longest filter read (a script's, not a novel).
pub const MAX_LEN: usize = 2000;

/// Reads a `$filter`.
pub fn parse(text: &str) -> Result<Expr, FilterRefused> {
    if text.len() > MAX_LEN {
        return refused(format!("at most {MAX_LEN} characters."));
    }
    let toks = tokens(text)?;
    let mut p = Parser { toks, at: 0, depth: 0 };
    let e = p.or()?;
    if p.at != p.toks.len() {
        return refused(format!("“{}” was not expected there.", p.describe()));
    }
    Ok(e)
}

struct Parser {
    toks: Vec<Token>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek_word(&self) -> Option<String> {
        match self.toks.get(self.at) {
            Some(Token::Word(w)) => Some(w.to_ascii_lowercase()),
            _ => None,
        }
    }

    fn describe(&self) -> String {
        match self.toks.get(self.at) {
            Some(Token::Word(w)) | Some(Token::Text(w)) => w.chars().take(60).collect(),
            Some(Token::Open) => "(".into(),
            Some(Token::Close) => ")".into(),
            Some(Token::Comma) => ",".into(),
            None => "the end".into(),
        }
    }

    fn expect(&mut self, t: Token) -> Result<(), FilterRefused> {
        if self.toks.get(self.at) == Some(&t) {
            self.at += 1;
            Ok(())
        } else {
            refused(format!("“{}” was not expected there.", self.describe()))
        }
    }

    fn or(&mut self) -> Result<Expr, FilterRefused> {
        let mut parts = vec![self.and()?];
        while self.peek_word().as_deref() == Some("or") {
            self.at += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::Or(parts) })
    }

    fn and(&mut self) -> Result<Expr, FilterRefused> {
        let mut parts = vec![self.primary()?];
        while self.peek_word().as_deref() == Some("and") {
            self.at += 1;
            parts.push(self.primary()?);
        }
        Ok(if parts.len() == 1 { parts.remove(0) } else { Expr::And(parts) })
    }

    fn primary(&mut self) -> Result<Expr, FilterRefused> {
        if self.toks.get(self.at) == Some(&Token::Open) {
            self.depth += 1;
            if self.depth > 20 {
                return refused("too deeply nested.");
            }
            self.at += 1;
            let e = self.or()?;
            self.expect(Token::Close)?;
            self.depth -= 1;
            return Ok(e);
        }
        let Some(Token::Word(word)) = self.toks.get(self.at).cloned() else {
            return refused(format!("“{}” was not expected there.", self.describe()));
        };
        self.at += 1;
        if word.eq_ignore_ascii_case("startswith") {
            self.expect(Token::Open)?;
            let prop = self.prop()?;
            if !matches!(prop, Prop::Mail | Prop::DisplayName) {
                return refused(format!("startswith takes mail or displayName, not {}.", prop.name()));
            }
            self.expect(Token::Comma)?;
            let Some(Token::Text(prefix)) = self.toks.get(self.at).cloned() else {
                return refused("startswith takes a quoted value.");
            };
            self.at += 1;
            self.expect(Token::Close)?;
            return Ok(Expr::StartsWith(prop, prefix));
        }
        if self.toks.get(self.at) == Some(&Token::Open) {
            return refused(format!("the function {word} is not supported (startswith is)."));
        }
        let prop = Prop::parse(&word).ok_or_else(|| {
            FilterRefused(format!(
                "the property {} is not supported; these are: {}.",
                word.chars().take(60).collect::<String>(),
                Prop::ALL.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
            ))
        })?;
        let Some(op) = self.peek_word() else { return refused(format!("{} needs an operator.", prop.name())) };
        self.at += 1;
        if op == "in" {
            if prop.is_time() || prop == Prop::AccountEnabled {
                return refused(format!("in is not supported on {}.", prop.name()));
            }
            self.expect(Token::Open)?;
            let mut values = vec![self.value(prop)?];
            while self.toks.get(self.at) == Some(&Token::Comma) {
                self.at += 1;
                values.push(self.value(prop)?);
            }
            self.expect(Token::Close)?;
            return Ok(Expr::In(prop, values));
        }
        let op = match op.as_str() {
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "lt" => Op::Lt,
            "le" => Op::Le,
            "gt" => Op::Gt,
            "ge" => Op::Ge,
            other => {
                return refused(format!(
                    "the operator {} is not supported.",
                    other.chars().take(20).collect::<String>()
                ));
            }
        };
        let ordered = matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge);
        if ordered && !prop.is_time() {
            return refused(format!("{} takes eq, ne, in or startswith, not lt, le, gt or ge.", prop.name()));
        }
        if prop == Prop::LastSignIn && matches!(op, Op::Eq | Op::Ne) {
            return refused("signInActivity/lastSignInDateTime takes lt, le, gt or ge.");
        }
        let value = self.value(prop)?;
        Ok(Expr::Compare(prop, op, value))
    }

    fn prop(&mut self) -> Result<Prop, FilterRefused> {
        let Some(Token::Word(word)) = self.toks.get(self.at).cloned() else {
            return refused("a property was expected.");
        };
        self.at += 1;
        Prop::parse(&word).ok_or_else(|| FilterRefused(format!("the property {word} is not supported.")))
    }

    fn value(&mut self, prop: Prop) -> Result<Value, FilterRefused> {
        let tok = self.toks.get(self.at).cloned();
        self.at += 1;
        match (prop, tok) {
            (Prop::AccountEnabled, Some(Token::Word(w))) if w.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            (Prop::AccountEnabled, Some(Token::Word(w))) if w.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            (Prop::AccountEnabled, _) => refused("accountEnabled takes true or false."),
            (p, Some(Token::Word(w))) if p.is_time() => DateTime::parse_from_rfc3339(&w)
                .map(|t| Value::Time(t.with_timezone(&Utc)))
                .or_else(|_| refused(format!("{} takes a date and time such as 2026-09-01T00:00:00Z.", p.name()))),
            (p, _) if p.is_time() => {
                refused(format!("{} takes a date and time such as 2026-09-01T00:00:00Z.", p.name()))
            }
            (Prop::UserType, Some(Token::Text(t)))
                if ["guest", "member"].contains(&t.to_ascii_lowercase().as_str()) =>
            {
                Ok(Value::Text(t.to_ascii_lowercase()))
            }
            (Prop::UserType, _) => refused("userType is 'Guest' or 'Member'."),
            (Prop::ExternalUserState, Some(Token::Text(t)))
                if ["pendingacceptance", "accepted"].contains(&t.to_ascii_lowercase().as_str()) =>
            {
                Ok(Value::Text(t.to_ascii_lowercase()))
            }
            (Prop::ExternalUserState, _) => refused("externalUserState is 'PendingAcceptance' or 'Accepted'."),
            (_, Some(Token::Text(t))) => Ok(Value::Text(t)),
            (p, _) => refused(format!("{} takes a quoted value.", p.name())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graph_filters_read_as_written() {
        let e = parse("userType eq 'Guest' and (startswith(mail,'ana') or displayName eq 'O''Brien')").unwrap();
        assert_eq!(
            e,
            Expr::And(vec![
                Expr::Compare(Prop::UserType, Op::Eq, Value::Text("guest".into())),
                Expr::Or(vec![
                    Expr::StartsWith(Prop::Mail, "ana".into()),
                    Expr::Compare(Prop::DisplayName, Op::Eq, Value::Text("O'Brien".into())),
                ]),
            ])
        );
        assert!(matches!(
            parse("createdDateTime ge 2026-01-01T00:00:00Z").unwrap(),
            Expr::Compare(_, Op::Ge, Value::Time(_))
        ));
        assert!(
            matches!(parse("mail in ('a@b.example', 'c@d.example')").unwrap(), Expr::In(Prop::Mail, v) if v.len() == 2)
        );
        assert_eq!(
            parse("accountEnabled eq false").unwrap(),
            Expr::Compare(Prop::AccountEnabled, Op::Eq, Value::Bool(false))
        );
    }

    #[test]
    fn what_is_not_supported_is_named() {
        for (filter, named) in [
            ("jobTitle eq 'x'", "jobTitle"),
            ("mail gt 'a'", "lt, le, gt or ge"),
            ("endswith(mail,'x')", "endswith"),
            ("userType eq 'Robot'", "Guest"),
            ("mail eq 'x' xor mail eq 'y'", "xor"),
            ("(mail eq 'x'", "the end"),
            ("createdDateTime ge yesterday", "date and time"),
            ("mail eq 'open", "not closed"),
        ] {
            let e = parse(filter).unwrap_err().0;
            assert!(e.contains(named), "{filter}: {e}");
        }
        assert!(parse(&"(".repeat(30)).is_err());
    }
}
