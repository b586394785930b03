//! Multi-factor authentication (SPEC F8): who must use a second factor, and the second
//! factors themselves — RFC 6238 codes from an authenticator app and single-use recovery
//! codes. No I/O: the flows store and look up.

use chrono::{DateTime, Duration, Utc};

use super::settings::PortalSettings;
use super::user::{GUEST, MEMBER};

/// Wrong second-factor codes in a row before attempts pause.
pub const MAX_FAILURES: i64 = 5;
/// How long attempts pause after `MAX_FAILURES`.
pub const PAUSE: Duration = Duration::minutes(15);
/// Recovery codes made at a time.
pub const RECOVERY_CODES: usize = 10;
/// RFC 6238's defaults, which every authenticator app reads: SHA-1, 6 digits, 30 seconds.
const STEP_SECS: i64 = 30;

/// The session's `amr` entry once a second factor was used.
pub const AMR_MFA: &str = "mfa";

/// The `amr` values of a partner's ID token that mean a second factor (RFC 8176).
const PARTNER_MFA_AMR: [&str; 4] = ["mfa", "otp", "hwk", "sms"];
/// How recent the partner's authentication must be for its MFA to count.
pub const PARTNER_MFA_MAX_AGE: Duration = Duration::minutes(15);

/// Whether a partner IdP's ID token shows MFA this portal may accept: its `amr` says so, or
/// its `acr` is one the admin listed, and the person authenticated there within the last
/// 15 minutes (an old session at the IdP proves nothing about now).
pub fn partner_mfa(
    amr: &[String],
    acr: Option<&str>,
    trusted_acr: &str,
    auth_time: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    let said = amr.iter().any(|m| PARTNER_MFA_AMR.contains(&m.as_str()))
        || acr.is_some_and(|a| trusted_acr.split_whitespace().any(|t| t == a));
    let recent = auth_time.is_some_and(|t| t <= now + Duration::minutes(1) && now - t <= PARTNER_MFA_MAX_AGE);
    said && recent
}

/// Why a person must use a second factor (the strongest rule wins; the first found here).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Required {
    Admin,
    User,
    Guests,
    Members,
}

/// Whether this person must use a second factor to sign in: admins always, then the user's
/// own flag, then the organization's rule for guests or for members.
pub fn required_for(portal: &PortalSettings, user_type: &str, is_admin: bool, user_flag: bool) -> Option<Required> {
    if is_admin {
        Some(Required::Admin)
    } else if user_flag {
        Some(Required::User)
    } else if user_type == GUEST && portal.guests_mfa {
        Some(Required::Guests)
    } else if user_type == MEMBER && portal.members_mfa {
        Some(Required::Members)
    } else {
        None
    }
}

/// How long a passed second step counts as recent: adding, removing or replacing a factor,
/// new recovery codes and resetting another person's factors need one this fresh (SPEC §4).
pub const RECENT_SECOND_STEP: Duration = Duration::minutes(10);

/// Whether a person is asked for a second step at sign-in: when a rule requires one, and
/// always when they set up a factor of their own (by choice or not).
pub fn wants_second_step(required: Option<Required>, has_factor: bool) -> bool {
    required.is_some() || has_factor
}

/// Whether a session has passed the second step it owes: with one of the person's own
/// factors when they have one (a factor set up by choice is always asked, SPEC §4), else
/// any second factor its `amr` shows (a partner's MFA the admin accepts counts).
pub fn second_step_passed(amr: &str, has_factor: bool, second_step_at: Option<DateTime<Utc>>) -> bool {
    if has_factor { second_step_at.is_some() } else { has_mfa(amr) }
}

/// Whether a second step passed at `at` (with one of the person's own factors) is recent.
pub fn is_recent(at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    at.is_some_and(|at| at <= now + Duration::minutes(1) && now - at <= RECENT_SECOND_STEP)
}

/// Whether a session's `amr` (space-separated) shows a second factor.
pub fn has_mfa(amr: &str) -> bool {
    amr.split(' ').any(|m| m == AMR_MFA)
}

/// `amr` with a second factor added (`otp` for an authenticator code, RFC 8176).
pub fn with_mfa(amr: &str, method: &str) -> String {
    let mut parts: Vec<&str> = amr.split(' ').filter(|m| !m.is_empty()).collect();
    for m in [method, AMR_MFA] {
        if !parts.contains(&m) {
            parts.push(m);
        }
    }
    parts.join(" ")
}

/// An authenticator app's shared secret, as the app is given it.
pub fn totp(secret: &[u8], issuer: &str, account: &str) -> Result<totp_rs::Totp, totp_rs::TotpError> {
    totp_rs::Builder::new()
        .with_secret(secret.to_vec())
        .with_issuer(Some(issuer.replace(':', " ")))
        .with_account_name(account.replace(':', " "))
        .build()
}

