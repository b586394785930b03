//! Reads the values later code decides on, from the verified Assertion's nodes only, by
//! namespace and along fixed child paths (never a search of descendants, which could walk
//! into the unsigned KeyInfo of an enveloped signature). An element the schema allows once
//! appearing twice is refused, so no reader can pick "the first" while another picks "the
//! last".

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use roxmltree::Node;

use super::verify::is;
use super::{
    ASSERTION_NS, Attribute, Authn, Conditions, NameId, PROTOCOL_NS, Refused, ResponseFields, SubjectConfirmation,
    VerifiedAssertion,
};

const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

pub(super) fn verified(
    response: Node,
    assertion: Node,
    response_signed: bool,
    assertion_signed: bool,
) -> Result<VerifiedAssertion, Refused> {
    for e in [response, assertion] {
        if e.attribute("Version") != Some("2.0") {
            return Err(Refused::Value("Version is not 2.0"));
        }
    }
    let issuer = one(assertion, "Issuer")?.ok_or(Refused::Value("the Assertion has no Issuer"))?;
    let subject = one(assertion, "Subject")?;
    let name_id = match subject {
        Some(s) => {
            if one(s, "EncryptedID")?.is_some() {
                return Err(Refused::Structure("encrypted NameIDs are not supported"));
            }
            one(s, "NameID")?.map(name_id).transpose()?
        }
        None => None,
    };
    let subject_confirmations = match subject {
        Some(s) => children(s, "SubjectConfirmation").map(subject_confirmation).collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let authn = {
        let mut statements = children(assertion, "AuthnStatement");
        match (statements.next(), statements.next()) {
            (None, _) => None,
            (Some(s), None) => Some(authn(s)?),
            (Some(_), Some(_)) => return Err(Refused::Structure("more than one AuthnStatement")),
        }
    };
    let mut attributes = BTreeMap::new();
    for statement in children(assertion, "AttributeStatement") {
        if children(statement, "EncryptedAttribute").next().is_some() {
            return Err(Refused::Structure("encrypted attributes are not supported"));
        }
        for a in children(statement, "Attribute") {
            let name = a.attribute("Name").ok_or(Refused::Value("an Attribute without Name"))?;
            if attributes.insert(name.to_string(), attribute(a)?).is_some() {
                return Err(Refused::Structure("an attribute appears twice"));
            }
        }
    }
    Ok(VerifiedAssertion {
        response_signed,
        assertion_signed,
        response: response_fields(response)?,
        id: required(assertion, "ID")?,
        issue_instant: time(assertion.attribute("IssueInstant"))?.ok_or(Refused::Value("IssueInstant"))?,
        issuer: text(issuer)?,
        name_id,
        subject_confirmations,
        conditions: one(assertion, "Conditions")?.map(conditions).transpose()?.unwrap_or_default(),
        authn,
        attributes,
    })
}

fn response_fields(r: Node) -> Result<ResponseFields, Refused> {
    let status = only(r.children().filter(|c| is(*c, PROTOCOL_NS, "Status")))?
        .ok_or(Refused::Value("the Response has no Status"))?;
    let code = only(status.children().filter(|c| is(*c, PROTOCOL_NS, "StatusCode")))?
        .ok_or(Refused::Value("the Status has no StatusCode"))?;
    let sub = only(code.children().filter(|c| is(*c, PROTOCOL_NS, "StatusCode")))?;
    Ok(ResponseFields {
        id: required(r, "ID")?,
        destination: r.attribute("Destination").map(str::to_string),
        in_response_to: r.attribute("InResponseTo").map(str::to_string),
        issuer: one(r, "Issuer")?.map(text).transpose()?,
        status: required(code, "Value")?,
        sub_status: sub.map(|s| required(s, "Value")).transpose()?,
    })
}

fn name_id(n: Node) -> Result<NameId, Refused> {
    Ok(NameId {
        value: text(n)?,
        format: n.attribute("Format").map(str::to_string),
        name_qualifier: n.attribute("NameQualifier").map(str::to_string),
        sp_name_qualifier: n.attribute("SPNameQualifier").map(str::to_string),
    })
}

fn subject_confirmation(sc: Node) -> Result<SubjectConfirmation, Refused> {
    let data = one(sc, "SubjectConfirmationData")?;
    let attr = |name| data.and_then(|d| d.attribute(name));
    Ok(SubjectConfirmation {
        method: required(sc, "Method")?,
        recipient: attr("Recipient").map(str::to_string),
        not_before: time(attr("NotBefore"))?,
        not_on_or_after: time(attr("NotOnOrAfter"))?,
        in_response_to: attr("InResponseTo").map(str::to_string),
    })
}

fn conditions(c: Node) -> Result<Conditions, Refused> {
    let mut out = Conditions {
        not_before: time(c.attribute("NotBefore"))?,
        not_on_or_after: time(c.attribute("NotOnOrAfter"))?,
        ..Conditions::default()
    };
    for child in c.children().filter(|n| n.is_element()) {
        match (child.tag_name().namespace(), child.tag_name().name()) {
            (Some(ASSERTION_NS), "AudienceRestriction") => {
                out.audience_restrictions.push(children(child, "Audience").map(text).collect::<Result<_, _>>()?)
            }
            (Some(ASSERTION_NS), "OneTimeUse") => out.one_time_use = true,
            (Some(ASSERTION_NS), "ProxyRestriction") => {}
            // SAML core §2.5.1.5: an unknown condition makes the assertion indeterminate.
            _ => return Err(Refused::Structure("a condition we do not understand")),
        }
    }
    Ok(out)
}

fn authn(s: Node) -> Result<Authn, Refused> {
    let class = one(s, "AuthnContext")?.map(|ctx| one(ctx, "AuthnContextClassRef")).transpose()?.flatten();
    Ok(Authn {
        instant: time(s.attribute("AuthnInstant"))?.ok_or(Refused::Value("AuthnInstant"))?,
        session_index: s.attribute("SessionIndex").map(str::to_string),
        session_not_on_or_after: time(s.attribute("SessionNotOnOrAfter"))?,
        context_class: class.map(text).transpose()?,
    })
}

fn attribute(a: Node) -> Result<Attribute, Refused> {
    let mut values = Vec::new();
    for v in children(a, "AttributeValue") {
        let nil = v.attribute((XSI_NS, "nil")).is_some_and(|n| n == "true" || n == "1");
        if !nil && !v.children().any(|c| c.is_element()) {
            values.push(text(v)?);
        }
    }
    Ok(Attribute {
        friendly_name: a.attribute("FriendlyName").map(str::to_string),
        name_format: a.attribute("NameFormat").map(str::to_string),
        values,
    })
}

/// An element's text: all its text nodes joined, comments skipped, as C14N hashed it (so
/// `user@partner.example<!---->.evil.example` reads as the whole signed value, not the part
/// before the comment). Markup inside a text value is refused.
fn text(e: Node) -> Result<String, Refused> {
    if e.children().any(|c| c.is_element()) {
        return Err(Refused::Structure("markup inside a text value"));
    }
    Ok(e.children().filter(|c| c.is_text()).filter_map(|c| c.text()).collect())
}

fn children<'a, 'input>(e: Node<'a, 'input>, name: &'static str) -> impl Iterator<Item = Node<'a, 'input>> {
    e.children().filter(move |c| is(*c, ASSERTION_NS, name))
}

/// The child the schema allows at most once.
fn one<'a, 'input>(e: Node<'a, 'input>, name: &'static str) -> Result<Option<Node<'a, 'input>>, Refused> {
    only(children(e, name))
}

fn only<'a, 'input>(mut it: impl Iterator<Item = Node<'a, 'input>>) -> Result<Option<Node<'a, 'input>>, Refused> {
    match (it.next(), it.next()) {
        (first, None) => Ok(first),
        _ => Err(Refused::Structure("an element that may appear once appears twice")),
    }
}

fn required(e: Node, attr: &'static str) -> Result<String, Refused> {
    e.attribute(attr).map(str::to_string).ok_or(Refused::Value(attr))
}

/// SAML core §1.3.3: xs:dateTime in UTC. Unparseable times are refused, not skipped.
fn time(value: Option<&str>) -> Result<Option<DateTime<Utc>>, Refused> {
    value
        .map(|v| DateTime::parse_from_rfc3339(v.trim()).map(|t| t.with_timezone(&Utc)))
        .transpose()
        .map_err(|_| Refused::Value("a time that is not xs:dateTime in UTC"))
}
