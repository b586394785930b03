#!/usr/bin/env bash
# Regenerates tests/fixtures/saml/: SAML Responses shaped like SimpleSAMLphp's and AD FS's,
# signed by xmlsec1 (an independent XML-DSig implementation, so our verifier is not only
# tested against itself), the certificates that verify them, and reference canonical forms
# from xmllint. The outputs are committed: CI needs neither xmlsec1 nor libxml2.
# Needs Debian's `xmlsec1`, `libxml2-utils` and `openssl`. The private keys live in a
# temporary directory and are thrown away; run again to rotate everything.
set -euo pipefail
cd "$(dirname "$0")/.."
out=tests/fixtures/saml
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for tool in xmlsec1 xmllint openssl; do
  command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install xmlsec1 libxml2-utils openssl)" >&2; exit 1; }
done

# Keys: the partner IdP's RSA and EC signing keys, and an attacker's RSA key.
cert() { # name, key-generation args…
  local name=$1; shift
  openssl req -x509 -new -nodes -days 3650 -subj "/CN=$name" "$@" -keyout "$tmp/$name.key" \
    -out "$tmp/$name.pem" 2>/dev/null
  openssl x509 -in "$tmp/$name.pem" -outform DER -out "$out/$name.der"
}
cert idp-rsa -newkey rsa:2048 -sha256
cert idp-ec -newkey ec -pkeyopt ec_paramgen_curve:P-256 -sha256
cert attacker -newkey rsa:2048 -sha256

RESPONSE_ID=_8e8dc5f69a98cc4c1ff3427e5ce34606fd672f91e6
ASSERTION_ID=_d71a3a8e9fcc45c9e9d248ef7049393fc8f04e5f75
ACS=https://vestibule.example/auth/partner/saml/acs
SP=https://vestibule.example/auth/partner/saml/metadata
IDP=https://idp.partner.example/simplesaml/saml2/idp/metadata.php
REQUEST=_a0d1c5b3e6f24c7d9b8e1f2a3c4d5e6f0123

# A signature template for xmlsec1: $1 reference id, $2 c14n, $3 signature method,
# $4 digest method, $5 the Transform elements.
signature() {
  cat <<EOF
<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
    <ds:SignedInfo>
      <ds:CanonicalizationMethod Algorithm="$2"/>
      <ds:SignatureMethod Algorithm="$3"/>
      <ds:Reference URI="#$1">
        <ds:Transforms>$5</ds:Transforms>
        <ds:DigestMethod Algorithm="$4"/>
        <ds:DigestValue></ds:DigestValue>
      </ds:Reference>
    </ds:SignedInfo>
    <ds:SignatureValue></ds:SignatureValue>
    <ds:KeyInfo><ds:X509Data><ds:X509Certificate></ds:X509Certificate></ds:X509Data></ds:KeyInfo>
  </ds:Signature>
EOF
}

EXC=http://www.w3.org/2001/10/xml-exc-c14n#
INC=http://www.w3.org/TR/2001/REC-xml-c14n-20010315
ENV='<ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
# SimpleSAMLphp-style: exclusive C14N keeping `xs` (used only inside xsi:type values).
EXC_XS="$ENV<ds:Transform Algorithm=\"$EXC\"><ec:InclusiveNamespaces xmlns:ec=\"$EXC\" PrefixList=\"xs\"/></ds:Transform>"
RSA256=http://www.w3.org/2001/04/xmldsig-more#rsa-sha256
SHA256=http://www.w3.org/2001/04/xmlenc#sha256

