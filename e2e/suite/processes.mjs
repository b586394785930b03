// Starting and stopping the processes a run needs: a build of Vestibule, the
// Node peers from ../peers, a tiny "partner app" that the Access Panel's tiles launch, and
// Apache httpd with mod_auth_openidc as an app that signs people in through Vestibule.
import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const e2eDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const repoDir = path.dirname(e2eDir);
export const vestibuleBin = process.env.VESTIBULE_BIN || path.join(repoDir, 'target/debug/vestibule');

const started = [];

/** A TCP port nobody listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Spawns a process and resolves once a line of its stdout matches `ready`. A process that
 * says nothing within `timeoutMs` is killed and the promise rejects with what it printed.
 */
export function startProcess(name, command, args, { env = {}, ready = /^listening/, timeoutMs = 30000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    started.push(child);
    let out = ''; // stdout and stderr together, for the report
    let stdout = ''; // readiness is read from stdout alone: a stderr line must not split it
    let done = false;
    const finish = (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (err) {
        child.kill('SIGKILL');
        reject(new Error(`${name}: ${err}\n--- its output ---\n${out.slice(-4000)}`));
      } else {
        resolve(child);
      }
    };
    const timer = setTimeout(() => finish(`not ready after ${timeoutMs} ms`), timeoutMs);
    const onData = (chunk) => {
      out += chunk;
      stdout += chunk;
      if (stdout.split('\n').some((line) => ready.test(line))) finish();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => { out += chunk; });
    child.on('exit', (code) => finish(`exited with ${code} before it was ready`));
    child.output = () => out;
  });
}

/** Starts a peer script from e2e/peers. A peer that does not come up is tried once more: on
 * a loaded 2-core machine a Node start has once taken longer than the timeout. */
export async function startPeer(script, port, args = [], env = {}) {
  const start = () => startProcess(script, process.execPath, [path.join(e2eDir, 'peers', script), String(port), ...args], { env, timeoutMs: 60000 });
  try {
    return await start();
  } catch (err) {
    console.log(`  (retrying ${script}: ${String(err.message).split('\n')[0]})`);
    return start();
  }
}

/** The environment Vestibule reads its settings from (see the README's table). */
export function vestibuleEnv({ dataDir, databaseUrl, port, smtpPort }) {
  return {
    VESTIBULE_DATA_DIR: dataDir,
    VESTIBULE_DATABASE_URL: databaseUrl,
    VESTIBULE_BIND: `127.0.0.1:${port}`,
    // localhost, not 127.0.0.1: Chromium offers WebAuthn (passkeys) only there.
    VESTIBULE_PUBLIC_URL: `http://localhost:${port}`,
    VESTIBULE_MAIL: `smtp://127.0.0.1:${smtpPort}`,
    VESTIBULE_ORG_NAME: 'Contoso',
    // The IdP peers speak plain http on loopback.
    VESTIBULE_ALLOW_HTTP_IDENTITY_PROVIDERS: 'true',
    // …and the portal's requests to them (discovery, back-channel logout) go to loopback.
    VESTIBULE_ALLOW_PRIVATE_NETWORK_TARGETS: 'true',
    // schemathesis sends hundreds of calls a second with one key.
    VESTIBULE_API_CALLS_PER_MINUTE: '100000',
    // /metrics, scraped by the two-instance scenario.
    VESTIBULE_METRICS_TOKEN: 'e2e-metrics-token-0123456789',
    RUST_LOG: 'warn',
  };
}

export function startVestibule(env) {
  return startProcess('vestibule', vestibuleBin, ['serve'], { env, ready: /^Vestibule is running/ });
}

/** `vestibule admin create EMAIL`: returns the one-time sign-in link it prints. */
export function createAdmin(env, email) {
  const out = execFileSync(vestibuleBin, ['admin', 'create', email], { env: { ...process.env, ...env }, encoding: 'utf8' });
  const link = out.match(/https?:\/\/\S+/);
  if (!link) throw new Error(`no link in: ${out}`);
  return link[0];
}

/** `vestibule api-key create`: a key with every scope for `admin`. */
export function createApiKey(env, admin) {
  const out = execFileSync(vestibuleBin, ['api-key', 'create', '--admin', admin, '--name', 'schemathesis', '--days', '1'], {
    env: { ...process.env, ...env }, encoding: 'utf8',
  });
  return out.trim();
}

/** Runs schemathesis (PyPI) with every check against the API's OpenAPI document; throws
 * with its report if it finds anything. */
