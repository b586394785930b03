// A real OpenID Provider for tests: the npm `oidc-provider` with its development login
// pages (any login name is accepted as the account id; the password is ignored).
// Usage: node oidc-provider.mjs PORT REDIRECT_URI [REDIRECT_URI…]
// Accounts (a "+mfa" or "+acr" suffix adds the partner's MFA, see below): ana (ana@partner.example, verified), bo (bo@partner.example, verified),
// eve (eve@elsewhere.example, verified), unverified (ana@partner.example, NOT verified),
// root (root@contoso.example, verified: a member of the host), mia (mia@contoso.example,
// verified: a colleague who becomes a member through the workforce IdP).
// Signing keys are generated at every start, so a restart on the same port is a key rotation.
// With TENANT=<guid> in the environment it plays Microsoft Entra's multi-tenant endpoint:
// the provider lives at /<guid>/v2.0, /common/v2.0 serves a discovery document whose issuer
// is the pattern http://127.0.0.1:PORT/{tenantid}/v2.0, and ID tokens carry a `tid` claim
// (the account "mallory" claims another tenant than the issuer's).
// With CLAIMS_IN_USERINFO=1 the ID token carries no email (oidc-provider's default): the
// email and email_verified are only in UserInfo.
// Prints "listening PORT" once ready. SIGTERM stops it.
import http from 'node:http';
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const [port, ...redirectUris] = process.argv.slice(2);
if (!port || redirectUris.length === 0) {
  console.error('usage: node oidc-provider.mjs PORT REDIRECT_URI…');
  process.exit(2);
}

const accounts = {
  ana: { email: 'ana@partner.example', email_verified: true, name: 'Ana Lopez' },
  bo: { email: 'bo@partner.example', email_verified: true, name: 'Bo Berg' },
  eve: { email: 'eve@elsewhere.example', email_verified: true, name: 'Eve' },
  unverified: { email: 'ana@partner.example', email_verified: false, name: 'Not Ana' },
  root: { email: 'root@contoso.example', email_verified: true, name: 'Root' },
  mia: { email: 'mia@contoso.example', email_verified: true, name: 'Mia Member' },
  mallory: { email: 'mallory@partner.example', email_verified: true, name: 'Mallory' },
};

const tenant = process.env.TENANT;
const prefix = tenant ? `/${tenant}/v2.0` : '';
const origin = `http://127.0.0.1:${port}`;
const tidOf = (id) => (id === 'mallory' ? '00000000-0000-0000-0000-0000000bad00' : tenant);

const signingKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

const provider = new Provider(`${origin}${prefix}`, {
  clients: [{
    client_id: 'vestibule',
    client_secret: 'vestibule-test-secret',
    redirect_uris: redirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  // amr and acr ride with the openid scope, so an ID token says how the person signed in.
  claims: {
    acr: null, amr: null, auth_time: null, sid: null,
    openid: ['sub', 'tid', 'amr', 'acr'], email: ['email', 'email_verified'], profile: ['name'],
  },
  scopes: ['openid', 'email', 'profile'],
  pkce: { required: () => true },
  acrValues: ['urn:partner:loa:mfa'],
  features: { devInteractions: { enabled: true } },
  interactions: { url: (ctx, interaction) => `${prefix}/interaction/${interaction.uid}` },
  cookies: { keys: ['test-cookie-key'] },
  jwks: { keys: [{ ...signingKey, kid: crypto.randomUUID(), use: 'sig', alg: 'RS256' }] },
  async findAccount(ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    const tid = tenant ? { tid: tidOf(id) } : {};
    return { accountId: id, async claims() { return { sub: id, ...tid, ...claims }; } };
  },
  // Put the claims in the ID token itself, unless told to keep them for UserInfo.
  conformIdTokenClaims: process.env.CLAIMS_IN_USERINFO === '1',
});
provider.proxy = false;

// A login name with a suffix signs in as the account before it, with the partner's own
// second factor said in the ID token: "ana+mfa" gives amr ["pwd", "mfa"], "ana+acr" gives
// acr "urn:partner:loa:mfa". Plain "ana" says nothing of MFA.
const finished = provider.interactionFinished.bind(provider);
provider.interactionFinished = (req, res, result, options) => {
  const login = result?.login;
  if (login?.accountId?.includes('+')) {
    const [accountId, how] = login.accountId.split('+');
    const said = how === 'mfa' ? { amr: ['pwd', 'mfa'] } : { acr: 'urn:partner:loa:mfa' };
    return finished(req, res, { ...result, login: { ...login, accountId, ...said } }, options);
  }
  return finished(req, res, result, options);
};

const callback = provider.callback();
const server = http.createServer(async (req, res) => {
  if (tenant && req.url.startsWith('/common/v2.0/.well-known/openid-configuration')) {
    const own = await fetch(`${origin}${prefix}/.well-known/openid-configuration`).then((r) => r.json());
    res.writeHead(200, { 'content-type': 'application/json' });
    return res.end(JSON.stringify({ ...own, issuer: `${origin}/{tenantid}/v2.0` }));
  }
  if (prefix && req.url.startsWith(prefix)) {
    // Mounted as Express would: the provider sees the path below its mount point.
    req.originalUrl = req.url;
    req.url = req.url.slice(prefix.length) || '/';
  }
  return callback(req, res);
});
server.listen(Number(port), '127.0.0.1', () => console.log(`listening ${port}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
