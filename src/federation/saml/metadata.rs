//! SAML metadata both ways: reading a partner IdP's (its entityID, where to send people,
//! its signing certificates and how long the document holds) and writing ours, the
//! service provider's, for the partner's admin to import. One strict parse (no DTD), as
//! for Responses; certificates are kept as DER and judged by `keys`.

use chrono::{DateTime, Duration, Utc};

const MD_NS: &str = "urn:oasis:names:tc:SAML:2.0:metadata";
const DSIG_NS: &str = super::DSIG_NS;
const HTTP_REDIRECT: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
const HTTP_POST: &str = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
/// The largest metadata document read (an aggregate of a whole federation is not one IdP).
pub const MAX_METADATA_BYTES: usize = 512 * 1024;

/// How a browser is sent to the IdP with our AuthnRequest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Binding {
    Redirect,
    Post,
}

impl Binding {
    /// As stored (`saml_idps.sso_binding`).
    pub fn as_str(self) -> &'static str {
        match self {
            Binding::Redirect => "redirect",
            Binding::Post => "post",
        }
    }

    pub fn from_stored(s: &str) -> Binding {
        if s == "post" { Binding::Post } else { Binding::Redirect }
    }
}

/// What an IdP's metadata says that the portal uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdpMetadata {
    pub entity_id: String,
    /// Where AuthnRequests go; HTTP-Redirect preferred when both are offered.
    pub sso_url: String,
    pub sso_binding: Binding,
    /// Every signing certificate, as DER (several at once during a key rollover).
    pub signing_certs: Vec<Vec<u8>>,
    /// `validUntil`: the document must not be used after it.
    pub valid_until: Option<DateTime<Utc>>,
    /// `cacheDuration`: fetch it again after this long (the caller caps it at a day).
    pub cache_duration: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    #[error("the metadata is larger than {MAX_METADATA_BYTES} bytes")]
    TooLarge,
    #[error("the metadata is not well-formed XML (or holds a DTD, which is refused): {0}")]
    NotXml(String),
    #[error("the metadata holds no EntityDescriptor with an IDPSSODescriptor for SAML 2.0")]
    NoIdp,
    #[error("the metadata describes {0} identity providers; give the metadata of one")]
    SeveralIdps(usize),
    #[error("the identity provider names no SingleSignOnService with the HTTP-Redirect or HTTP-POST binding")]
    NoSingleSignOn,
    #[error("the identity provider publishes no signing certificate, so its answers could not be checked")]
    NoSigningCertificate,
    #[error("a certificate in the metadata is not valid base64")]
    BadCertificate,
    #[error("the metadata expired on {0}")]
    Expired(DateTime<Utc>),
}

/// Reads an IdP's metadata (a single `EntityDescriptor`, or an `EntitiesDescriptor`
/// holding exactly one IdP) as of `now`.
pub fn read_idp(xml: &str, now: DateTime<Utc>) -> Result<IdpMetadata, MetadataError> {
    if xml.len() > MAX_METADATA_BYTES {
        return Err(MetadataError::TooLarge);
    }
    let options = roxmltree::ParsingOptions { allow_dtd: false, nodes_limit: 50_000, ..Default::default() };
    let doc =
        roxmltree::Document::parse_with_options(xml, options).map_err(|e| MetadataError::NotXml(e.to_string()))?;
    let idps: Vec<roxmltree::Node> = doc
        .descendants()
        .filter(|n| is(n, MD_NS, "EntityDescriptor"))
        .filter(|n| n.children().any(|c| is_saml2_idp(&c)))
        .collect();
    let entity = match idps.as_slice() {
        [] => return Err(MetadataError::NoIdp),
        [one] => *one,
        many => return Err(MetadataError::SeveralIdps(many.len())),
    };
    let descriptor = entity.children().find(is_saml2_idp).ok_or(MetadataError::NoIdp)?;
    let valid_until =
        [entity, doc.root_element()].iter().filter_map(|n| n.attribute("validUntil")).find_map(parse_time);
    if let Some(until) = valid_until.filter(|u| *u <= now) {
        return Err(MetadataError::Expired(until));
    }
    let cache_duration =
        [entity, doc.root_element()].iter().filter_map(|n| n.attribute("cacheDuration")).find_map(parse_duration);
    let services: Vec<(Binding, &str)> = descriptor
        .children()
        .filter(|n| is(n, MD_NS, "SingleSignOnService"))
        .filter_map(|n| {
            let binding = match n.attribute("Binding")? {
                HTTP_REDIRECT => Binding::Redirect,
                HTTP_POST => Binding::Post,
                _ => return None,
            };
            Some((binding, n.attribute("Location")?.trim()))
        })
        .filter(|(_, url)| url.starts_with("https://") || url.starts_with("http://"))
        .collect();
    let (sso_binding, sso_url) = services
        .iter()
        .find(|(b, _)| *b == Binding::Redirect)
        .or_else(|| services.first())
        .map(|(b, u)| (*b, u.to_string()))
        .ok_or(MetadataError::NoSingleSignOn)?;
    let mut signing_certs = Vec::new();
    for key in descriptor.children().filter(|n| is(n, MD_NS, "KeyDescriptor")) {
        // No `use` means both signing and encryption (SAML metadata §2.4.1.1).
        if key.attribute("use").is_some_and(|u| u != "signing") {
            continue;
        }
        for cert in key.descendants().filter(|n| is(n, DSIG_NS, "X509Certificate")) {
            let text: String = cert.text().unwrap_or_default().chars().filter(|c| !c.is_whitespace()).collect();
            use base64::Engine;
            let der =
                base64::engine::general_purpose::STANDARD.decode(text).map_err(|_| MetadataError::BadCertificate)?;
            if !signing_certs.contains(&der) {
                signing_certs.push(der);
            }
        }
    }
    if signing_certs.is_empty() {
        return Err(MetadataError::NoSigningCertificate);
    }
    Ok(IdpMetadata {
        entity_id: entity.attribute("entityID").ok_or(MetadataError::NoIdp)?.to_string(),
        sso_url,
        sso_binding,
        signing_certs,
        valid_until,
        cache_duration,
    })
}

