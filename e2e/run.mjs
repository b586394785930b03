// The browser end-to-end suite. Usage: node e2e/run.mjs [sqlite] [postgres]  (default: both)
//
// For each database it starts, on free ports: a build of Vestibule (the debug one) on a fresh
// database, the real SMTP server (peers/smtp-server.js) that Vestibule mails through, the
// real OpenID Provider (peers/oidc-provider.mjs) as the guests' home IdP, the stand-in for
// GitHub's OAuth and REST API (peers/github-api.mjs, as an Enterprise server), and a small
// "partner app" for tiles to launch. Debian's Chromium, driven by playwright-core, then
// clicks through the scenarios in suite/scenarios.mjs while suite/look.mjs checks every page.
// Then schemathesis (PyPI) fuzzes the API against its OpenAPI document on that database,
// with a key from `vestibule api-key create` (checks set in schemathesis.toml).
// PostgreSQL comes from VESTIBULE_TEST_PG (default postgres://postgres@127.0.0.1:5432); an
// unreachable server fails the run.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { Inspector, screenshotDir } from './suite/look.mjs';
import { Mailbox } from './suite/mailbox.mjs';
import {
  createApiKey, e2eDir, freePort, fuzzApi, startPartnerApp, startPeer, startVestibule, stopAll, vestibuleBin, vestibuleEnv,
} from './suite/processes.mjs';
import { scenarios } from './suite/scenarios.mjs';

const pgServer = (process.env.VESTIBULE_TEST_PG || 'postgres://postgres@127.0.0.1:5432').replace(/\/+$/, '');

function psql(sql) {
  execFileSync('psql', [`${pgServer}/postgres`, '-v', 'ON_ERROR_STOP=1', '-qc', sql], { stdio: ['ignore', 'ignore', 'inherit'] });
}

async function runOn(db, browser) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `vestibule-e2e-${db}-`));
  let databaseUrl = `sqlite:${path.join(tmp, 'vestibule.db')}`;
  let pgName;
  if (db === 'postgres') {
    pgName = `vestibule_e2e_${process.pid}_${Date.now()}`;
    psql(`CREATE DATABASE ${pgName}`);
    databaseUrl = `${pgServer}/${pgName}`;
  }
  const [port, smtpPort, idpPort, githubPort, appPort, workforcePort] = await Promise.all(
    [freePort(), freePort(), freePort(), freePort(), freePort(), freePort()],
  );
  const base = `http://localhost:${port}`;
  const inspector = new Inspector(db);
  const ctx = {
    db,
    base,
    env: vestibuleEnv({ dataDir: tmp, databaseUrl, port, smtpPort }),
    idpOrigin: `http://127.0.0.1:${idpPort}`,
    // The organization's own (workforce) IdP: the same peer, another instance.
    workforceOrigin: `http://127.0.0.1:${workforcePort}`,
    githubOrigin: `http://127.0.0.1:${githubPort}`,
    appUrl: `http://127.0.0.1:${appPort}/wiki`,
    mailbox: new Mailbox(path.join(tmp, 'mail')),
    inspector,
    browser,
    look: (page, name) => inspector.look(page, name),
  };
  const partnerApp = await startPartnerApp(appPort, 'The Partner Wiki');
  const failures = [];
  let vestibule;
  try {
    await startPeer('smtp-server.js', smtpPort, [ctx.mailbox.dir]);
    await startPeer('oidc-provider.mjs', idpPort, [`${base}/auth/partner/callback`]);
    await startPeer('oidc-provider.mjs', workforcePort, [`${base}/auth/contoso/callback`]);
    await startPeer('github-api.mjs', githubPort, [`${base}/auth/github/callback`]);
    vestibule = await startVestibule(ctx.env);
    // Kills the portal (as a crash would, with SIGKILL) and starts it again on the same data.
    ctx.restartVestibule = async (signal) => {
      const exited = new Promise((resolve) => vestibule.once('exit', resolve));
      vestibule.kill(signal);
      await exited;
      vestibule = await startVestibule(ctx.env);
    };
    for (const scenario of scenarios) {
      const started = Date.now();
      try {
        await scenario(ctx);
        console.log(`  ok    ${db} ${scenario.name} (${Date.now() - started} ms)`);
      } catch (err) {
        console.log(`  FAIL  ${db} ${scenario.name}`);
        failures.push(`${db} ${scenario.name}: ${err.stack}`);
        await saveEvidence(browser, db, scenario.name);
        break; // later scenarios build on this one's admin, apps and IdP
      }
    }
    if (!failures.length) {
      // The API against its own document, on this database, after the scenarios filled it.
      const started = Date.now();
      try {
        const report = fuzzApi(ctx.env, base, createApiKey(ctx.env, 'admin@contoso.example'));
        const summary = report.match(/Test cases:\s*\n\s*(.*)/)?.[1] ?? '';
        console.log(`  ok    ${db} schemathesis: ${summary} (${Date.now() - started} ms)`);
      } catch (err) {
        console.log(`  FAIL  ${db} schemathesis`);
        failures.push(`${db} schemathesis: ${err.message}`);
      }
    }
  } catch (err) {
    failures.push(`${db}: could not start: ${err.stack ?? err}`);
  } finally {
    if (failures.length && vestibule) console.log(`--- vestibule's output ---\n${vestibule.output().slice(-3000)}`);
    for (const context of browser.contexts()) await context.close();
    partnerApp.close();
    stopAll();
    if (pgName) {
      await new Promise((r) => setTimeout(r, 500)); // let Vestibule's pool close
      try { psql(`DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`); } catch { /* reported by the CREATE next time */ }
    }
    fs.rmSync(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }); // a peer may still be writing as it stops
  }
  const unchecked = inspector.unchecked();
  if (!failures.length && unchecked.length) failures.push(`${db}: pages visited but never checked: ${unchecked.join(', ')}`);
  failures.push(...inspector.problems);
  console.log(`  ${db}: ${inspector.count} pages checked (axe, 360 px fit, screenshots)`);
  return failures;
}

