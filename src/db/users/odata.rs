//! A Graph `$filter` (`domain::odata`) written as a condition on the users table: portable
//! SQL with its values bound, never spliced in.

use chrono::{DateTime, Utc};

use crate::db::contains_pattern;
use crate::domain::odata::{Expr, Op, Prop, Value};

/// A value bound to the condition's next placeholder.
#[derive(Debug, Clone)]
pub enum Bind {
    Text(String),
    Time(DateTime<Utc>),
}

/// Where a placeholder goes; `numbered` turns them into `$n`.
const SLOT: char = '\u{1}';

/// The condition on the users table named by prefix `p` (`""` or `"u."`), with a slot for
/// each bound value, and the values in order.
pub fn condition(e: &Expr, p: &str) -> (String, Vec<Bind>) {
    let mut binds = Vec::new();
    let sql = write(e, p, &mut binds);
    (sql, binds)
}

/// The condition with its slots numbered from `$first`.
pub fn numbered(sql: &str, first: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut n = first;
    for c in sql.chars() {
        if c == SLOT {
            out.push_str(&format!("${n}"));
            n += 1;
        } else {
            out.push(c);
        }
    }
    out
}

fn op_sql(op: Op) -> &'static str {
    match op {
        Op::Eq => "=",
        Op::Ne => "<>",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Gt => ">",
        Op::Ge => ">=",
    }
}

fn slot(binds: &mut Vec<Bind>, b: Bind) -> String {
    binds.push(b);
    SLOT.to_string()
}

/// The column a text property compares on (lowered: Graph's comparisons ignore case).
fn text_column(prop: Prop, p: &str) -> String {
    match prop {
        Prop::Mail => format!("LOWER({p}email)"),
        Prop::DisplayName => format!("LOWER({p}display_name)"),
        _ => format!("{p}user_type"),
    }
}

/// One value of a property as a condition that is true when they are equal.
fn equals(prop: Prop, value: &Value, p: &str, binds: &mut Vec<Bind>) -> String {
    match (prop, value) {
        (Prop::AccountEnabled, Value::Bool(true)) => format!("{p}state <> 'blocked'"),
        (Prop::AccountEnabled, _) => format!("{p}state = 'blocked'"),
        (Prop::ExternalUserState, Value::Text(t)) if t == "accepted" => {
            format!("({p}user_type = 'guest' AND {p}accepted_at IS NOT NULL)")
        }
        (Prop::ExternalUserState, _) => format!("({p}user_type = 'guest' AND {p}accepted_at IS NULL)"),
        (Prop::CreatedDateTime, Value::Time(t)) => format!("{p}created_at = {}", slot(binds, Bind::Time(*t))),
        (prop, Value::Text(t)) => format!("{} = {}", text_column(prop, p), slot(binds, Bind::Text(t.to_lowercase()))),
        // The parser gives no other pairs; matching nothing is the safe reading.
        _ => "1 = 0".into(),
    }
}

fn write(e: &Expr, p: &str, binds: &mut Vec<Bind>) -> String {
    match e {
        Expr::And(parts) => format!("({})", parts.iter().map(|x| write(x, p, binds)).collect::<Vec<_>>().join(" AND ")),
        Expr::Or(parts) => format!("({})", parts.iter().map(|x| write(x, p, binds)).collect::<Vec<_>>().join(" OR ")),
        Expr::Compare(prop, Op::Eq, v) => equals(*prop, v, p, binds),
        Expr::Compare(prop, Op::Ne, v) => format!("NOT ({})", equals(*prop, v, p, binds)),
        Expr::Compare(Prop::CreatedDateTime, op, Value::Time(t)) => {
            format!("{p}created_at {} {}", op_sql(*op), slot(binds, Bind::Time(*t)))
        }
        Expr::Compare(Prop::LastSignIn, op, Value::Time(t)) => {
            format!("{p}last_sign_in_at {} {}", op_sql(*op), slot(binds, Bind::Time(*t)))
        }
        Expr::Compare(..) => "1 = 0".into(),
        Expr::In(prop, values) => {
            format!("({})", values.iter().map(|v| equals(*prop, v, p, binds)).collect::<Vec<_>>().join(" OR "))
        }
        Expr::StartsWith(prop, prefix) => {
            let mut pattern = contains_pattern(prefix);
            pattern.remove(0); // a prefix: no leading wildcard
            format!("{} LIKE {} ESCAPE '\\'", text_column(*prop, p), slot(binds, Bind::Text(pattern)))
        }
    }
}