fn is(n: &roxmltree::Node, ns: &str, name: &str) -> bool {
    n.is_element() && n.tag_name().namespace() == Some(ns) && n.tag_name().name() == name
}

fn is_saml2_idp(n: &roxmltree::Node) -> bool {
    is(n, MD_NS, "IDPSSODescriptor")
        && n.attribute("protocolSupportEnumeration")
            .is_some_and(|p| p.split_whitespace().any(|p| p == "urn:oasis:names:tc:SAML:2.0:protocol"))
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim()).ok().map(|t| t.with_timezone(&Utc))
}

/// An `xs:duration` of days, hours, minutes and seconds (`P1D`, `PT6H`, `PT3600S`); years
/// and months are refused rather than guessed.
fn parse_duration(s: &str) -> Option<Duration> {
    let rest = s.trim().strip_prefix('P')?;
    let (date, time) = rest.split_once('T').unwrap_or((rest, ""));
    let mut total = Duration::zero();
    let mut read = |part: &str, units: &[(char, i64)]| -> Option<()> {
        let mut number = String::new();
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
            } else {
                let (_, secs) = units.iter().find(|(u, _)| *u == c)?;
                let value: f64 = number.parse().ok()?;
                total += Duration::milliseconds((value * 1000.0 * *secs as f64) as i64);
                number.clear();
            }
        }
        number.is_empty().then_some(())
    };
    read(date, &[('D', 86_400)])?;
    read(time, &[('H', 3_600), ('M', 60), ('S', 1)])?;
    Some(total)
}

/// Reads an IdP's metadata from its URL, through the outbound client (its address rules,
/// no redirects, bounded time and size). The text as it came.
pub async fn fetch(http: &crate::federation::outbound::OutboundHttp, url: &str) -> Result<String, String> {
    let chain = |e: &dyn std::error::Error| crate::federation::error_chain(e);
    let res = http
        .get(url)
        .map_err(|e| chain(&e))?
        .header("accept", "application/samlmetadata+xml, application/xml, text/xml")
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| chain(&e))?;
    let body = crate::federation::outbound::read_limited(res, MAX_METADATA_BYTES).await?;
    String::from_utf8(body).map_err(|_| "the metadata is not UTF-8".to_string())
}

/// Our service provider's metadata for one IdP: its entityID and the AssertionConsumer
/// Service (HTTP-POST) are addresses of this portal; we want signed assertions and take a
/// persistent NameID. With `signing_cert` (DER), our AuthnRequests are signed with its key.
pub fn sp_metadata(entity_id: &str, acs_url: &str, org_name: &str, signing_cert: Option<&[u8]>) -> String {
    use base64::Engine;
    let key = signing_cert.map_or(String::new(), |der| {
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        format!(
            r#"
    <md:KeyDescriptor use="signing"><ds:KeyInfo xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:X509Data><ds:X509Certificate>{b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#
        )
    });
    let signed = signing_cert.is_some();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="{MD_NS}" entityID="{entity}">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol" AuthnRequestsSigned="{signed}" WantAssertionsSigned="true">{key}
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:AssertionConsumerService Binding="{HTTP_POST}" Location="{acs}" index="0" isDefault="true"/>
  </md:SPSSODescriptor>
  <md:Organization>
    <md:OrganizationName xml:lang="en">{org}</md:OrganizationName>
    <md:OrganizationDisplayName xml:lang="en">{org}</md:OrganizationDisplayName>
    <md:OrganizationURL xml:lang="en">{entity}</md:OrganizationURL>
  </md:Organization>
</md:EntityDescriptor>
"#,
        entity = escape(entity_id),
        acs = escape(acs_url),
        org = escape(org_name),
    )
}