# $1 the Response's signature (or empty), $2 the Assertion's signature (or empty), $3 NameID
# format, $4 NameID value.
response() {
  cat <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" ID="$RESPONSE_ID" Version="2.0" IssueInstant="2026-12-07T09:22:05Z" Destination="$ACS" InResponseTo="$REQUEST">
  <saml:Issuer>$IDP</saml:Issuer>
  $1
  <samlp:Status>
    <samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/>
  </samlp:Status>
  <saml:Assertion ID="$ASSERTION_ID" Version="2.0" IssueInstant="2026-12-07T09:22:05Z">
    <saml:Issuer>$IDP</saml:Issuer>
    $2
    <saml:Subject>
      <saml:NameID SPNameQualifier="$SP" Format="$3">$4</saml:NameID>
      <saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
        <saml:SubjectConfirmationData NotOnOrAfter="2026-12-07T09:27:05Z" Recipient="$ACS" InResponseTo="$REQUEST"/>
      </saml:SubjectConfirmation>
    </saml:Subject>
    <saml:Conditions NotBefore="2026-12-07T09:21:35Z" NotOnOrAfter="2026-12-07T09:27:05Z">
      <saml:AudienceRestriction>
        <saml:Audience>$SP</saml:Audience>
      </saml:AudienceRestriction>
    </saml:Conditions>
    <saml:AuthnStatement AuthnInstant="2026-12-07T09:22:01Z" SessionNotOnOrAfter="2026-12-07T17:22:05Z" SessionIndex="_be9967abd904ddcae3c0eb4189adbe3f71e327cf93">
      <saml:AuthnContext>
        <saml:AuthnContextClassRef>https://refeds.org/profile/mfa</saml:AuthnContextClassRef>
      </saml:AuthnContext>
    </saml:AuthnStatement>
    <saml:AttributeStatement>
      <saml:Attribute Name="urn:oid:0.9.2342.19200300.100.1.3" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri" FriendlyName="mail">
        <saml:AttributeValue xsi:type="xs:string">ada.lovelace@partner.example</saml:AttributeValue>
      </saml:Attribute>
      <saml:Attribute Name="urn:oid:2.16.840.1.113730.3.1.241" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri" FriendlyName="displayName">
        <saml:AttributeValue xsi:type="xs:string">Ada Lovelace &amp; Co &lt;R&amp;D&gt;</saml:AttributeValue>
      </saml:Attribute>
      <saml:Attribute Name="urn:oid:1.3.6.1.4.1.5923.1.1.1.7" NameFormat="urn:oasis:names:tc:SAML:2.0:attrname-format:uri" FriendlyName="eduPersonEntitlement">
        <saml:AttributeValue xsi:type="xs:string">urn:mace:partner.example:research</saml:AttributeValue>
        <saml:AttributeValue xsi:type="xs:string">urn:mace:partner.example:staff</saml:AttributeValue>
      </saml:Attribute>
    </saml:AttributeStatement>
  </saml:Assertion>
</samlp:Response>
EOF
}

PERSISTENT=urn:oasis:names:tc:SAML:2.0:nameid-format:persistent
EMAIL=urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress
PID=7f4e0e0c2b1d4a6f9c3e8b5a1d2c3b4a5e6f7081

sign() { # name, key, template file, id attribute node
  xmlsec1 --sign --privkey-pem "$tmp/$2.key,$tmp/$2.pem" \
    --id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion \
    --id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:Response \
    --output "$out/$1.xml" "$3"
  # An independent check that what we commit verifies.
  xmlsec1 --verify --pubkey-cert-pem "$tmp/$2.pem" \
    --id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion \
    --id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:Response "$out/$1.xml" 2>/dev/null
}

make() { # name, key, response signature, assertion signature, nameid format, nameid
  response "$3" "$4" "$5" "$6" >"$tmp/$1.tmpl.xml"
  sign "$1" "$2" "$tmp/$1.tmpl.xml"
}

# The Assertion signed (SimpleSAMLphp, AD FS's default).
make assertion-signed-rsa idp-rsa "" "$(signature "$ASSERTION_ID" "$EXC" "$RSA256" "$SHA256" "$EXC_XS")" "$PERSISTENT" "$PID"
make assertion-signed-ec idp-ec "" \
  "$(signature "$ASSERTION_ID" "$EXC" http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256 "$SHA256" "$EXC_XS")" "$PERSISTENT" "$PID"
# The Response signed instead (AD FS "SignResponse", Shibboleth on request): SHA-512.
make response-signed-rsa idp-rsa \
  "$(signature "$RESPONSE_ID" "$EXC" http://www.w3.org/2001/04/xmldsig-more#rsa-sha512 http://www.w3.org/2001/04/xmlenc#sha512 "$EXC_XS")" \
  "" "$PERSISTENT" "$PID"
# Inclusive C14N 1.0 throughout (older Shibboleth and Java stacks).
make assertion-signed-inclusive idp-rsa "" \
  "$(signature "$ASSERTION_ID" "$INC" "$RSA256" "$SHA256" "$ENV<ds:Transform Algorithm=\"$INC\"/>")" "$PERSISTENT" "$PID"
