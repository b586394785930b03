# A partner's SAML 2.0 IdP written with PyPI `pysaml2` (which signs through xmlsec1): the
# HTTP tests' second, independent IdP beside SimpleSAMLphp in the browser suite. It reads
# our AuthnRequest (HTTP-Redirect), answers with pysaml2's own signed Response in an
# auto-POST form to the ACS the request named, and publishes its metadata. One process
# serves every test: each test's portal is its own SP (its own entityID).
# Usage: python3 pysaml2_idp.py PORT [--exit-with-stdin]. Prints "listening PORT" once ready.
#   GET  /metadata                   this IdP's metadata (pysaml2's, with its certificate)
#   POST /sp  {metadata, user, ...}  register an SP (our metadata) and who signs in next
#   GET  /sso?SAMLRequest=…          → 200 HTML form posting SAMLResponse to the ACS
#   GET  /unsolicited?sp=ENTITY&acs=URL&relay=…  an IdP-initiated Response, same form
# A user is {name_id, name_id_format: persistent|transient, attributes: {name: [values]},
# authn_context, sign_response, sign_assertion, key: genuine|attacker, sign_alg: sha256|sha1,
# require_signed_request}.
import base64
import html
import json
import os
import subprocess
import sys
import tempfile
import threading
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

warnings.simplefilter("ignore")  # pysaml2's deprecation notices, not ours to fix
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT  # noqa: E402
from saml2.config import IdPConfig  # noqa: E402
from saml2.metadata import create_metadata_string  # noqa: E402
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT, NameID  # noqa: E402
from saml2.server import Server  # noqa: E402
from saml2.xmldsig import DIGEST_SHA1, DIGEST_SHA256, SIG_RSA_SHA1, SIG_RSA_SHA256  # noqa: E402

PORT = int(sys.argv[1])
BASE = f"http://127.0.0.1:{PORT}"
ENTITY_ID = f"{BASE}/metadata"
KEYS = tempfile.mkdtemp(prefix="pysaml2-idp-")


def make_key(name):
    key, cert = os.path.join(KEYS, f"{name}.key"), os.path.join(KEYS, f"{name}.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-new", "-nodes", "-days", "30", "-subj", f"/CN={name}",
         "-newkey", "rsa:2048", "-sha256", "-keyout", key, "-out", cert],
        check=True, capture_output=True,
    )
    return key, cert


def server(key, cert, want_signed_requests=False):
    conf = IdPConfig()
    conf.load({
        "entityid": ENTITY_ID,
        "service": {"idp": {
            "endpoints": {"single_sign_on_service": [(f"{BASE}/sso", BINDING_HTTP_REDIRECT)]},
            "policy": {"default": {"lifetime": {"minutes": 5}, "attribute_restrictions": None}},
            "name_id_format": [NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT],
            "want_authn_requests_signed": want_signed_requests,
        }},
        "key_file": key,
        "cert_file": cert,
        "xmlsec_binary": "/usr/bin/xmlsec1",
        "metadata": {},
    })
    return Server(config=conf)


GENUINE, ATTACKER = make_key("genuine"), make_key("attacker")
SPS, SP_METADATA, LOCK = {}, {}, threading.Lock()


def servers():
    """Fresh servers holding every SP's latest metadata (pysaml2 would keep an SP's first
    metadata when it is loaded again). "strict" is the genuine IdP wanting signed
    AuthnRequests, for SPs that say require_signed_request."""
    made = {"genuine": server(*GENUINE), "attacker": server(*ATTACKER),
            "strict": server(*GENUINE, want_signed_requests=True)}
    for idp in made.values():
        for xml in SP_METADATA.values():
            idp.metadata.load("inline", xml)
    return made


IDPS = servers()


def answer(sp_entity_id, in_response_to, acs):
    user = SPS[sp_entity_id]
    idp = IDPS[user.get("key", "genuine")]
    persistent = user.get("name_id_format", "persistent") == "persistent"
    name_id = NameID(
        format=NAMEID_FORMAT_PERSISTENT if persistent else NAMEID_FORMAT_TRANSIENT,
        sp_name_qualifier=sp_entity_id, name_qualifier=ENTITY_ID, text=user["name_id"],
    )
    sha1 = user.get("sign_alg") == "sha1"
    response = idp.create_authn_response(
        user.get("attributes", {}), in_response_to, acs, sp_entity_id, name_id=name_id,
        authn={"class_ref": user.get("authn_context",
                                     "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport")},
        sign_response=user.get("sign_response", False), sign_assertion=user.get("sign_assertion", True),
        sign_alg=SIG_RSA_SHA1 if sha1 else SIG_RSA_SHA256, digest_alg=DIGEST_SHA1 if sha1 else DIGEST_SHA256,
    )
    return base64.b64encode(str(response).encode()).decode()


def form(acs, saml_response, relay=None):
    relay_field = f'<input type="hidden" name="RelayState" value="{html.escape(relay)}">' if relay else ""
    return (f'<html><body><form method="post" action="{html.escape(acs)}">'
            f'<input type="hidden" name="SAMLResponse" value="{saml_response}">{relay_field}'
            f'<button type="submit">Continue</button></form></body></html>')


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body, content_type="text/html"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        global IDPS
        with LOCK:
            SP_METADATA[body["entity_id"]] = body["metadata"]
            SPS[body["entity_id"]] = body["user"]
            IDPS = servers()
        self.reply(200, json.dumps({"ok": True}), "application/json")

    def do_GET(self):
        url = urlparse(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        try:
            if url.path == "/metadata":
                return self.reply(200, create_metadata_string(None, IDPS["genuine"].config, sign=False).decode(),
                                  "application/samlmetadata+xml")
            if url.path == "/sso":
                request = IDPS["genuine"].parse_authn_request(q["SAMLRequest"], BINDING_HTTP_REDIRECT).message
                sp, acs = request.issuer.text, request.assertion_consumer_service_url
                if SPS.get(sp, {}).get("require_signed_request"):
                    # The query's signature, checked with the certificate in the SP's metadata.
                    try:
                        IDPS["strict"].parse_authn_request(
                            q["SAMLRequest"], BINDING_HTTP_REDIRECT,
                            sigalg=q.get("SigAlg"), signature=q.get("Signature"),
                        )
                    except Exception as e:
                        return self.reply(400, f"the AuthnRequest is not signed correctly: {e}", "text/plain")
                return self.reply(200, form(acs, answer(sp, request.id, acs)))
            if url.path == "/unsolicited":
                return self.reply(200, form(q["acs"], answer(q["sp"], None, q["acs"]), q.get("relay")))
        except Exception as e:  # the test reads why
            return self.reply(500, f"{type(e).__name__}: {e}", "text/plain")
        self.reply(404, "not found", "text/plain")


def exit_with_parent():
    """The Rust tests share one IdP per test binary and keep its stdin open: EOF means the
    binary is gone."""
    sys.stdin.read()
    os._exit(0)


ThreadingHTTPServer.allow_reuse_address = True
httpd = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
if "--exit-with-stdin" in sys.argv:
    threading.Thread(target=exit_with_parent, daemon=True).start()
print(f"listening {PORT}", flush=True)
httpd.serve_forever()