/// Text as an XML attribute or element may hold it.
pub(super) fn escape(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control())
        .map(|c| match c {
            '&' => "&amp;".to_string(),
            '<' => "&lt;".to_string(),
            '>' => "&gt;".to_string(),
            '"' => "&quot;".to_string(),
            '\'' => "&apos;".to_string(),
            c => c.to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z").unwrap().with_timezone(&Utc)
    }

    fn metadata(extra_key: &str, services: &str) -> String {
        format!(
            r#"<?xml version="1.0"?>
<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" cacheDuration="PT6H">
 <md:EntityDescriptor entityID="https://idp.partner.example/saml" validUntil="2027-01-01T00:00:00Z">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
   <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>
     AQID
   </ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
   {extra_key}
   <md:KeyDescriptor use="encryption"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>CQkJ</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
   {services}
  </md:IDPSSODescriptor>
 </md:EntityDescriptor>
 <md:EntityDescriptor entityID="https://sp.partner.example/">
  <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/>
 </md:EntityDescriptor>
</md:EntitiesDescriptor>"#
        )
    }

    const BOTH: &str = r#"<md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://idp.partner.example/sso/post"/>
   <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="https://idp.partner.example/sso/redirect"/>"#;

    #[test]
    fn an_idps_metadata_gives_its_entity_sign_on_and_every_signing_certificate() {
        let rollover = r#"<md:KeyDescriptor><ds:KeyInfo><ds:X509Data><ds:X509Certificate>BAUG</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"#;
        let m = read_idp(&metadata(rollover, BOTH), now()).unwrap();
        assert_eq!(m.entity_id, "https://idp.partner.example/saml");
        assert_eq!(
            (m.sso_binding, m.sso_url.as_str()),
            (Binding::Redirect, "https://idp.partner.example/sso/redirect")
        );
        assert_eq!(m.signing_certs, vec![vec![1, 2, 3], vec![4, 5, 6]], "both signing keys, not the encryption one");
        assert_eq!(m.cache_duration, Some(Duration::hours(6)));
        assert!(m.valid_until.is_some());
    }

    #[test]
    fn metadata_that_cannot_be_used_is_refused_with_the_reason() {
        assert_eq!(read_idp(&metadata("", ""), now()), Err(MetadataError::NoSingleSignOn));
        let expired = metadata("", BOTH).replace("2027-01-01", "2026-01-01");
        assert!(matches!(read_idp(&expired, now()), Err(MetadataError::Expired(_))));
        let unsigned = metadata("", BOTH).replace("use=\"signing\"", "use=\"encryption\"");
        assert_eq!(read_idp(&unsigned, now()), Err(MetadataError::NoSigningCertificate));
        let dtd =
            format!("<!DOCTYPE x [<!ENTITY a \"b\">]>{}", metadata("", BOTH).replace("<?xml version=\"1.0\"?>", ""));
        assert!(matches!(read_idp(&dtd, now()), Err(MetadataError::NotXml(_))));
        let sp_only = r#"<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>"#;
        assert_eq!(read_idp(sp_only, now()), Err(MetadataError::NoIdp));
    }

    #[test]
    fn durations_read_days_hours_minutes_and_seconds_only() {
        assert_eq!(parse_duration("P1D"), Some(Duration::days(1)));
        assert_eq!(parse_duration("PT1H30M"), Some(Duration::minutes(90)));
        assert_eq!(parse_duration("PT3600S"), Some(Duration::hours(1)));
        assert_eq!(parse_duration("P1M"), None, "months are not guessed");
    }

    #[test]
    fn our_metadata_escapes_what_it_is_given_and_reads_back_as_xml() {
        let xml = sp_metadata(
            "https://portal.example/auth/p/saml/metadata",
            "https://portal.example/auth/p/saml/acs",
            "A & B <Ltd>",
            None,
        );
        let doc = roxmltree::Document::parse(&xml).unwrap();
        assert_eq!(doc.root_element().attribute("entityID"), Some("https://portal.example/auth/p/saml/metadata"));
        assert!(xml.contains("A &amp; B &lt;Ltd&gt;"));
        assert!(xml.contains("nameid-format:persistent"));
    }
}
