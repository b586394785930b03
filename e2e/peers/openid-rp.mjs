// An app of the portal's OpenID Provider, built on the npm `openid-client` (panva's
// certified relying party), so the tests meet the provider as a real app would.
// Usage: node openid-rp.mjs PORT ISSUER. Prints "listening PORT" once ready.
//
// Its HTTP API for the tests (JSON in and out):
//   POST /clients {name, client_id, client_secret?, auth: basic|post|none, alg?}
//        discovers the issuer and keeps a configuration under `name`
//   GET  /login/NAME?scope=&prompt=&max_age=      302 to the authorization URL (state,
//        nonce and PKCE verifier kept by state, as a real app keeps them in its session)
//   GET  /cb/NAME?…                               the redirect URI: exchanges the code and
//        validates the ID token → {claims, access_token, refresh_token, id_token}, or 400 {error}
//   POST /refresh/NAME {refresh_token}            → the same shape, or 400 {error}
//   POST /userinfo/NAME {access_token, sub}       → the claims, or 400 {error}
//   POST /revoke/NAME {token, hint?}              → {ok: true}
//   POST /end-session-url/NAME {id_token_hint, post_logout_redirect_uri?, state?} → {url}
//   POST /backchannel/NAME                        the back-channel logout URI: verifies the
//        logout token (signature by JWKS, iss, aud, typ, events, no nonce) and records it
//   GET  /backchannel/NAME                        → the claims of each verified logout token
//   GET  /signed-out/NAME                         the post-logout landing page
import http from 'node:http';
import * as client from 'openid-client';
import * as jose from 'jose';

const [port, issuer] = process.argv.slice(2);
if (!port || !issuer) {
  console.error('usage: node openid-rp.mjs PORT ISSUER');
  process.exit(2);
}
const origin = `http://127.0.0.1:${port}`;
const configs = new Map();
const pending = new Map();
const logouts = new Map();

const json = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};
const failure = (res, e) => json(res, 400, {
  error: e?.error ?? e?.cause?.error ?? e?.code ?? e?.name ?? 'error',
  message: String(e?.message ?? e),
  description: e?.error_description ?? e?.cause?.error_description,
});
const readBody = (req) => new Promise((resolve) => {
  let data = '';
  req.on('data', (c) => { data += c; });
  req.on('end', () => resolve(data));
});
const tokens = (t) => ({
  claims: t.claims?.() ?? null,
  access_token: t.access_token,
  refresh_token: t.refresh_token,
  id_token: t.id_token ?? null,
  expires_in: t.expires_in,
  scope: t.scope,
});

async function register({ name, client_id, client_secret, auth, alg }) {
  const method = { basic: client.ClientSecretBasic, post: client.ClientSecretPost, none: client.None }[auth ?? 'basic'];
  const metadata = { id_token_signed_response_alg: alg ?? 'RS256' };
  if (client_secret) metadata.client_secret = client_secret;
  const config = await client.discovery(new URL(issuer), client_id, metadata,
    auth === 'none' ? client.None() : method(client_secret),
    { execute: [client.allowInsecureRequests] });
  configs.set(name, { config, client_id });
}

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, origin);
  const [, action, name] = url.pathname.split('/');
  const entry = configs.get(name);
  try {
    if (req.method === 'POST' && action === 'clients') {
      await register(JSON.parse(await readBody(req)));
      return json(res, 200, { ok: true });
    }
    if (action === 'signed-out') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return res.end(`signed out of ${name}; state=${url.searchParams.get('state') ?? ''}`);
    }
    if (action === 'backchannel' && req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      const { config, client_id } = entry;
      const meta = config.serverMetadata();
      const jwks = jose.createRemoteJWKSet(new URL(meta.jwks_uri));
      const { payload } = await jose.jwtVerify(form.get('logout_token'), jwks,
        { issuer: meta.issuer, audience: client_id, typ: 'logout+jwt' });
      if (!payload.events?.['http://schemas.openid.net/event/backchannel-logout'] || 'nonce' in payload) {
        throw new Error('not a logout token');
      }
      logouts.set(name, [...(logouts.get(name) ?? []), payload]);
      res.writeHead(200);
      return res.end();
    }
    if (action === 'backchannel') return json(res, 200, logouts.get(name) ?? []);
    if (!entry) return json(res, 404, { error: 'unknown client', name });
    const { config } = entry;
    if (action === 'login') {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const nonce = client.randomNonce();
      pending.set(state, { verifier, nonce });
      const params = {
        redirect_uri: `${origin}/cb/${name}`,
        scope: url.searchParams.get('scope') ?? 'openid email profile groups',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      };
      for (const extra of ['prompt', 'max_age', 'login_hint']) {
        if (url.searchParams.has(extra)) params[extra] = url.searchParams.get(extra);
      }
      res.writeHead(302, { location: client.buildAuthorizationUrl(config, params).href });
      return res.end();
    }
    if (action === 'cb') {
      const state = url.searchParams.get('state');
      const kept = pending.get(state);
      if (!kept) return json(res, 400, { error: 'unknown state', query: url.search });
      pending.delete(state);
      const t = await client.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: kept.verifier, expectedState: state, expectedNonce: kept.nonce, idTokenExpected: true,
      });
      return json(res, 200, tokens(t));
    }
    const body = req.method === 'POST' ? JSON.parse(await readBody(req) || '{}') : {};
    if (action === 'refresh') return json(res, 200, tokens(await client.refreshTokenGrant(config, body.refresh_token)));
    if (action === 'userinfo') return json(res, 200, await client.fetchUserInfo(config, body.access_token, body.sub));
    if (action === 'revoke') {
      await client.tokenRevocation(config, body.token, body.hint ? { token_type_hint: body.hint } : {});
      return json(res, 200, { ok: true });
    }
    if (action === 'end-session-url') {
      const params = { id_token_hint: body.id_token_hint };
      if (body.post_logout_redirect_uri) params.post_logout_redirect_uri = body.post_logout_redirect_uri;
      if (body.state) params.state = body.state;
      return json(res, 200, { url: client.buildEndSessionUrl(config, params).href });
    }
    return json(res, 404, { error: 'no such action', action });
  } catch (e) {
    return failure(res, e);
  }
});

server.listen(Number(port), '127.0.0.1', () => console.log(`listening ${port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
