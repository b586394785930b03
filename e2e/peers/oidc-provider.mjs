// A real OpenID Provider for tests: the npm `oidc-provider` with its development login
// pages (any login name is accepted as the account id; the password is ignored).
// Usage: node oidc-provider.mjs PORT REDIRECT_URI [REDIRECT_URI…]
// Accounts: ana (ana@partner.example, verified), bo (bo@partner.example, verified),
// eve (eve@elsewhere.example, verified), unverified (ana@partner.example, NOT verified),
// root (root@contoso.example, verified: a member of the host).
// Prints "listening PORT" once ready. SIGTERM stops it.
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
};

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: 'vestibule',
    client_secret: 'vestibule-test-secret',
    redirect_uris: redirectUris,
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  scopes: ['openid', 'email', 'profile'],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  cookies: { keys: ['test-cookie-key'] },
  jwks: undefined,
  async findAccount(ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
  // Put the claims in the ID token itself: Vestibule trusts only what the ID token says.
  conformIdTokenClaims: false,
});
provider.proxy = false;

const server = provider.listen(Number(port), '127.0.0.1', () => console.log(`listening ${port}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