export function fuzzApi(env, base, key) {
  const config = path.join(e2eDir, 'schemathesis.toml');
  // Every check runs by default; naming them here (`--checks all`) would override the
  // per-operation settings in schemathesis.toml.
  const args = ['--config-file', config, 'run', `${base}/api/v1/openapi.json`, '--no-color'];
  try {
    return execFileSync('schemathesis', args, {
      env: { ...process.env, VESTIBULE_API_KEY: key }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (err) {
    throw new Error(`schemathesis found problems:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

/** The partner's own app: what a tile in the Access Panel launches. */
export function startPartnerApp(port, title) {
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><html lang="en"><head><title>${title}</title></head><body><main><h1>${title}</h1><p>You reached ${req.url}</p></main></body></html>`);
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

export function stopAll() {
  for (const child of started.splice(0)) {
    if (child.exitCode === null) child.kill('SIGTERM');
  }
}

/**
 * Debian's Apache httpd with mod_auth_openidc, protecting /protected/ as one of the host's
 * apps: it signs people in through Vestibule's OpenID Provider (client `clientId`), shows
 * the claims it got on /protected/index.shtml (server-side includes), accepts back-channel
 * logout at its redirect URI, and serves /signed-out.html. Listens on localhost:`port`.
 */
export async function startApache({ port, issuer, clientId, clientSecret, dir }) {
  const www = path.join(dir, 'www');
  fs.mkdirSync(path.join(www, 'protected'), { recursive: true });
  const claims = ['email', 'name', 'user_type', 'sub', 'sid', 'acr']
    .map((c) => `<dt>${c}</dt><dd id="claim-${c}"><!--#echo var="OIDC_CLAIM_${c}" --></dd>`).join('');
  fs.writeFileSync(path.join(www, 'protected', 'index.shtml'),
    `<!doctype html><html lang="en"><head><title>Team Board</title></head><body><main><h1>Team Board</h1><p>Signed in through Vestibule.</p><dl>${claims}</dl></main></body></html>`);
  fs.writeFileSync(path.join(www, 'signed-out.html'),
    '<!doctype html><html lang="en"><head><title>Signed out</title></head><body><main><h1>Signed out of Team Board</h1></main></body></html>');
  const mods = '/usr/lib/apache2/modules';
  const conf = `
ServerRoot ${dir}
Listen 127.0.0.1:${port}
ServerName localhost
PidFile ${dir}/httpd.pid
ErrorLog ${dir}/error.log
LogLevel warn auth_openidc:info
Mutex file:${dir} default
LoadModule mpm_event_module ${mods}/mod_mpm_event.so
LoadModule authn_core_module ${mods}/mod_authn_core.so
LoadModule authz_core_module ${mods}/mod_authz_core.so
LoadModule authz_user_module ${mods}/mod_authz_user.so
LoadModule mime_module ${mods}/mod_mime.so
LoadModule include_module ${mods}/mod_include.so
LoadModule auth_openidc_module ${mods}/mod_auth_openidc.so
TypesConfig /etc/mime.types
DocumentRoot ${www}
<Directory ${www}>
  Require all granted
  Options +Includes
  AddOutputFilter INCLUDES .shtml
  AddType text/html .shtml
</Directory>
OIDCProviderMetadataURL ${issuer}/.well-known/openid-configuration
OIDCClientID ${clientId}
OIDCClientSecret ${clientSecret}
OIDCRedirectURI http://localhost:${port}/protected/redirect_uri
OIDCCryptoPassphrase ${crypto.randomBytes(24).toString('hex')}
OIDCScope "openid email profile groups"
OIDCPKCEMethod S256
OIDCDefaultLoggedOutURL http://localhost:${port}/signed-out.html
<Location /protected>
  AuthType openid-connect
  Require valid-user
</Location>
`;
  return runApache(dir, conf, `http://127.0.0.1:${port}/signed-out.html`);
}

/**
 * Runs Debian's apache2 in the foreground on `conf` (saved as DIR/httpd.conf), tracked so
 * stopAll() ends it, and resolves once `probeUrl` answers 200; `log()` on the child gives
 * what it printed and the tail of DIR/error.log. As root, Apache must drop to www-data,
 * which then owns `dir`.
 */
export async function runApache(dir, conf, probeUrl, timeoutMs = 10000) {
  if (process.getuid?.() === 0) {
    conf += '\nUser www-data\nGroup www-data\n';
    execFileSync('chown', ['-R', 'www-data:www-data', dir]);
  }
  const file = path.join(dir, 'httpd.conf');
  fs.writeFileSync(file, conf);
  // Its own process group: on SIGTERM, prefork Apache signals its whole group, which
  // would otherwise be this runner's.
  const child = spawn('apache2', ['-f', file, '-DFOREGROUND'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  started.push(child);
  let out = '';
  child.stdout.on('data', (c) => { out += c; });
  child.stderr.on('data', (c) => { out += c; });
  child.log = () => `${out}\n${fs.existsSync(`${dir}/error.log`) ? fs.readFileSync(`${dir}/error.log`, 'utf8').slice(-4000) : ''}`;
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    if (child.exitCode !== null) throw new Error(`apache2 exited: ${child.log()}`);
    const up = await new Promise((resolve) => {
      const req = http.get(probeUrl, (res) => { res.resume(); resolve(res.statusCode === 200); });
      req.on('error', () => resolve(false));
      req.setTimeout(5000, () => req.destroy());
    });
    if (up) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  throw new Error(`apache2 did not answer ${probeUrl} within ${timeoutMs} ms: ${child.log()}`);
}
