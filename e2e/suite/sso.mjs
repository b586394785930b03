// Single sign-on into the host's apps: Apache httpd with mod_auth_openidc (Debian's
// packages) protects "Team Board" and signs people in through Vestibule's OpenID Provider.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startApache } from './processes.mjs';

async function loadAfter(page, action) {
  await Promise.all([page.waitForEvent('load'), action()]);
}

async function press(page, name) {
  await loadAfter(page, () => page.getByRole('button', { name, exact: true }).click());
}

/** The admin registers Team Board as an OIDC client (its secret shown once) and gives it to
 * the Project Atlas group; Apache starts with that secret. Gus launches its tile and lands
 * in the Apache-protected page, signed in, with his claims; Ana, not in the group, gets
 * Vestibule's refusal page; Gus signs out of Vestibule and back-channel logout ends his
 * Apache session. */
export async function guestOpensAnAppThroughSingleSignOn(ctx) {
  const { admin, gus, ana } = ctx;
  const port = await freePort();
  const board = `http://localhost:${port}`;
  // Later scenarios open it too (a guest an access review removed is refused).
  ctx.board = `${board}/protected/index.shtml`;
  await admin.goto(`${ctx.base}/admin/apps/new`);
  await admin.getByLabel('Name', { exact: true }).fill('Team Board');
  await admin.getByLabel('Launch URL').fill(`${board}/protected/index.shtml`);
  await admin.getByLabel(/Sign people in to this app through the portal/).check();
  await admin.getByLabel(/^Client ID/).fill('team-board');
  await admin.getByLabel(/^Redirect URIs/).fill(`${board}/protected/redirect_uri`);
  await admin.getByLabel(/^Post-logout redirect URIs/).fill(`${board}/signed-out.html`);
  await admin.getByLabel(/^Back-channel logout URI/).fill(`${board}/protected/redirect_uri?logout=backchannel`);
  await admin.getByLabel(/^Initiate-login URI/).fill(`${board}/protected/redirect_uri`);
  await ctx.look(admin, 'admin-app-oidc');
  await press(admin, 'Save');
  await ctx.look(admin, 'admin-app-secret');
  const secret = await admin.getByLabel('Client secret', { exact: true }).inputValue();
  assert.ok(secret.length >= 43, 'a 256-bit secret');
  await loadAfter(admin, () => admin.getByRole('link', { name: 'I have copied it' }).click());
  await ctx.look(admin, 'admin-app-connection');
  assert.match(await admin.locator('main').innerText(), /OIDCClientID team-board/);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vestibule-apache-'));
  const apache = await startApache({ port, issuer: ctx.base, clientId: 'team-board', clientSecret: secret, dir });
  try {
    await admin.goto(`${ctx.base}/admin/groups`);
    await loadAfter(admin, () => admin.getByRole('link', { name: 'Project Atlas', exact: true }).click());
    await admin.getByLabel('Team Board').check();
    await press(admin, 'Save');

    // Gus launches the tile: Apache → Vestibule (already signed in) → Apache, no second sign-in.
    await gus.goto(`${ctx.base}/apps`);
    await loadAfter(gus, () => gus.getByRole('link', { name: /Team Board/ }).click());
    assert.equal(new URL(gus.url()).origin, board, `at ${gus.url()}`);
    assert.equal(await gus.getByRole('heading', { level: 1 }).innerText(), 'Team Board');
    assert.equal(await gus.locator('#claim-email').innerText(), 'gus@fabrikam.example');
    assert.equal(await gus.locator('#claim-user_type').innerText(), 'guest');
    assert.ok((await gus.locator('#claim-sid').innerText()).length > 0);

    // Ana is not in the group: Vestibule refuses her, and offers a way to ask.
    const res = await ana.goto(`${board}/protected/index.shtml`);
    assert.equal(res.status(), 403);
    assert.equal(new URL(ana.url()).origin, ctx.base);
    await ctx.look(ana, 'app-refused');
    assert.match(await ana.locator('main').innerText(), /You don.t have access to Team Board/);

    // Gus signs out of Vestibule; the worker tells Apache, which ends his session there.
    await gus.goto(`${ctx.base}/apps`);
    await press(gus, 'Sign out');
    let back = '';
    for (let i = 0; i < 40; i += 1) {
      await gus.goto(`${board}/protected/index.shtml`);
      back = gus.url();
      if (back.startsWith(ctx.base)) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(new URL(back).pathname, '/signin', `Apache still let Gus in after sign-out: ${back}\n${apache.log()}`);
    await ctx.look(gus, 'signin-after-app-logout');
  } catch (err) {
    err.message += `\n--- apache ---\n${apache.log()}`;
    throw err;
  }
}
