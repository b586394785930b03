//! Whether a verified Assertion answers our request (SAML 2.0 Web Browser SSO profile,
//! Profiles §4.1.4.3): status, destination, issuer, InResponseTo, a bearer confirmation for
//! our ACS, the validity window (two minutes' skew) and our audience — and the identity it
//! gives, as the same `Authenticated` an OIDC IdP gives, so redemption and sign-in treat
//! both protocols alike. Replay (each Assertion ID once) needs the database: the caller
//! records `assertion_id` until `not_on_or_after`.

use chrono::{DateTime, Duration, Utc};

use super::VerifiedAssertion;
use crate::federation::Authenticated;

/// Clocks disagree; by no more than this (the issue's bound).
pub const MAX_SKEW: Duration = Duration::minutes(2);
const SUCCESS: &str = "urn:oasis:names:tc:SAML:2.0:status:Success";
const BEARER: &str = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
const PERSISTENT: &str = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent";
/// The REFEDS MFA profile: the IdP says a second factor was used.
pub const REFEDS_MFA: &str = "https://refeds.org/profile/mfa";

/// Where a person's email and name are found, by attribute Name or FriendlyName; the
/// defaults cover LDAP-style names, their OIDs and AD FS's claim URIs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeMapping {
    pub email: Vec<String>,
    pub name: Vec<String>,
    pub given_name: Vec<String>,
    pub surname: Vec<String>,
    /// An attribute that holds a persistent identifier, for IdPs that send a transient
    /// NameID (eduPersonPrincipalName, an employee number, …); `None`: the NameID only.
    pub persistent_id: Option<String>,
}

impl Default for AttributeMapping {
    fn default() -> Self {
        let list = |names: &[&str]| names.iter().map(|n| n.to_string()).collect();
        AttributeMapping {
            email: list(&[
                "mail",
                "email",
                "urn:oid:0.9.2342.19200300.100.1.3",
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
            ]),
            name: list(&[
                "displayName",
                "urn:oid:2.16.840.1.113730.3.1.241",
                "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
            ]),
            given_name: list(&["givenName", "urn:oid:2.5.4.42"]),
            surname: list(&["sn", "urn:oid:2.5.4.4"]),
            persistent_id: None,
        }
    }
}

/// What this portal expects of the answer to one request.
pub struct Expected<'a> {
    pub idp_entity_id: &'a str,
    pub sp_entity_id: &'a str,
    pub acs_url: &'a str,
    /// The ID of the AuthnRequest this browser started; `None` only where the admin allows
    /// IdP-initiated sign-in for this IdP.
    pub request_id: Option<&'a str>,
    pub mapping: &'a AttributeMapping,
}

/// Why an answer was not accepted: for the audit log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotAccepted {
    #[error("the IdP answered with status {0}")]
    Status(String),
    #[error("the response was sent to another address (Destination)")]
    Destination,
    #[error("the response or assertion comes from another issuer")]
    Issuer,
    #[error("the response answers another request (InResponseTo)")]
    InResponseTo,
    #[error("no bearer confirmation for this portal's address, in time")]
    NoBearerConfirmation,
    #[error("the assertion is not valid yet")]
    NotYetValid,
    #[error("the assertion has expired")]
    Expired,
    #[error("the assertion is not meant for this portal (Audience)")]
    Audience,
    #[error("the subject has no persistent identifier (a transient NameID and no persistent attribute)")]
    NoPersistentId,
}

/// The answer, accepted: who it is, and what the caller must remember against replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub identity: Authenticated,
    pub assertion_id: String,
    /// Until when the assertion could be replayed: keep its ID at least this long.
    pub replayable_until: DateTime<Utc>,
}

