# An app of the portal's OpenID Provider written with Python's Authlib (PyPI `authlib`):
# the code flow with PKCE through Authlib's OAuth2Session, and the ID token validated by
# Authlib's JOSE and OIDC claims classes (signature against the JWKS, iss, aud, nonce, exp,
# at_hash), so RS256, ES256 and EdDSA tokens meet a second, independent verifier.
# Usage: python3 authlib_rp.py PORT ISSUER. Prints "listening PORT" once ready.
#   POST /clients {name, client_id, client_secret, alg}   discovery, kept under `name`
#   GET  /login/NAME                                      302 to the authorization URL
#   GET  /cb/NAME?…                                       → {alg, kid, claims} or 400 {error}
import json
import secrets
import sys
import warnings
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import requests
from authlib.integrations.requests_client import OAuth2Session

warnings.simplefilter("ignore")  # authlib.jose's deprecation notice, not ours to fix
from authlib.jose import JsonWebKey, JsonWebToken  # noqa: E402
from authlib.oidc.core import CodeIDToken  # noqa: E402

PORT, ISSUER = int(sys.argv[1]), sys.argv[2]
ORIGIN = f"http://127.0.0.1:{PORT}"
clients, pending = {}, {}


def discover():
    return requests.get(f"{ISSUER}/.well-known/openid-configuration", timeout=10).json()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def reply(self, status, body, location=None):
        self.send_response(status)
        if location:
            self.send_header("Location", location)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body).encode())

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        clients[body["name"]] = dict(body, metadata=discover())
        self.reply(200, {"ok": True})

    def do_GET(self):
        url = urlparse(self.path)
        _, action, name = url.path.split("/", 2)
        c = clients.get(name)
        if c is None:
            return self.reply(404, {"error": "unknown client"})
        session = OAuth2Session(
            c["client_id"], c["client_secret"], scope="openid email profile groups",
            redirect_uri=f"{ORIGIN}/cb/{name}", code_challenge_method="S256",
        )
        meta = c["metadata"]
        try:
            if action == "login":
                verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
                uri, state = session.create_authorization_url(
                    meta["authorization_endpoint"], nonce=nonce, code_verifier=verifier)
                pending[state] = (verifier, nonce)
                return self.reply(302, {}, location=uri)
            if action == "cb":
                state = dict(p.split("=", 1) for p in url.query.split("&"))["state"]
                verifier, nonce = pending.pop(state)
                token = session.fetch_token(
                    meta["token_endpoint"], authorization_response=f"{ORIGIN}{self.path}",
                    code_verifier=verifier, state=state)
                jwks = JsonWebKey.import_key_set(requests.get(meta["jwks_uri"], timeout=10).json())
                jwt = JsonWebToken([c["alg"]])  # only the algorithm registered for this client
                claims = jwt.decode(
                    token["id_token"], jwks, claims_cls=CodeIDToken,
                    claims_options={"iss": {"essential": True, "values": [meta["issuer"]]}},
                    claims_params={"nonce": nonce, "client_id": c["client_id"], "access_token": token["access_token"]},
                )
                claims.validate()
                return self.reply(200, {"alg": claims.header["alg"], "kid": claims.header.get("kid"), "claims": dict(claims)})
            return self.reply(404, {"error": "no such action"})
        except Exception as e:  # the test reads the reason
            return self.reply(400, {"error": type(e).__name__, "message": str(e)})


server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
print(f"listening {PORT}", flush=True)
server.serve_forever()
