//! API key scopes (F10): what a key may do, on top of its creator's own rights.

use super::form::InputError;

/// Every scope, with what it allows in words for the admin's form.
pub const SCOPES: &[(&str, &str)] = &[
    ("invitations:write", "Invite guests, resend and revoke invitations"),
    ("users:read", "List and read users and the apps"),
    ("users:write", "Block, unblock, extend and remove guests; give and take back apps"),
    ("groups:write", "List groups and add or remove their members"),
    ("requests:read", "Read partners' sign-up requests"),
    ("requests:write", "Approve or deny sign-up requests"),
    ("reviews:read", "Read access reviews and their decisions"),
    ("audit:read", "Read the audit log"),
];

/// The longest a key may live, in days; and the default the form offers.
pub const MAX_DAYS: i64 = 730;
pub const DEFAULT_DAYS: i64 = 90;

/// The scopes ticked, each once and known, in the order of `SCOPES`; at least one.
pub fn parse_scopes(ticked: &[String]) -> Result<Vec<&'static str>, InputError> {
    if let Some(unknown) = ticked.iter().find(|t| !SCOPES.iter().any(|(s, _)| s == t)) {
        return Err(InputError::new(format!("“{}” is not a scope.", unknown.chars().take(40).collect::<String>())));
    }
    let chosen: Vec<&'static str> = SCOPES.iter().map(|(s, _)| *s).filter(|s| ticked.iter().any(|t| t == s)).collect();
    if chosen.is_empty() {
        return Err(InputError::new("Choose at least one scope."));
    }
    Ok(chosen)
}

/// How many days the key lives: 1 to `MAX_DAYS`.
pub fn parse_days(text: &str) -> Result<i64, InputError> {
    match text.trim().parse::<i64>() {
        Ok(days) if (1..=MAX_DAYS).contains(&days) => Ok(days),
        _ => Err(InputError::new(format!("Enter a number of days from 1 to {MAX_DAYS}."))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_known_and_kept_in_order() {
        let ticked = vec!["audit:read".to_string(), "invitations:write".to_string(), "audit:read".to_string()];
        assert_eq!(parse_scopes(&ticked).unwrap(), vec!["invitations:write", "audit:read"]);
        assert!(parse_scopes(&[]).is_err());
        assert!(parse_scopes(&["admin:all".to_string()]).is_err());
        assert_eq!(parse_days(" 30 ").unwrap(), 30);
        assert!(parse_days("0").is_err() && parse_days("9999").is_err() && parse_days("x").is_err());
    }
}