async function saveEvidence(browser, db, name) {
  for (const [i, context] of browser.contexts().entries()) {
    for (const [j, page] of context.pages().entries()) {
      await page.screenshot({ path: path.join(screenshotDir, `FAILED-${db}-${name}-${i}-${j}.png`), fullPage: true }).catch(() => {});
    }
  }
}

const dbs = process.argv.slice(2).length ? process.argv.slice(2) : ['sqlite', 'postgres'];
if (!fs.existsSync(vestibuleBin)) {
  console.error(`${vestibuleBin} is missing: run \`cargo build --locked\` first`);
  process.exit(2);
}
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
const failures = [];
const started = Date.now();
try {
  for (const db of dbs) {
    console.log(`browser suite on ${db}`);
    failures.push(...(await runOn(db, browser)));
  }
} finally {
  await browser.close();
  stopAll();
}
console.log(`screenshots: ${screenshotDir}`);
if (!failures.length) refreshReadmeScreenshots();
if (failures.length) {
  console.log(`\n${failures.length} problem(s):\n${failures.map((f) => `- ${f}`).join('\n')}`);
  process.exit(1);
}
console.log(`browser suite passed on ${dbs.join(' and ')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);

/** The README's pictures, taken from this run (the first SQLite screenshot of each page), so
 * they always show the pages as they are. */
function refreshReadmeScreenshots() {
  const wanted = {
    'invitation.png': 'redeem-1280',
    'access-panel.png': 'access-panel-1280',
    'approve.png': 'approve-1280',
    'signup-phone.png': 'signup-360',
    'consent-phone.png': 'redeem-consent-360',
    'admin-user.png': 'admin-user-1280',
    'admin-request.png': 'admin-request-approved-1280',
  };
  const shots = fs.readdirSync(screenshotDir).filter((f) => f.startsWith('sqlite-')).sort(
    (a, b) => Number(a.split('-')[1]) - Number(b.split('-')[1]),
  );
  const docs = path.join(e2eDir, '..', 'docs', 'screenshots');
  for (const [file, page] of Object.entries(wanted)) {
    const shot = shots.find((f) => f.replace(/^sqlite-\d+-/, '') === `${page}.png`);
    if (shot) fs.copyFileSync(path.join(screenshotDir, shot), path.join(docs, file));
    else console.log(`  README screenshot ${file}: no ${page} screenshot in this run`);
  }
}
