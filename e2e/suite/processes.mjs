// Starting and stopping the processes a run needs: the release build of Vestibule, the
// Node peers from ../peers, and a tiny "partner app" that the Access Panel's tiles launch.
import { spawn, execFileSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const e2eDir = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const repoDir = path.dirname(e2eDir);
export const vestibuleBin = process.env.VESTIBULE_BIN || path.join(repoDir, 'target/release/vestibule');

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
    let out = '';
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
      if (out.split('\n').some((line) => ready.test(line))) finish();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => { out += chunk; });
    child.on('exit', (code) => finish(`exited with ${code} before it was ready`));
    child.output = () => out;
  });
}

/** Starts a peer script from e2e/peers. */
export function startPeer(script, port, args = [], env = {}) {
  return startProcess(script, process.execPath, [path.join(e2eDir, 'peers', script), String(port), ...args], { env });
}

/** The environment Vestibule reads its settings from (see the README's table). */
export function vestibuleEnv({ dataDir, databaseUrl, port, smtpPort }) {
  return {
    VESTIBULE_DATA_DIR: dataDir,
    VESTIBULE_DATABASE_URL: databaseUrl,
    VESTIBULE_BIND: `127.0.0.1:${port}`,
    VESTIBULE_PUBLIC_URL: `http://127.0.0.1:${port}`,
    VESTIBULE_MAIL: `smtp://127.0.0.1:${smtpPort}`,
    VESTIBULE_ORG_NAME: 'Contoso',
    // The IdP peers speak plain http on loopback.
    VESTIBULE_ALLOW_HTTP_IDENTITY_PROVIDERS: 'true',
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
