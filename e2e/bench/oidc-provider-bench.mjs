// The npm `oidc-provider` (the tests' home IdP), set up for the benchmark's comparison:
// one confidential client, refresh tokens rotating on every use (as Vestibule's do), PKCE
// required, storage in an unbounded in-memory Map (kinder to it than a database would be).
// Usage: node oidc-provider-bench.mjs PORT FAMILIES CODES VERIFIER_CHALLENGE
// Prints one JSON line {refresh_tokens, codes, access_token, redirect_uri, client_id,
// client_secret}, minted through the provider's own models, then "listening PORT".
import crypto from 'node:crypto';
import Provider from 'oidc-provider';

const [port, families, codes, challenge] = process.argv.slice(2);
const origin = `http://127.0.0.1:${port}`;
const redirectUri = 'http://127.0.0.1:9/cb';

const store = new Map();
const byGrant = new Map();
class MapAdapter {
  constructor(name) { this.name = name; }
  key(id) { return `${this.name}:${id}`; }
  async upsert(id, payload) {
    store.set(this.key(id), payload);
    if (payload.grantId) {
      if (!byGrant.has(payload.grantId)) byGrant.set(payload.grantId, new Set());
      byGrant.get(payload.grantId).add(this.key(id));
    }
  }
  async find(id) { return store.get(this.key(id)); }
  async findByUid(uid) { for (const p of store.values()) if (p.uid === uid) return p; return undefined; }
  async findByUserCode() { return undefined; }
  async consume(id) { const p = store.get(this.key(id)); if (p) p.consumed = Math.floor(Date.now() / 1000); }
  async destroy(id) { store.delete(this.key(id)); }
  async revokeByGrantId(grantId) { for (const k of byGrant.get(grantId) ?? []) store.delete(k); byGrant.delete(grantId); }
}

const signingKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const provider = new Provider(origin, {
  adapter: MapAdapter,
  jwks: { keys: [{ ...signingKey, kid: 'bench', use: 'sig', alg: 'RS256' }] },
  clients: [{
    client_id: 'bench',
    client_secret: 'bench-secret-0123456789',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  }],
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, email: 'ana@partner.example', email_verified: true, name: 'Ana Lopez' }),
  }),
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  scopes: ['openid', 'offline_access', 'email', 'profile'],
  rotateRefreshToken: true,
  issueRefreshToken: async () => true,
  pkce: { required: () => true },
  ttl: { AuthorizationCode: 600, AccessToken: 600, IdToken: 600, RefreshToken: 86400, Grant: 86400 },
  features: { devInteractions: { enabled: false }, revocation: { enabled: true }, userinfo: { enabled: true } },
});

const client = await provider.Client.find('bench');
const scope = 'openid offline_access email profile';
const authTime = Math.floor(Date.now() / 1000);
async function grant() {
  const g = new provider.Grant({ accountId: 'ana', clientId: 'bench' });
  g.addOIDCScope(scope);
  return g.save();
}
const refreshTokens = [];
for (let i = 0; i < Number(families); i += 1) {
  const grantId = await grant();
  refreshTokens.push(await new provider.RefreshToken({ accountId: 'ana', client, grantId, scope, gty: 'authorization_code', authTime }).save());
}
const codeValues = [];
const codeGrant = await grant();
for (let i = 0; i < Number(codes); i += 1) {
  codeValues.push(await new provider.AuthorizationCode({
    accountId: 'ana', client, grantId: codeGrant, scope, redirectUri, authTime,
    codeChallenge: challenge, codeChallengeMethod: 'S256',
  }).save());
}
const accessToken = await new provider.AccessToken({ accountId: 'ana', client, grantId: codeGrant, scope: 'openid email profile' }).save();
console.log(JSON.stringify({
  refresh_tokens: refreshTokens, codes: codeValues, access_token: accessToken,
  redirect_uri: redirectUri, client_id: 'bench', client_secret: 'bench-secret-0123456789',
}));
provider.listen(Number(port), '127.0.0.1', () => console.log(`listening ${port}`));
process.on('SIGTERM', () => process.exit(0));
