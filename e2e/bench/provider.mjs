// The OpenID Provider's benchmark (run by scripts/bench.sh): the token endpoint (code
// exchange and refresh grant) and userinfo, driven by wrk against Vestibule and, in the
// same run on the same machine, against the npm oidc-provider (oidc-provider-bench.mjs).
// Usage: node provider.mjs BASE COOKIE CLIENT_ID CLIENT_SECRET SECONDS CONNECTIONS
import { execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const [base, cookie, clientId, clientSecret, secs, conns] = process.argv.slice(2);
const here = path.dirname(fileURLToPath(import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vestibule-bench-op-'));
const verifier = crypto.randomBytes(32).toString('base64url');
const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
const redirectUri = 'http://127.0.0.1:9/cb';
const families = Number(conns) * 2;
// Enough codes for the run at well above the rate we expect; they live 60 s in Vestibule.
const codeCount = Math.min(Number(secs) * 4000, 60000);

async function pool(n, concurrency, task) {
  const out = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < n) { const i = next; next += 1; out[i] = await task(i); }
  }));
  return out;
}

/** fetch, once more if the server closed an idle keep-alive connection under it. */
async function fetchAgain(url, init) {
  try {
    return await fetch(url, init);
  } catch {
    return fetch(url, init);
  }
}

async function vestibuleCode() {
  const q = new URLSearchParams({
    client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid email profile',
    state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256',
  });
  const r = await fetchAgain(`${base}/oauth2/authorize?${q}`, { headers: { cookie }, redirect: 'manual' });
  const location = r.headers.get('location') ?? '';
  const code = new URL(location, base).searchParams.get('code');
  if (!code) throw new Error(`authorize answered ${r.status} ${location}`);
  return code;
}

const basic = (id, secret) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

async function vestibuleFamily() {
  const body = new URLSearchParams({ grant_type: 'authorization_code', code: await vestibuleCode(), redirect_uri: redirectUri, code_verifier: verifier });
  const r = await fetchAgain(`${base}/oauth2/token`, { method: 'POST', body, headers: { authorization: basic(clientId, clientSecret) } });
  const t = await r.json();
  if (!t.refresh_token) throw new Error(`token: ${JSON.stringify(t)}`);
  return t;
}

function wrk(label, url, { env = {}, header, script } = {}) {
  const args = ['-t2', `-c${conns}`, `-d${secs}s`, '--latency'];
  if (script) args.push('-s', path.join(here, script));
  if (header) args.push('-H', header);
  args.push(url);
  const out = execFileSync('wrk', args, { env: { ...process.env, THREADS: '2', ...env }, encoding: 'utf8' });
  const field = (re) => (out.match(re) ?? [])[1] ?? '-';
  const okLine = out.match(/^ok (\d+)/m);
  const rps = okLine ? (Number(okLine[1]) / Number(secs)).toFixed(0) : field(/Requests\/sec:\s+([\d.]+)/);
  const errors = field(/Non-2xx or 3xx responses: (\d+)/);
  if (process.env.BENCH_VERBOSE || /Socket errors|Non-2xx/.test(out)) console.error(`${label}:\n${out}`);
  return { label, rps, p50: field(/^\s+50%\s+(\S+)/m), p99: field(/^\s+99%\s+(\S+)/m), errors: errors === '-' ? '0' : errors };
}

function valuesFile(name, values) {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, `${values.join('\n')}\n`);
  return file;
}

const rows = [];
// Vestibule.
const fams = await pool(families, 8, vestibuleFamily);
const vAuth = basic(clientId, clientSecret);
const vEnv = { AUTH: vAuth, REDIRECT_URI: encodeURIComponent(redirectUri), VERIFIER: verifier, TOKEN_PATH: '/oauth2/token' };
rows.push(wrk('Vestibule refresh grant', base, { script: 'token.lua', env: { ...vEnv, MODE: 'refresh', VALUES: valuesFile('v-refresh', fams.map((f) => f.refresh_token)) } }));
{
  const probe = await fetchAgain(`${base}/oauth2/userinfo`, { headers: { authorization: `Bearer ${fams[0].access_token}` } });
  if (probe.status !== 200) throw new Error(`userinfo answers ${probe.status}: ${await probe.text()}`);
}
rows.push(wrk('Vestibule userinfo', `${base}/oauth2/userinfo`, { header: `Authorization: Bearer ${fams[0].access_token}` }));
const codes = await pool(codeCount, 16, vestibuleCode);
rows.push(wrk('Vestibule code exchange', base, { script: 'token.lua', env: { ...vEnv, MODE: 'code', VALUES: valuesFile('v-codes', codes) } }));

// oidc-provider, same grants, same machine.
const port = 20000 + Math.floor(Math.random() * 20000);
const peer = spawn(process.execPath, [path.join(here, 'oidc-provider-bench.mjs'), String(port), String(families), String(codeCount), challenge], { stdio: ['ignore', 'pipe', 'inherit'] });
const minted = await new Promise((resolve, reject) => {
  let out = '';
  peer.stdout.on('data', (c) => {
    out += c;
    const lines = out.split('\n');
    if (lines.some((l) => l.startsWith('listening'))) resolve(JSON.parse(lines[0]));
  });
  peer.on('exit', (code) => reject(new Error(`oidc-provider exited ${code}`)));
});
const op = `http://127.0.0.1:${port}`;
const oEnv = { AUTH: basic(minted.client_id, minted.client_secret), REDIRECT_URI: encodeURIComponent(minted.redirect_uri), VERIFIER: verifier, TOKEN_PATH: '/token' };
try {
  rows.push(wrk('oidc-provider refresh grant', op, { script: 'token.lua', env: { ...oEnv, MODE: 'refresh', VALUES: valuesFile('o-refresh', minted.refresh_tokens) } }));
  rows.push(wrk('oidc-provider userinfo', `${op}/me`, { header: `Authorization: Bearer ${minted.access_token}` }));
  rows.push(wrk('oidc-provider code exchange', op, { script: 'token.lua', env: { ...oEnv, MODE: 'code', VALUES: valuesFile('o-codes', minted.codes) } }));
} finally {
  peer.kill('SIGTERM');
  fs.rmSync(tmp, { recursive: true, force: true });
}

console.log(`\nOpenID Provider, ${os.cpus().length} cores, wrk: 2 threads, ${conns} connections, ${secs} s each (req/s: 200 answers only)`);
console.log(`${'endpoint'.padEnd(30)} ${'req/s'.padStart(8)} ${'p50'.padStart(9)} ${'p99'.padStart(9)} ${'errors'.padStart(7)}`);
for (const r of rows) console.log(`${r.label.padEnd(30)} ${String(r.rps).padStart(8)} ${r.p50.padStart(9)} ${r.p99.padStart(9)} ${r.errors.padStart(7)}`);
const get = (label) => Number(rows.find((r) => r.label === label).rps);
const ratio = get('Vestibule refresh grant') / get('oidc-provider refresh grant');
const perCore = get('Vestibule refresh grant') / os.cpus().length;
console.log(`refresh grants: ${ratio.toFixed(2)}× oidc-provider (goal ≥ 2), ${perCore.toFixed(0)}/s per core (goal ≥ 480)`);
