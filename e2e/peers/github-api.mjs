// A stand-in for GitHub's OAuth 2.0 endpoints and REST API, laid out as a GitHub Enterprise
// Server (`/login/oauth/*` and `/api/v3/*`), because github.com cannot run in a test. It
// speaks the documented protocol: authorization code (with PKCE S256 checked when sent),
// JSON token response on `Accept: application/json`, `/user` and `/user/emails`.
// Usage: node github-api.mjs PORT REDIRECT_URI
// Accounts: octo (id 583231; primary octo@partner.example verified, plus another address),
// unverified (id 9001; primary ana@partner.example NOT verified).
// Prints "listening PORT" once ready. SIGTERM stops it.
import http from 'node:http';
import crypto from 'node:crypto';

const [port, redirectUri] = process.argv.slice(2);
const CLIENT_ID = 'vestibule';
const CLIENT_SECRET = 'vestibule-test-secret';

const accounts = {
  octo: {
    user: { id: 583231, login: 'octo', name: 'Octo Cat' },
    emails: [
      { email: 'octo@home.example', primary: false, verified: true, visibility: null },
      { email: 'octo@partner.example', primary: true, verified: true, visibility: 'public' },
    ],
  },
  unverified: {
    user: { id: 9001, login: 'unverified', name: 'Not Verified' },
    emails: [{ email: 'ana@partner.example', primary: true, verified: false, visibility: null }],
  },
};

const codes = new Map(); // code -> { login, challenge, redirect_uri }
const tokens = new Map(); // access token -> login

function send(res, status, body, type = 'application/json') {
  res.writeHead(status, { 'content-type': type });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

async function formBody(req) {
  let data = '';
  for await (const chunk of req) data += chunk;
  return new URLSearchParams(data);
}

const escape = (s) => String(s).replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);

const server = http.createServer(async (req, res) => {
  const url = new URL(req.url, `http://127.0.0.1:${port}`);
  if (req.method === 'GET' && url.pathname === '/login/oauth/authorize') {
    const q = url.searchParams;
    if (q.get('client_id') !== CLIENT_ID || q.get('redirect_uri') !== redirectUri) {
      return send(res, 400, 'The redirect_uri MUST match the registered callback URL for this application.', 'text/plain');
    }
    const hidden = ['state', 'code_challenge', 'code_challenge_method', 'redirect_uri']
      .map((k) => `<input type="hidden" name="${k}" value="${escape(q.get(k) ?? '')}">`).join('');
    return send(res, 200, `<!doctype html><title>Sign in to GitHub</title>
      <form method="post" action="/session">${hidden}
      <label>Username <input name="login"></label><button name="decision" value="authorize">Authorize</button>
      <button name="decision" value="cancel">Cancel</button></form>`, 'text/html');
  }
  if (req.method === 'POST' && url.pathname === '/session') {
    const f = await formBody(req);
    const back = new URL(f.get('redirect_uri'));
    back.searchParams.set('state', f.get('state'));
    if (f.get('decision') === 'cancel' || !accounts[f.get('login')]) {
      back.searchParams.set('error', 'access_denied');
    } else {
      const code = crypto.randomBytes(10).toString('hex');
      codes.set(code, { login: f.get('login'), challenge: f.get('code_challenge'), redirect_uri: f.get('redirect_uri') });
      back.searchParams.set('code', code);
    }
    res.writeHead(302, { location: back.toString() });
    return res.end();
  }
  if (req.method === 'POST' && url.pathname === '/login/oauth/access_token') {
    const f = await formBody(req);
    // Client authentication: HTTP Basic (what `oauth2` sends) or form fields.
    let [id, secret] = [f.get('client_id'), f.get('client_secret')];
    const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '');
    if (basic) [id, secret] = Buffer.from(basic[1], 'base64').toString().split(':').map(decodeURIComponent);
    const grant = codes.get(f.get('code'));
    codes.delete(f.get('code'));
    const verifierOk = !grant?.challenge ||
      crypto.createHash('sha256').update(f.get('code_verifier') ?? '').digest('base64url') === grant.challenge;
    // GitHub answers token errors with 200 and an `error` field.
    if (id !== CLIENT_ID || secret !== CLIENT_SECRET) return send(res, 200, { error: 'incorrect_client_credentials' });
    if (!grant || grant.redirect_uri !== f.get('redirect_uri') || !verifierOk) {
      return send(res, 200, { error: 'bad_verification_code' });
    }
    const token = `gho_${crypto.randomBytes(16).toString('hex')}`;
    tokens.set(token, grant.login);
    return send(res, 200, { access_token: token, token_type: 'bearer', scope: 'read:user,user:email' });
  }
  if (req.method === 'GET' && (url.pathname === '/api/v3/user' || url.pathname === '/api/v3/user/emails')) {
    const login = tokens.get((req.headers.authorization ?? '').replace(/^(Bearer|token) /, ''));
    if (!login) return send(res, 401, { message: 'Bad credentials' });
    if (!req.headers['user-agent']) return send(res, 403, { message: 'User-Agent required' });
    const a = accounts[login];
    return send(res, 200, url.pathname.endsWith('/emails') ? a.emails : a.user);
  }
  send(res, 404, { message: 'Not Found' });
});

server.listen(Number(port), '127.0.0.1', () => console.log(`listening ${port}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