pub fn accept(v: &VerifiedAssertion, e: &Expected<'_>, now: DateTime<Utc>) -> Result<Accepted, NotAccepted> {
    if v.response.status != SUCCESS {
        return Err(NotAccepted::Status(v.response.status.clone()));
    }
    // A signed Response must name its Destination (Core §3.2.2); any Destination is ours.
    match v.response.destination.as_deref() {
        Some(d) if d != e.acs_url => return Err(NotAccepted::Destination),
        None if v.response_signed => return Err(NotAccepted::Destination),
        _ => {}
    }
    if v.issuer != e.idp_entity_id || v.response.issuer.as_deref().is_some_and(|i| i != e.idp_entity_id) {
        return Err(NotAccepted::Issuer);
    }
    // Bound to the request this browser started, like OIDC's state; unsolicited answers
    // carry no InResponseTo at all.
    let answers = |irt: Option<&str>| irt == e.request_id;
    if !answers(v.response.in_response_to.as_deref()) && v.response.in_response_to.is_some() {
        return Err(NotAccepted::InResponseTo);
    }
    if e.request_id.is_some() && v.response.in_response_to.is_none() {
        return Err(NotAccepted::InResponseTo);
    }
    let bearer = v.subject_confirmations.iter().find(|c| {
        c.method == BEARER
            && c.recipient.as_deref() == Some(e.acs_url)
            && c.not_on_or_after.is_some_and(|t| now - MAX_SKEW < t)
            && c.not_before.is_none_or(|t| t <= now + MAX_SKEW)
            && answers(c.in_response_to.as_deref())
    });
    let Some(bearer) = bearer else { return Err(NotAccepted::NoBearerConfirmation) };
    if v.conditions.not_before.is_some_and(|t| t > now + MAX_SKEW) {
        return Err(NotAccepted::NotYetValid);
    }
    if v.conditions.not_on_or_after.is_some_and(|t| t <= now - MAX_SKEW) {
        return Err(NotAccepted::Expired);
    }
    // At least one AudienceRestriction, and every one names us (Core §2.5.1.4).
    let restrictions = &v.conditions.audience_restrictions;
    if restrictions.is_empty() || !restrictions.iter().all(|r| r.iter().any(|a| a == e.sp_entity_id)) {
        return Err(NotAccepted::Audience);
    }
    let subject = match (&v.name_id, &e.mapping.persistent_id) {
        (_, Some(attribute)) => first(v, std::slice::from_ref(attribute)),
        (Some(n), None) if n.format.as_deref() == Some(PERSISTENT) => Some(n.value.clone()),
        _ => None,
    };
    let subject = subject.filter(|s| !s.trim().is_empty()).ok_or(NotAccepted::NoPersistentId)?;
    let name = first(v, &e.mapping.name).or_else(|| {
        let given = first(v, &e.mapping.given_name)?;
        Some(match first(v, &e.mapping.surname) {
            Some(surname) => format!("{given} {surname}"),
            None => given,
        })
    });
    let context = v.authn.as_ref().and_then(|a| a.context_class.clone());
    let replayable_until = [v.conditions.not_on_or_after, bearer.not_on_or_after]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(now + Duration::hours(1))
        + MAX_SKEW;
    Ok(Accepted {
        identity: Authenticated {
            issuer: e.idp_entity_id.to_string(),
            subject,
            email: first(v, &e.mapping.email),
            // SAML has no email_verified: whether this IdP's email is trusted is the
            // admin's choice per IdP, applied by the caller.
            email_verified: false,
            name,
            // The REFEDS MFA profile reads as `mfa`; any other context is named in `acr`,
            // where the admin's list of trusted contexts applies as for OIDC.
            amr: if context.as_deref() == Some(REFEDS_MFA) { vec!["mfa".into()] } else { Vec::new() },
            acr: context,
            auth_time: v.authn.as_ref().map(|a| a.instant),
        },
        assertion_id: v.id.clone(),
        replayable_until,
    })
}