# An old AD FS: RSA-SHA1 and a SHA-1 digest (accepted only when allowed).
make assertion-signed-sha1 idp-rsa "" \
  "$(signature "$ASSERTION_ID" "$EXC" http://www.w3.org/2000/09/xmldsig#rsa-sha1 http://www.w3.org/2000/09/xmldsig#sha1 "$ENV<ds:Transform Algorithm=\"$EXC\"/>")" \
  "$PERSISTENT" "$PID"
# An email NameID, the target of comment injection (the IdP vouches for this whole value).
make assertion-signed-email idp-rsa "" "$(signature "$ASSERTION_ID" "$EXC" "$RSA256" "$SHA256" "$EXC_XS")" \
  "$EMAIL" user@partner.example.evil.example
# The attacker's own key, its certificate in KeyInfo: must be refused with the IdP's certs.
make attacker-signed attacker "" "$(signature "$ASSERTION_ID" "$EXC" "$RSA256" "$SHA256" "$EXC_XS")" "$PERSISTENT" "$PID"
# Valid signatures over transforms we refuse: C14N with comments, and an XPath filter.
make with-comments-c14n idp-rsa "" \
  "$(signature "$ASSERTION_ID" "$EXC" "$RSA256" "$SHA256" "$ENV<ds:Transform Algorithm=\"${EXC}WithComments\"/>")" \
  "$PERSISTENT" "$PID"
make xpath-transform idp-rsa "" \
  "$(signature "$ASSERTION_ID" "$EXC" "$RSA256" "$SHA256" \
    "<ds:Transform Algorithm=\"http://www.w3.org/TR/1999/REC-xpath-19991116\"><ds:XPath>not(ancestor-or-self::ds:Signature)</ds:XPath></ds:Transform><ds:Transform Algorithm=\"$EXC\"/>")" \
  "$PERSISTENT" "$PID"

# Reference canonical forms for the C14N unit tests, from libxml2 (no comments in the input,
# since xmllint keeps them).
cat >"$out/c14n-input.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<doc xmlns="http://example.org/default" xmlns:a="http://example.org/a" xmlns:unused="http://example.org/unused" xml:lang="en">
  <a:e1   z="3" a:z="2"  b='1' xmlns:b="http://example.org/b" b:attr="x"/>
  <e2 xmlns="">
    <e3 xmlns="http://example.org/default" attr="tab&#9;nl&#10;cr&#13;quot&quot;lt&lt;gt>amp&amp;">text &amp; &lt;more&gt; "quoted" &#13;<![CDATA[<cdata & stuff>]]></e3>
  </e2>
  <a:e4 xmlns:a="http://example.org/a" xmlns:c="http://example.org/c"><c:e5 c:attr="1" xmlns:a="http://example.org/a2"/></a:e4>
  <e6 xml:space="preserve">  é ü 𝄞  </e6>
</doc>
EOF
xmllint --c14n "$out/c14n-input.xml" >"$out/c14n-input.c14n"
xmllint --exc-c14n "$out/c14n-input.xml" >"$out/c14n-input.exc-c14n"

# The exact bytes xmlsec1 digests for the Assertion (the pre-digest buffer), to compare our
# canonical form of a subtree with the signature removed.
predigest() { # fixture, key
  xmlsec1 --verify --store-references --print-debug --pubkey-cert-pem "$tmp/$2.pem" \
    --id-attr:ID urn:oasis:names:tc:SAML:2.0:assertion:Assertion \
    --id-attr:ID urn:oasis:names:tc:SAML:2.0:protocol:Response "$out/$1.xml"
}
for pair in assertion-signed-rsa:idp-rsa assertion-signed-inclusive:idp-rsa response-signed-rsa:idp-rsa; do
  name=${pair%%:*}
  predigest "$name" "${pair#*:}" 2>/dev/null >"$tmp/debug.txt" || true
  # The buffer sits between two marker lines; the printer adds the last newline.
  printf '%s' "$(awk '/^== PreDigest data - end buffer/ {p=0} p {print} /^== PreDigest data - start buffer:/ {p=1}' "$tmp/debug.txt")" \
    >"$out/$name.predigest"
  [ -s "$out/$name.predigest" ] || { echo "no pre-digest buffer for $name" >&2; exit 1; }
done
echo "wrote $out"