/// The time step a typed code matches at `now` (one step either side, for clocks that
/// drift), if any. The caller refuses a step it accepted before.
pub fn matched_step(totp: &totp_rs::Totp, typed: &str, now: DateTime<Utc>) -> Option<i64> {
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() != 6 || !typed.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let secs = u64::try_from(now.timestamp()).ok()?;
    totp.check(&typed, secs).and_then(|step| i64::try_from(step).ok())
}

/// The code an authenticator app shows at `now` (tests and the browser suite compute it).
pub fn code_at(totp: &totp_rs::Totp, now: DateTime<Utc>) -> String {
    totp.generate(u64::try_from(now.timestamp()).unwrap_or(0)).to_string()
}

/// The step of `now`, for tests that need the next window.
pub fn step_of(now: DateTime<Utc>) -> i64 {
    now.timestamp() / STEP_SECS
}

/// A recovery code as typed: case and separators do not matter (`ab12-cd34` is `AB12CD34`).
pub fn normalize_recovery(typed: &str) -> String {
    typed.chars().filter(char::is_ascii_alphanumeric).map(|c| c.to_ascii_uppercase()).collect()
}

/// Whether what was typed looks like a recovery code rather than an app's six digits.
pub fn looks_like_recovery(typed: &str) -> bool {
    let n = normalize_recovery(typed);
    n.len() == 10 && !n.chars().all(|c| c.is_ascii_digit())
}

/// Ten characters from an alphabet without look-alikes, shown as `XXXXX-XXXXX`.
pub fn format_recovery(random: &[u8; 10]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let chars: String = random.iter().map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char).collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_matches_its_step_and_its_neighbours_only() {
        let t = totp(b"0123456789abcdefghij", "Contoso", "ana@partner.example").unwrap();
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let code = code_at(&t, now);
        assert_eq!(matched_step(&t, &code, now), Some(step_of(now)));
        assert_eq!(matched_step(&t, &code, now + Duration::seconds(30)), Some(step_of(now)), "one step late");
        assert_eq!(matched_step(&t, &code, now + Duration::seconds(90)), None, "three steps late");
        assert_eq!(matched_step(&t, "12345", now), None);
        assert_eq!(matched_step(&t, &format!("{} ", code), now), Some(step_of(now)), "spaces are forgiven");
        assert!(t.to_url().unwrap().starts_with("otpauth://totp/"));
    }

    #[test]
    fn a_partners_mfa_counts_only_when_said_and_recent() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let fresh = Some(now - Duration::minutes(2));
        let mfa = vec!["pwd".to_string(), "mfa".to_string()];
        assert!(partner_mfa(&mfa, None, "", fresh, now));
        assert!(!partner_mfa(&mfa, None, "", Some(now - Duration::minutes(16)), now), "too old");
        assert!(!partner_mfa(&mfa, None, "", None, now), "no auth_time");
        assert!(!partner_mfa(&["pwd".into()], None, "", fresh, now));
        assert!(partner_mfa(&["pwd".into()], Some("urn:loa:high"), "urn:loa:low urn:loa:high", fresh, now));
        assert!(!partner_mfa(&["pwd".into()], Some("urn:loa:low2"), "urn:loa:low", fresh, now));
    }

    #[test]
    fn recovery_codes_read_forgivingly() {
        let code = format_recovery(&[7; 10]);
        assert_eq!(code.len(), 11);
        assert!(looks_like_recovery(&code.to_lowercase()));
        assert_eq!(normalize_recovery(&code.to_lowercase()), code.replace('-', ""));
        assert!(!looks_like_recovery("123456"));
    }

    #[test]
    fn the_strongest_rule_wins_and_admins_always_need_mfa() {
        let mut p = crate::domain::settings::tests::defaults();
        assert_eq!(required_for(&p, GUEST, false, false), None);
        assert_eq!(required_for(&p, MEMBER, true, false), Some(Required::Admin));
        assert_eq!(required_for(&p, GUEST, false, true), Some(Required::User));
        p.guests_mfa = true;
        assert_eq!(required_for(&p, GUEST, false, false), Some(Required::Guests));
        assert_eq!(required_for(&p, MEMBER, false, false), None);
        p.members_mfa = true;
        assert_eq!(required_for(&p, MEMBER, false, false), Some(Required::Members));
        assert_eq!(with_mfa("otp", "otp"), "otp mfa");
        assert_eq!(with_mfa("fed", "otp"), "fed otp mfa");
        assert!(has_mfa("fed otp mfa") && !has_mfa("otp"));
    }
}