/// The first value of the first attribute in `names` (by Name, then FriendlyName).
fn first(v: &VerifiedAssertion, names: &[String]) -> Option<String> {
    names.iter().find_map(|wanted| {
        v.attributes
            .iter()
            .find(|(name, a)| *name == wanted || a.friendly_name.as_deref() == Some(wanted.as_str()))
            .and_then(|(_, a)| a.values.iter().map(|s| s.trim()).find(|s| !s.is_empty()).map(str::to_string))
    })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::super::{Attribute, Authn, Conditions, NameId, ResponseFields, SubjectConfirmation};
    use super::*;

    const IDP: &str = "https://idp.partner.example/saml";
    const SP: &str = "https://portal.example/auth/partner/saml/metadata";
    const ACS: &str = "https://portal.example/auth/partner/saml/acs";

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z").unwrap().with_timezone(&Utc)
    }

    fn attribute(values: &[&str], friendly: Option<&str>) -> Attribute {
        Attribute {
            friendly_name: friendly.map(str::to_string),
            name_format: None,
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    fn good() -> VerifiedAssertion {
        let mut attributes = BTreeMap::new();
        attributes
            .insert("urn:oid:0.9.2342.19200300.100.1.3".into(), attribute(&["ana@partner.example"], Some("mail")));
        attributes.insert("urn:oid:2.5.4.42".into(), attribute(&["Ana"], Some("givenName")));
        attributes.insert("urn:oid:2.5.4.4".into(), attribute(&["Partner"], Some("sn")));
        VerifiedAssertion {
            response_signed: false,
            assertion_signed: true,
            response: ResponseFields {
                id: "r1".into(),
                destination: Some(ACS.into()),
                in_response_to: Some("req-1".into()),
                issuer: Some(IDP.into()),
                status: SUCCESS.into(),
                sub_status: None,
            },
            id: "a1".into(),
            issue_instant: now(),
            issuer: IDP.into(),
            name_id: Some(NameId {
                value: "f8a3c0".into(),
                format: Some(PERSISTENT.into()),
                name_qualifier: None,
                sp_name_qualifier: None,
            }),
            subject_confirmations: vec![SubjectConfirmation {
                method: BEARER.into(),
                recipient: Some(ACS.into()),
                not_before: None,
                not_on_or_after: Some(now() + Duration::minutes(5)),
                in_response_to: Some("req-1".into()),
            }],
            conditions: Conditions {
                not_before: Some(now() - Duration::seconds(30)),
                not_on_or_after: Some(now() + Duration::minutes(5)),
                audience_restrictions: vec![vec![SP.into()]],
                one_time_use: false,
            },
            authn: Some(Authn {
                instant: now() - Duration::seconds(20),
                session_index: None,
                session_not_on_or_after: None,
                context_class: Some(REFEDS_MFA.into()),
            }),
            attributes,
        }
    }

    fn expected(mapping: &AttributeMapping) -> Expected<'_> {
        Expected { idp_entity_id: IDP, sp_entity_id: SP, acs_url: ACS, request_id: Some("req-1"), mapping }
    }

    #[test]
    fn a_good_answer_gives_the_same_identity_as_an_oidc_idp_would() {
        let mapping = AttributeMapping::default();
        let a = accept(&good(), &expected(&mapping), now()).unwrap();
        assert_eq!((a.identity.issuer.as_str(), a.identity.subject.as_str()), (IDP, "f8a3c0"));
        assert_eq!(a.identity.email.as_deref(), Some("ana@partner.example"));
        assert_eq!(a.identity.name.as_deref(), Some("Ana Partner"), "givenName + sn without a display name");
        assert!(!a.identity.email_verified, "trusting the email is the admin's choice");
        assert_eq!(a.identity.amr, ["mfa"]);
        assert_eq!(a.assertion_id, "a1");
        assert_eq!(a.replayable_until, now() + Duration::minutes(7));
    }

    #[test]
    fn each_check_refuses_its_own_fault() {
        let mapping = AttributeMapping::default();
        let e = expected(&mapping);
        let refused = |change: &dyn Fn(&mut VerifiedAssertion)| {
            let mut v = good();
            change(&mut v);
            accept(&v, &e, now()).unwrap_err()
        };
        let denied = "urn:oasis:names:tc:SAML:2.0:status:Responder";
        assert_eq!(refused(&|v| v.response.status = denied.into()), NotAccepted::Status(denied.into()));
        assert_eq!(
            refused(&|v| v.response.destination = Some("https://evil.example/acs".into())),
            NotAccepted::Destination
        );
        assert_eq!(
            refused(&|v| {
                v.response_signed = true;
                v.response.destination = None;
            }),
            NotAccepted::Destination
        );
        assert_eq!(refused(&|v| v.issuer = "https://other.example".into()), NotAccepted::Issuer);
        assert_eq!(refused(&|v| v.response.issuer = Some("https://other.example".into())), NotAccepted::Issuer);
        assert_eq!(refused(&|v| v.response.in_response_to = Some("req-2".into())), NotAccepted::InResponseTo);
        assert_eq!(refused(&|v| v.response.in_response_to = None), NotAccepted::InResponseTo, "unsolicited");
        assert_eq!(
            refused(&|v| v.subject_confirmations[0].in_response_to = Some("req-2".into())),
            NotAccepted::NoBearerConfirmation
        );
        assert_eq!(
            refused(&|v| v.subject_confirmations[0].recipient = Some("https://evil.example/acs".into())),
            NotAccepted::NoBearerConfirmation
        );
        assert_eq!(
            refused(&|v| v.subject_confirmations[0].method = "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key".into()),
            NotAccepted::NoBearerConfirmation
        );
        assert_eq!(
            refused(&|v| v.conditions.not_before = Some(now() + Duration::minutes(3))),
            NotAccepted::NotYetValid
        );
        assert_eq!(
            refused(&|v| v.conditions.not_on_or_after = Some(now() - Duration::minutes(3))),
            NotAccepted::Expired
        );
        assert_eq!(refused(&|v| v.conditions.audience_restrictions = vec![]), NotAccepted::Audience);
        assert_eq!(
            refused(&|v| v.conditions.audience_restrictions.push(vec!["https://other-sp.example".into()])),
            NotAccepted::Audience,
            "every restriction must name us"
        );
        assert_eq!(
            refused(&|v| {
                if let Some(n) = v.name_id.as_mut() {
                    n.format = Some("urn:oasis:names:tc:SAML:2.0:nameid-format:transient".into());
                }
            }),
            NotAccepted::NoPersistentId
        );
    }

    #[test]
    fn clocks_may_disagree_by_two_minutes_and_no_more() {
        let mapping = AttributeMapping::default();
        let mut v = good();
        v.conditions.not_before = Some(now() + Duration::seconds(110));
        assert!(accept(&v, &expected(&mapping), now()).is_ok());
        v.conditions.not_before = Some(now() + Duration::seconds(130));
        assert_eq!(accept(&v, &expected(&mapping), now()), Err(NotAccepted::NotYetValid));
    }

    #[test]
    fn a_transient_name_id_is_fine_when_a_persistent_attribute_is_configured() {
        let mapping = AttributeMapping { persistent_id: Some("eduPersonPrincipalName".into()), ..Default::default() };
        let mut v = good();
        if let Some(n) = v.name_id.as_mut() {
            n.format = Some("urn:oasis:names:tc:SAML:2.0:nameid-format:transient".into());
        }
        v.attributes.insert(
            "urn:oid:1.3.6.1.4.1.5923.1.1.1.6".into(),
            attribute(&["ana@partner.example"], Some("eduPersonPrincipalName")),
        );
        let a = accept(&v, &expected(&mapping), now()).unwrap();
        assert_eq!(a.identity.subject, "ana@partner.example");
        // Configured but absent: refused, never the transient NameID instead.
        v.attributes.remove("urn:oid:1.3.6.1.4.1.5923.1.1.1.6");
        assert_eq!(accept(&v, &expected(&mapping), now()), Err(NotAccepted::NoPersistentId));
    }
}
