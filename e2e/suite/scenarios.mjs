// The scenarios, clicked through as a person would: fields found by their labels, buttons
// and links by their text. Each one gets a fresh browser context (its own cookies), except
// the admin's, which stays signed in across scenarios.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { createAdmin, freePort, startVestibule } from './processes.mjs';
import { signInAtSimpleSaml, simpleSamlLoginForm, startSimpleSamlIdp } from './saml-idp.mjs';
import { guestOpensAnAppThroughSingleSignOn } from './sso.mjs';

const ADMIN = 'admin@contoso.example';
const WIKI = 'Partner Wiki';

/** Fills and submits with the mouse; waits for the page the submit leads to. */
async function press(page, name) {
  await loadAfter(page, () => page.getByRole('button', { name, exact: true }).click());
}

async function follow(page, name) {
  await loadAfter(page, () => page.getByRole('link', { name, exact: true }).click());
}

/** Does `action` (a click, a key) and waits for the page it leads to; either failing fails
 * the scenario, never the whole process. */
async function loadAfter(page, action) {
  await Promise.all([page.waitForEvent('load'), action()]);
}

function heading(page) {
  return page.getByRole('heading', { level: 1 }).innerText();
}

/** A real PNG of `w` × `h` blue pixels (8-bit RGB), for the icon upload. */
function pngBytes(w, h) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (kind, data) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(kind, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([len, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const line = Buffer.concat([Buffer.from([0]), Buffer.from(Array(w).fill([0x15, 0x65, 0xc0]).flat())]);
  const raw = Buffer.concat(Array(h).fill(line));
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function codeIn(mail) {
  const code = mail.text.match(/\b(\d{8})\b/);
  assert.ok(code, `no 8-digit code in:\n${mail.text}`);
  return code[1];
}

/** The code an authenticator app shows now for a base-32 key (RFC 6238: SHA-1, 6 digits, 30 s). */
function totp(key, now = Date.now()) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const bytes = [];
  for (const c of key.replace(/[\s=]/g, '').toUpperCase()) {
    value = ((value << 5) | alphabet.indexOf(c)) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(now / 30000)));
  const h = crypto.createHmac('sha1', Buffer.from(bytes)).update(counter).digest();
  const o = h[h.length - 1] & 0xf;
  const n = ((h[o] & 0x7f) << 24) | (h[o + 1] << 16) | (h[o + 2] << 8) | h[o + 3];
  return String(n % 1000000).padStart(6, '0');
}

function linkIn(mail, pattern) {
  const link = mail.links.find((l) => pattern.test(l));
  assert.ok(link, `no link matching ${pattern} in:\n${mail.text}`);
  return link;
}

/** The package form finds members by name or address (no list of everyone); ticks `email`. */
async function pickApprover(admin, ctx, words, email) {
  await admin.getByLabel('Find members').fill(words);
  await press(admin, 'Find');
  await admin.getByLabel(new RegExp(email.replace('.', '\\.'))).check();
}

/** Logs in at an IdP's own pages (oidc-provider's login and consent), as `login`; the
 * partner's IdP unless `origin` names another. */
async function loginAtIdp(page, ctx, login, origin = ctx.idpOrigin) {
  for (let step = 0; step < 4 && page.url().startsWith(origin); step += 1) {
    if (await page.locator('input[name="login"]').count()) {
      await page.locator('input[name="login"]').fill(login);
      await page.locator('input[name="password"]').fill('any password');
    }
    await loadAfter(page, () => page.locator('button[type="submit"]').first().click());
  }
  assert.ok(page.url().startsWith(ctx.base), `still at the IdP: ${page.url()}`);
}

export async function newPage(ctx) {
  const context = await ctx.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  ctx.inspector.watch(page, ctx.base);
  return page;
}

async function invite(ctx, email, name, apps = [WIKI]) {
  const { admin, look } = ctx;
  await admin.goto(`${ctx.base}/admin/invitations/new`);
  await look(admin, 'admin-invite');
  await admin.getByLabel('Email address').fill(email);
  await admin.getByLabel('Name (optional)').fill(name);
  for (const app of apps) await admin.getByLabel(app, { exact: true }).check();
  await press(admin, 'Invite');
  assert.match(await admin.locator('body').innerText(), new RegExp(email.replace('.', '\\.')));
  await look(admin, 'admin-invited');
  const mail = await ctx.mailbox.next(email);
  await ctx.inspector.lookAtMail(admin.context(), mail, `invitation-${name.split(' ')[0].toLowerCase()}`);
  return linkIn(mail, /\/redeem\//);
}

/** The admin invites `email`; the guest opens the mail's link in a browser of their own. */
async function invitedGuestOpens(ctx, email, name, lookName, apps = [WIKI]) {
  const invitation = await invite(ctx, email, name, apps);
  const page = await newPage(ctx);
  await page.goto(invitation);
  await ctx.look(page, lookName);
  return { invitation, page };
}

/** Admin bootstrap → sign-in → add an app → invite → the guest redeems with an email code
 * → sees the tile and launches it; then the used invitation link is refused. */
export async function bootstrapInviteAndRedeemWithCode(ctx) {
  const link = createAdmin(ctx.env, ADMIN);
  const admin = await newPage(ctx);
  ctx.admin = admin;
  await admin.goto(link);
  await ctx.look(admin, 'admin-sign-in-link');
  await press(admin, 'Sign in');
  // Admins always sign in with a second step: the first one sets up an authenticator app
  // (this scenario is the phone: it reads the key and computes the codes, RFC 6238).
  assert.equal(new URL(admin.url()).pathname, '/mfa');
  await ctx.look(admin, 'mfa-setup');
  const key = await admin.locator('.secret-key').innerText();
  ctx.adminKey = key; // the admin's phone, for later scenarios
  await admin.getByLabel('Code from the app').fill(totp(key));
  await press(admin, 'Turn it on');
  await ctx.look(admin, 'mfa-recovery-codes');
  assert.equal(await admin.locator('.recovery-codes li').count(), 10);
  await follow(admin, 'I have saved them, continue');
  assert.equal(new URL(admin.url()).pathname, '/admin');
  await ctx.mailbox.next(ADMIN, { subject: /sign-in methods/ });
  await ctx.look(admin, 'admin-dashboard');

  await follow(admin, 'Apps');
  await ctx.look(admin, 'admin-apps-empty');
  await follow(admin, 'Add an app');
  await ctx.look(admin, 'admin-app-new');
  await admin.getByLabel('Name', { exact: true }).fill(WIKI);
  await admin.getByLabel('Description (optional)').fill('Specs, plans and meeting notes shared with partners.');
  await admin.getByLabel('Launch URL').fill(ctx.appUrl);
  await press(admin, 'Save');
  assert.equal(new URL(admin.url()).pathname, '/admin/apps');
  await ctx.look(admin, 'admin-apps');

  const { invitation, page: guest } = await invitedGuestOpens(ctx, 'gus@fabrikam.example', 'Gus Guest', 'redeem');
  assert.match(await heading(guest), /invited you to Contoso/);
  await press(guest, 'Email me a one-time code');
  await ctx.look(guest, 'redeem-code');
  const code = codeIn(await ctx.mailbox.next('gus@fabrikam.example'));
  await guest.getByLabel('One-time code').fill(code);
  await press(guest, 'Continue');
  await ctx.look(guest, 'redeem-consent');
  await guest.getByLabel('I accept the terms of use').check();
  // An impatient double click: one redemption, one welcome, no error page.
  await loadAfter(guest, () => guest.getByRole('button', { name: 'Accept and continue', exact: true }).dblclick());
  assert.equal(new URL(guest.url()).pathname, '/apps');
  await ctx.look(guest, 'access-panel');

  await loadAfter(guest, () => guest.getByRole('link', { name: new RegExp(WIKI) }).click());
  assert.ok(guest.url().startsWith(ctx.appUrl), `the tile launched ${guest.url()}`);
  assert.equal(await heading(guest), 'The Partner Wiki');

  // The audit log, filtered as an admin would, shows that double click redeemed once.
  await ctx.admin.goto(`${ctx.base}/admin/audit`);
  await ctx.admin.getByLabel('Activity', { exact: true }).selectOption('invitation.redeemed');
  await press(ctx.admin, 'Filter');
  await ctx.look(ctx.admin, 'admin-audit');
  assert.equal(await ctx.admin.getByRole('row').filter({ hasText: 'gus@fabrikam.example' }).count(), 1);

  // The same link again, in another browser: the invitation is spent.
  const replay = await newPage(ctx);
  const res = await replay.goto(invitation);
  assert.equal(res.status(), 410);
  await ctx.look(replay, 'invitation-used');
  assert.match(await replay.locator('main').innerText(), /already been accepted/);

  // Issue 26 (18): an icon uploaded for the wiki (a real PNG); the guest's tile shows it,
  // decoded, under the portal's CSP. (Before, the tile showed its initial on a colour from
  // the name: axe checked that contrast on the access panel above.)
  await ctx.admin.goto(`${ctx.base}/admin/apps`);
  await follow(ctx.admin, WIKI);
  await ctx.admin.getByLabel(/Upload an icon/).setInputFiles({ name: 'wiki.png', mimeType: 'image/png', buffer: pngBytes(48, 48) });
  await press(ctx.admin, 'Upload the icon');
  assert.match(await ctx.admin.locator('main').innerText(), /The icon of Partner Wiki was uploaded/);
  await ctx.look(ctx.admin, 'admin-app-icon');
  await guest.goto(`${ctx.base}/apps`);
  const decoded = await guest.locator('img.tile-icon').first().evaluate((img) => img.complete && img.naturalWidth);
  assert.equal(decoded, 48, 'the uploaded icon is served and decodes');
}

/** Issue 27: a guest leaves from their profile — the page says what goes, the sponsor is
 * mailed, the guest can no longer sign in — and the admin restores the account. */
async function aGuestLeavesAndIsRestored(ctx) {
  const email = 'lou@northwind.example';
  const { page: lou } = await invitedGuestOpens(ctx, email, 'Lou Partner', 'redeem-lou');
  await press(lou, 'Email me a one-time code');
  await ctx.look(lou, 'redeem-lou-code');
  await lou.getByLabel('One-time code').fill(codeIn(await ctx.mailbox.next(email, { subject: /code/ })));
  await press(lou, 'Continue');
  await ctx.look(lou, 'redeem-lou-consent');
  await lou.getByLabel('I accept the terms of use').check();
  await press(lou, 'Accept and continue');
  assert.equal(new URL(lou.url()).pathname, '/apps');
  await follow(lou, 'Profile');
  await follow(lou, 'Leave Contoso');
  await ctx.look(lou, 'leave');
  assert.match(await lou.locator('main').innerText(), new RegExp(WIKI));
  await press(lou, 'Leave Contoso');
  await ctx.look(lou, 'left');
  assert.match(await heading(lou), /You left Contoso/);
  await ctx.mailbox.next(ADMIN, { subject: /Lou Partner left Contoso/ });
  await lou.goto(`${ctx.base}/apps`);
  assert.equal(new URL(lou.url()).pathname, '/signin');

  const { admin } = ctx;
  await admin.goto(`${ctx.base}/admin/users?q=lou`);
  await follow(admin, 'Lou Partner');
  await ctx.look(admin, 'admin-user-left');
  assert.match(await admin.locator('main').innerText(), /left the organization/);
  await press(admin, 'Restore account');
  assert.match(await admin.locator('main').innerText(), /The account is restored/);
  const again = await signInWithCode(ctx, email, 'lou-again');
  assert.match(await again.locator('main').innerText(), new RegExp(WIKI));
}

/** A guest redeems `email`'s invitation with an email code and lands on their apps. */
async function redeemWithCode(ctx, email, name, lookName) {
  const { page } = await invitedGuestOpens(ctx, email, name, lookName);
  await press(page, 'Email me a one-time code');
  await ctx.look(page, `${lookName}-code`);
  await page.getByLabel('One-time code').fill(codeIn(await ctx.mailbox.next(email, { subject: /code/ })));
  await press(page, 'Continue');
  await ctx.look(page, `${lookName}-consent`);
  await page.getByLabel('I accept the terms of use').check();
  await press(page, 'Accept and continue');
  assert.equal(new URL(page.url()).pathname, '/apps');
  return page;
}

/** Languages (F14): the admin invites Jonas in German; his mail and his invitation page
 * are German (the longest words), and the page in the right-to-left pseudo-locale keeps
 * its order mirrored; axe and the 360 px fit hold for both. */
async function aGermanGuestIsInvited(ctx) {
  const { admin, look } = ctx;
  const email = 'jonas@muenchen.example';
  await admin.goto(`${ctx.base}/admin/invitations/new`);
  await admin.getByLabel('Email address').fill(email);
  await admin.getByLabel('Language (optional)').selectOption('de');
  await press(admin, 'Invite');
  await look(admin, 'admin-invited-german');
  const mail = await ctx.mailbox.next(email);
  assert.match(mail.subject, /hat Sie zu Contoso eingeladen/);
  await ctx.inspector.lookAtMail(admin.context(), mail, 'invitation-german');
  const page = await newPage(ctx);
  await page.goto(linkIn(mail, /\/redeem\//));
  assert.equal(await page.locator('html').getAttribute('lang'), 'de');
  assert.match(await page.locator('h2').first().innerText(), /Zum Annehmen anmelden/);
  await look(page, 'redeem-german');
  await page.context().addCookies([{ name: 'lang', value: 'ar-XB', url: ctx.base }]);
  await page.reload();
  assert.equal(await page.locator('html').getAttribute('dir'), 'rtl');
  await look(page, 'redeem-pseudo-rtl');
  await page.context().close();
}

/** Access reviews (F12): the admin starts a review of Project Atlas's guests; as their
 * sponsor she gets one mail, opens its link, keeps Rui and removes Val with a reason; she
 * stops the review early, which applies it: Val is mailed, and Team Board (the group's app)
 * refuses him while Rui still opens it. */
async function aSponsorReviewsHerGuests(ctx) {
  const rui = await redeemWithCode(ctx, 'rui@northwind.example', 'Rui Keeper', 'redeem-rui');
  const val = await redeemWithCode(ctx, 'val@northwind.example', 'Val Leaver', 'redeem-val');
  const { admin } = ctx;
  await admin.goto(`${ctx.base}/admin/groups`);
  await follow(admin, 'Project Atlas');
  for (const email of ['rui@northwind.example', 'val@northwind.example']) {
    await admin.getByLabel('Add a member by email').fill(email);
    await press(admin, 'Add member');
  }
  await ctx.look(admin, 'admin-group-with-northwind');

  await admin.goto(`${ctx.base}/admin/reviews`);
  await ctx.look(admin, 'admin-reviews-empty');
  await follow(admin, 'New review');
  await admin.getByLabel('Name', { exact: true }).fill('Project Atlas review');
  // A group and a package are both called Project Atlas: the group's.
  const atlas = admin.locator('#scope optgroup[label="Guests in a group"] option', { hasText: 'Project Atlas' });
  await admin.getByLabel('Whose access').selectOption(await atlas.getAttribute('value'));
  await admin.getByLabel("Each guest's sponsors").check();
  await admin.getByLabel('If nobody decides on a guest').selectOption('keep');
  await admin.getByLabel('Repeats').selectOption('quarterly');
  await ctx.look(admin, 'admin-review-new');
  await press(admin, 'Start the review');
  await ctx.look(admin, 'admin-review-started');
  assert.match(await admin.locator('main').innerText(), /has started/);

  const mail = await ctx.mailbox.next(ADMIN, { subject: /Please review the access of/ });
  await ctx.inspector.lookAtMail(admin.context(), mail, 'review-request');
  await admin.goto(linkIn(mail, /\/review\//));
  await ctx.look(admin, 'review-page');
  const row = (name) => admin.getByRole('row', { name: new RegExp(name) });
  await loadAfter(admin, () => row('Rui Keeper').getByRole('button', { name: 'Keep', exact: true }).click());
  assert.match(await admin.locator('.flash').innerText(), /Saved: keep 1 guest/);
  await row('Val Leaver').getByLabel('Reason for Val Leaver').fill('Left the project');
  await loadAfter(admin, () => row('Val Leaver').getByRole('button', { name: 'Remove', exact: true }).click());
  await ctx.look(admin, 'review-page-decided');
  assert.match(await row('Val Leaver').innerText(), /Left the project/);
  await admin.goto(`${ctx.base}/reviews`);
  await ctx.look(admin, 'panel-reviews');

  await admin.goto(`${ctx.base}/admin/reviews`);
  await ctx.look(admin, 'admin-reviews');
  await follow(admin, 'Project Atlas review');
  admin.once('dialog', (dialog) => dialog.accept());
  await press(admin, 'Stop now and apply');
  await ctx.look(admin, 'admin-review-applied');
  assert.match(await admin.locator('main').innerText(), /stopped and its decisions applied/);

  const told = await ctx.mailbox.next('val@northwind.example', { subject: /has ended/ });
  assert.match(told.text, /Left the project/);
  await ctx.inspector.lookAtMail(val.context(), told, 'review-removed');
  const res = await val.goto(ctx.board);
  assert.equal(res.status(), 403, `Val still reaches Team Board: ${val.url()}`);
  await ctx.look(val, 'review-removed-refused');
  assert.match(await val.locator('main').innerText(), /You don.t have access to Team Board/);
  await rui.goto(`${ctx.base}/apps`);
  await loadAfter(rui, () => rui.getByRole('link', { name: /Team Board/ }).click());
  assert.equal(await heading(rui), 'Team Board', `at ${rui.url()}`);
}

/** Fills the identity provider form (the test peers' client credentials) and saves it. */
async function fillIdpForm(admin, name, slug, kind, issuer, domains, workforce = false) {
  await admin.getByLabel('Display name').fill(name);
  await admin.getByLabel('Short name').fill(slug);
  await admin.getByLabel('Kind').selectOption(kind);
  await admin.getByLabel('Issuer URL').fill(issuer);
  await admin.getByLabel('Client ID').fill('vestibule');
  await admin.getByLabel('Client secret').fill('vestibule-test-secret');
  await admin.getByLabel('Email domains (optional)').fill(domains);
  await admin.getByLabel('Enabled').check();
  if (workforce) await admin.getByLabel(/workforce/).check();
  await press(admin, 'Save');
  assert.match(await admin.locator('main').innerText(), new RegExp(`${name} was added`));
}

/** The admin adds the partner's IdP; ana redeems through it, signs out, and signs in again
 * through home-realm discovery. */
export async function redeemThroughHomeIdp(ctx) {
  const { admin } = ctx;
  await admin.goto(`${ctx.base}/admin/identity-providers`);
  await ctx.look(admin, 'admin-idps-empty');
  await follow(admin, 'Add OpenID Connect');
  await ctx.look(admin, 'admin-idp-new');
  await fillIdpForm(admin, 'Partner SSO', 'partner', 'oidc', ctx.idpOrigin, 'partner.example');
  await ctx.look(admin, 'admin-idps');

  const { page: ana } = await invitedGuestOpens(ctx, 'ana@partner.example', 'Ana Lopez', 'redeem-with-idp');
  await press(ana, 'Sign in with Partner SSO');
  await loginAtIdp(ana, ctx, 'ana');
  await ctx.look(ana, 'redeem-consent-idp');
  await ana.getByLabel('I accept the terms of use').check();
  await press(ana, 'Accept and continue');
  assert.equal(new URL(ana.url()).pathname, '/apps');
  await ctx.look(ana, 'access-panel-idp');
  assert.ok(await ana.getByRole('link', { name: new RegExp(WIKI) }).isVisible());

  await press(ana, 'Sign out');
  await ana.goto(`${ctx.base}/signin`);
  await ctx.look(ana, 'signin');
  await ana.getByLabel('Email address').fill('ana@partner.example');
  // Home-realm discovery sends her straight to her own IdP, which may still know her and
  // send her back at once: watch the authorization request go by.
  const authorize = ana.waitForRequest((r) => r.url().startsWith(`${ctx.idpOrigin}/auth`));
  await press(ana, 'Email me a code');
  const request = new URL((await authorize).url());
  assert.equal(request.searchParams.get('login_hint'), 'ana@partner.example');
  assert.equal(request.searchParams.get('code_challenge_method'), 'S256');
  for (const param of ['state', 'nonce', 'code_challenge']) assert.ok(request.searchParams.get(param), `${param} is sent`);
  await loginAtIdp(ana, ctx, 'ana');
  assert.equal(new URL(ana.url()).pathname, '/apps');
  await ctx.look(ana, 'access-panel-returning');
  ctx.ana = ana;
}

/** bo's invitation, but the person at the IdP is ana: refused, and the invitation still works. */
export async function emailMismatchAtIdp(ctx) {
  const { invitation, page } = await invitedGuestOpens(ctx, 'bo@partner.example', 'Bo Berg', 'redeem-bo');
  await press(page, 'Sign in with Partner SSO');
  await loginAtIdp(page, ctx, 'ana');
  await ctx.look(page, 'idp-email-mismatch');
  const text = await page.locator('main').innerText();
  assert.match(text, /bo@partner\.example/);
  assert.match(text, /ana@partner\.example/);

  const again = await newPage(ctx);
  const res = await again.goto(invitation);
  assert.equal(res.status(), 200, 'a refused attempt does not spend the invitation');
  await ctx.look(again, 'redeem-bo-again');
}

/** The admin adds GitHub (an Enterprise server: the stand-in) as an identity provider; a
 * developer passes over the partner's own IdP, offered first, and redeems by authorizing at
 * GitHub; their profile names the linked GitHub account. */
export async function redeemWithGitHub(ctx) {
  const { admin } = ctx;
  await admin.goto(`${ctx.base}/admin/identity-providers/new`);
  await fillIdpForm(admin, 'GitHub', 'github', 'github', ctx.githubOrigin, '');
  await ctx.look(admin, 'admin-idps-github');

  const { page: octo } = await invitedGuestOpens(ctx, 'octo@partner.example', 'Octo Cat', 'redeem-github');
  await press(octo, 'Sign in with GitHub');
  assert.equal(new URL(octo.url()).origin, ctx.githubOrigin);
  const authorize = new URL(octo.url());
  assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
  assert.ok(authorize.searchParams.get('state'), 'state is sent');
  await octo.getByLabel('Username').fill('octo');
  await press(octo, 'Authorize');
  await ctx.look(octo, 'redeem-consent-github');
  await octo.getByLabel('I accept the terms of use').check();
  await press(octo, 'Accept and continue');
  assert.equal(new URL(octo.url()).pathname, '/apps');
  await ctx.look(octo, 'access-panel-github');
  await follow(octo, 'Profile');
  await ctx.look(octo, 'profile-github');
  assert.match(await octo.locator('main').innerText(), /GitHub account octo@partner\.example/);
}

/** Moves focus with Tab until the focused element's label or text is `name`. */
async function tabTo(page, name) {
  for (let i = 0; i < 60; i += 1) {
    const focused = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return '';
      let label = el.labels?.[0]?.innerText ?? el.getAttribute('aria-label');
      if (label == null) {
        const copy = el.cloneNode(true);
        copy.querySelectorAll('[aria-hidden="true"]').forEach((n) => n.remove());
        label = copy.textContent;
      }
      return label.replace(/\s+/g, ' ').trim();
    });
    if (focused === name || focused.startsWith(`${name} `)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error(`Tab never reached "${name}" on ${page.url()}`);
}

async function keyboardSubmit(page, button) {
  await tabTo(page, button);
  await loadAfter(page, () => page.keyboard.press('Enter'));
}

/** The admin publishes an access package; a partner signs up using the keyboard alone, the
 * sponsor approves from the mail, and the partner redeems (keyboard again) and launches. */
export async function partnerSignUpApprovedByMail(ctx) {
  const { admin } = ctx;
  await admin.goto(`${ctx.base}/admin/packages`);
  await ctx.look(admin, 'admin-packages-empty');
  await follow(admin, 'Add an access package');
  await ctx.look(admin, 'admin-package-new');
  await admin.getByLabel('Name', { exact: true }).fill('Partner onboarding');
  await admin.getByLabel('Description (shown to partners)').fill('The wiki, for partners starting a project with us.');
  await admin.getByLabel(WIKI).check();
  await admin.getByLabel('Any one approver decides').check();
  await pickApprover(admin, ctx, 'admin@', ADMIN);
  await admin.getByLabel('Offer it on the sign-up page').check();
  await press(admin, 'Save');
  await ctx.look(admin, 'admin-packages');

  const pat = await newPage(ctx);
  const email = 'pat@northwind.example';
  await pat.goto(`${ctx.base}/signup`);
  await ctx.look(pat, 'signup');
  await tabTo(pat, 'Your name');
  await pat.keyboard.type('Pat Partner');
  await tabTo(pat, 'Work email');
  await pat.keyboard.type(email);
  await tabTo(pat, 'Company');
  await pat.keyboard.type('Northwind');
  await tabTo(pat, 'Why do you need it? (optional)');
  await pat.keyboard.type('We start the Q1 integration project.');
  await tabTo(pat, 'I accept the terms of use');
  await pat.keyboard.press('Space');
  assert.ok(await pat.getByLabel('I accept the terms of use').isChecked());
  await keyboardSubmit(pat, 'Send my request');
  await ctx.look(pat, 'signup-code');
  const code = codeIn(await ctx.mailbox.next(email));
  await tabTo(pat, 'One-time code');
  await pat.keyboard.type(code);
  await keyboardSubmit(pat, 'Confirm my address');
  assert.match(new URL(pat.url()).pathname, /^\/signup\/status\//);
  await ctx.look(pat, 'signup-status');
  const status = linkIn(await ctx.mailbox.next(email), /\/signup\/status\//);
  assert.equal(status, pat.url(), 'the mail links to the status page she sees');

  const approval = linkIn(await ctx.mailbox.next(ADMIN), /\/approve\//);
  await admin.goto(approval);
  await ctx.look(admin, 'approve');
  assert.match(await heading(admin), /Pat Partner asks for access/);
  await press(admin, 'Approve');
  await ctx.look(admin, 'approved');

  const invitation = linkIn(await ctx.mailbox.next(email), /\/redeem\//);
  await pat.goto(invitation);
  await ctx.look(pat, 'redeem-after-approval');
  await keyboardSubmit(pat, 'Email me a one-time code');
  await ctx.look(pat, 'redeem-code-keyboard');
  const code2 = codeIn(await ctx.mailbox.next(email));
  await tabTo(pat, 'One-time code');
  await pat.keyboard.type(code2);
  await keyboardSubmit(pat, 'Continue');
  await ctx.look(pat, 'redeem-consent-keyboard');
  await tabTo(pat, 'I accept the terms of use');
  await pat.keyboard.press('Space');
  await keyboardSubmit(pat, 'Accept and continue');
  assert.equal(new URL(pat.url()).pathname, '/apps');
  await ctx.look(pat, 'access-panel-partner');
  await keyboardSubmit(pat, WIKI);
  assert.ok(pat.url().startsWith(ctx.appUrl), `the tile launched ${pat.url()}`);
}

/** Signs `email` in with a mailed code at /signin, in a fresh browser; returns the page. */
async function signInWithCode(ctx, email, name) {
  const page = await newPage(ctx);
  await typeCodeToSignIn(page, ctx, email, name);
  assert.equal(new URL(page.url()).pathname, '/apps');
  return page;
}

/** The sign-in page in `page`: the address, then the mailed code (looked at as `name`). */
async function typeCodeToSignIn(page, ctx, email, name) {
  await page.goto(`${ctx.base}/signin`);
  await page.getByLabel('Email address').fill(email);
  await press(page, 'Email me a code');
  await ctx.look(page, `${name}-signin-code`);
  await page.getByLabel('One-time code').fill(codeIn(await ctx.mailbox.next(email, { subject: /code/ })));
  await press(page, 'Sign in');
}

/** The admin gives a new app to a group and offers the group in a package; Gus, already a
 * guest, signs in with a code, asks for it from his Access Panel, the admin approves it on
 * the requests page, and the app's tile appears for Gus. */
export async function guestRequestsAccessThroughAGroup(ctx) {
  const { admin } = ctx;
  const origin = new URL(ctx.appUrl).origin;
  await admin.goto(`${ctx.base}/admin/apps/new`);
  await admin.getByLabel('Name', { exact: true }).fill('Atlas Board');
  await admin.getByLabel('Launch URL').fill(`${origin}/atlas`);
  await press(admin, 'Save');
  await follow(admin, 'Groups');
  await ctx.look(admin, 'admin-groups-empty');
  await follow(admin, 'Add a group');
  await ctx.look(admin, 'admin-group-new');
  await admin.getByLabel('Name', { exact: true }).fill('Project Atlas');
  await admin.getByLabel('Atlas Board').check();
  await press(admin, 'Save');
  await ctx.look(admin, 'admin-group');
  assert.match(await admin.locator('main').innerText(), /The group Project Atlas was created/);

  await admin.goto(`${ctx.base}/admin/packages/new`);
  await admin.getByLabel('Name', { exact: true }).fill('Project Atlas');
  await admin.getByLabel('Description (shown to partners)').fill('The Atlas board, for the project team.');
  await admin.getByLabel('Project Atlas').check();
  await admin.getByLabel('Any one approver decides').check();
  await pickApprover(admin, ctx, 'admin@', ADMIN);
  // A new package is offered to nobody until it is ticked.
  assert.equal(await admin.getByLabel('Offer it on the sign-up page').isChecked(), false);
  await admin.getByLabel('Offer it on the sign-up page').check();
  await press(admin, 'Save');

  const gus = await signInWithCode(ctx, 'gus@fabrikam.example', 'gus');
  ctx.gus = gus;
  await ctx.look(gus, 'access-panel-gus');
  assert.equal(await gus.getByRole('link', { name: /Atlas Board/ }).count(), 0);
  await follow(gus, 'Request access');
  await ctx.look(gus, 'request-access');
  // Sent without a choice: the error says what is missing and the reason is kept.
  await gus.getByLabel('Why do you need it? (optional)').fill('I joined the Atlas project.');
  await press(gus, 'Send my request');
  await ctx.look(gus, 'request-access-invalid');
  assert.match(await gus.locator('main').innerText(), /Choose what you need access to/);
  assert.equal(await gus.getByLabel('Why do you need it? (optional)').inputValue(), 'I joined the Atlas project.');
  await gus.getByLabel(/^Project Atlas/).check();
  await press(gus, 'Send my request');
  // A signed-in guest follows the request on their own page.
  assert.equal(new URL(gus.url()).pathname, '/apps/requests');
  await ctx.look(gus, 'request-access-status');
  assert.match(await gus.locator('main').innerText(), /Waiting for a decision/);
  await ctx.mailbox.next(ADMIN, { subject: /Gus Guest/ });

  await follow(admin, 'Access requests');
  await ctx.look(admin, 'admin-requests');
  await follow(admin, 'Gus Guest');
  await ctx.look(admin, 'admin-request');
  await admin.getByLabel('Note to the partner (optional)').fill('Welcome to Atlas.');
  await press(admin, 'Approve');
  await ctx.look(admin, 'admin-request-approved');
  assert.match(await admin.locator('main').innerText(), /Approved/);

  const granted = await ctx.mailbox.next('gus@fabrikam.example', { subject: /You now have access to Project Atlas/ });
  assert.ok(granted.links.some((l) => l.startsWith(ctx.base)), `the mail links to the portal:\n${granted.text}`);
  await gus.goto(`${ctx.base}/apps`);
  await ctx.look(gus, 'access-panel-gus-atlas');
  await loadAfter(gus, () => gus.getByRole('link', { name: /Atlas Board/ }).click());
  assert.equal(new URL(gus.url()).pathname, '/atlas');
}

/** The admin finds a guest, looks at her page and changes the settings; a partner withdraws
 * a sign-up (through the confirm dialog); Gus renames himself and signs out everywhere. */
export async function adminPagesWithdrawalAndProfile(ctx) {
  const { admin } = ctx;
  await follow(admin, 'Users');
  await ctx.look(admin, 'admin-users');
  await admin.getByLabel('Name, email or domain').fill('partner.example');
  await press(admin, 'Filter');
  await ctx.look(admin, 'admin-users-filtered');
  assert.equal(await admin.getByRole('row').filter({ hasText: 'fabrikam.example' }).count(), 0);
  await follow(admin, 'Ana Lopez');
  await ctx.look(admin, 'admin-user');
  const identities = await admin.getByRole('heading', { name: 'Sign-in identities' }).locator('..').innerText();
  assert.match(identities, /Partner SSO · ana@partner\.example/);
  assert.ok(identities.includes(`issuer ${ctx.idpOrigin}`), identities);

  await follow(admin, 'Settings');
  await ctx.look(admin, 'admin-settings');
  await admin.getByLabel('Accent colour').fill('#1d6b4f');
  await admin.getByLabel('Privacy statement address (optional)').fill(`${new URL(ctx.appUrl).origin}/privacy`);
  await press(admin, 'Save settings');
  await ctx.look(admin, 'admin-settings-saved');
  assert.match(await admin.locator('main').innerText(), /The settings were saved/);

  const lee = await newPage(ctx);
  const email = 'lee@northwind.example';
  await lee.goto(`${ctx.base}/signup`);
  await lee.getByLabel('Your name').fill('Lee Partner');
  await lee.getByLabel('Work email').fill(email);
  await lee.getByLabel('Company').fill('Northwind');
  await lee.getByLabel(/^Partner onboarding/).check();
  await lee.getByLabel('I accept the terms of use').check();
  await press(lee, 'Send my request');
  await lee.getByLabel('One-time code').fill(codeIn(await ctx.mailbox.next(email, { subject: /code/ })));
  await press(lee, 'Confirm my address');
  await ctx.inspector.lookAtMail(lee.context(), await ctx.mailbox.next(email, { subject: /Your request for/ }), 'request-received');
  await ctx.inspector.lookAtMail(lee.context(), await ctx.mailbox.next(ADMIN, { subject: /Lee Partner/ }), 'approval-request');
  // The button asks first (static/app.js); a person says yes.
  lee.once('dialog', (dialog) => dialog.accept());
  await press(lee, 'Withdraw my request');
  await ctx.look(lee, 'signup-withdrawn');
  assert.match(await lee.locator('main').innerText(), /Withdrawn, as you asked/);
  await ctx.mailbox.next(email, { subject: /You withdrew your request/ });

  const { gus } = ctx;
  await gus.goto(`${ctx.base}/apps`);
  await follow(gus, 'Profile');
  await ctx.look(gus, 'profile');
  await gus.getByLabel('Name', { exact: true }).fill('Gus G. Guest');
  await press(gus, 'Save');
  await ctx.look(gus, 'profile-saved');
  assert.equal(await gus.getByLabel('Name', { exact: true }).inputValue(), 'Gus G. Guest');
  await press(gus, 'Sign out everywhere');
  await ctx.look(gus, 'signed-out-everywhere');
  assert.match(await gus.locator('main').innerText(), /signed out on every device/);
  const res = await gus.goto(`${ctx.base}/apps`);
  assert.equal(new URL(gus.url()).pathname, '/signin', `after signing out everywhere /apps answers ${res.status()} at ${gus.url()}`);
  await ctx.look(gus, 'signin-after-sign-out');
}

/** The admin, a member too, invites a partner from the Access Panel's "Invite a guest"
 * (the page every member gets while Settings let members invite). */
async function memberInvitesFromTheAccessPanel(ctx) {
  const { admin } = ctx;
  await admin.goto(`${ctx.base}/apps`);
  await follow(admin, 'Invite a guest');
  await ctx.look(admin, 'invite-from-panel');
  await admin.getByLabel('Email address').fill('kim@northwind.example');
  await admin.getByLabel('Name (optional)').fill('Kim Partner');
  await press(admin, 'Send the invitation');
  assert.equal(new URL(admin.url()).pathname, '/guests');
  assert.match(await admin.locator('main').innerText(), /Invitation sent to kim@northwind\.example/);
  await ctx.look(admin, 'my-guests-invited');
  await ctx.mailbox.next('kim@northwind.example', { subject: /invited you/ });
}

/** Gus, signed out everywhere by the last scenario, signs in again and opens an app that
 * signs him in through Vestibule (sso.mjs). */
async function singleSignOnIntoAnApacheApp(ctx) {
  ctx.gus = await signInWithCode(ctx, 'gus@fabrikam.example', 'gus-again');
  await guestOpensAnAppThroughSingleSignOn(ctx);
}

/** SimpleSAMLphp (saml-idp.mjs) as a partner's SAML IdP, on its own port and in its own
 * temp dir, knowing this portal as an SP for each of `sps` ({ slug, mfa }): our entityID
 * and ACS follow from the slug, so the partner can know them before the admin adds it. */
async function startSamlPartner(ctx, users, sps) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vestibule-simplesamlphp-'));
  return startSimpleSamlIdp({
    port: await freePort(),
    dir,
    users: users.map(({ username, password, mail, displayName }) => ({
      username, password, attributes: { uid: [username], mail: [mail], displayName: [displayName] },
    })),
    sps: sps.map(({ slug, mfa = false }) => ({
      entityId: `${ctx.base}/auth/${slug}/saml/metadata`, acsUrl: `${ctx.base}/auth/${slug}/saml/acs`, mfa,
    })),
  });
}

/** Fills the SAML form (the metadata by URL, the email trusted; the partner's MFA accepted
 * if `trustMfa`), not saving it. */
async function fillSamlIdpForm(admin, { name, slug, metadataUrl, domains, trustMfa = false }) {
  await admin.getByLabel('Display name').fill(name);
  await admin.getByLabel('Short name').fill(slug);
  await admin.getByLabel("Partner's metadata URL").fill(metadataUrl);
  await admin.getByLabel('Email domains').fill(domains);
  await admin.getByLabel('Enabled', { exact: true }).check();
  await admin.getByLabel('Trust the email address this provider sends').check();
  await admin.getByLabel('Accept the MFA this provider did').setChecked(trustMfa);
}

/** After a click that leads to the partner's IdP: signs in on its form if it asks (it does
 * not when it still knows the person) and waits for the portal's page at `pathname`. */
async function throughSimpleSaml(page, ctx, user, pathname) {
  const settled = (promise, name) => promise.then(() => name, () => 'stuck');
  const first = await Promise.race([
    settled(page.locator(simpleSamlLoginForm.username).waitFor({ timeout: 15000 }), 'form'),
    settled(page.waitForURL((u) => u.origin === ctx.base && pathname.test(u.pathname), { timeout: 15000 }), 'back'),
  ]);
  if (first === 'form') await signInAtSimpleSaml(page, user.username, user.password);
  await page.waitForURL((u) => u.origin === ctx.base && pathname.test(u.pathname), { timeout: 15000 })
    .catch((err) => { throw new Error(`not back at ${pathname} but at ${page.url()}: ${err.message}`); });
}

/** The AuthnRequest in an HTTP-Redirect binding's URL (SAML Bindings §3.4.4.1: deflated,
 * base64), as XML. */
function authnRequestIn(url) {
  const encoded = new URL(url).searchParams.get('SAMLRequest');
  assert.ok(encoded, `no SAMLRequest in ${url}`);
  return zlib.inflateRawSync(Buffer.from(encoded, 'base64')).toString('utf8');
}

const SAM = { username: 'sam', password: 'sam-at-northwind', mail: 'sam@nwtraders.example', displayName: 'Sam Saml' };

/**
 * A partner whose IdP speaks SAML 2.0 (SimpleSAMLphp): the admin adds it by its metadata
 * URL and sees what the portal read from it; Sam redeems his invitation through it, opens
 * Team Board (signed in there by the portal's OpenID Provider), signs out, and signs in
 * again through home-realm discovery. The IdP keeps running for the next scenario.
 */
async function aSamlPartnerRedeemsThroughItsOwnIdp(ctx) {
  const { admin } = ctx;
  const northwind = await startSamlPartner(ctx, [SAM], [{ slug: 'northwind' }]);
  ctx.northwind = northwind;
  try {
    await admin.goto(`${ctx.base}/admin/identity-providers`);
    await follow(admin, 'Add SAML 2.0');
    await ctx.look(admin, 'admin-saml-idp-new');
    await fillSamlIdpForm(admin, {
      name: 'Northwind', slug: 'northwind', metadataUrl: northwind.metadataUrl, domains: 'nwtraders.example',
    });
    await press(admin, 'Save');
    assert.match(new URL(admin.url()).pathname, /^\/admin\/identity-providers\/[0-9a-f-]{36}$/);
    await ctx.look(admin, 'admin-saml-idp');
    const read = await admin.getByRole('heading', { name: "Read from the partner's metadata" }).locator('..').innerText();
    assert.ok(read.includes(northwind.entityId), read);
    assert.ok(read.includes(northwind.ssoUrl), read);
    // saml-idp.mjs makes a certificate for a week: the page says to ask for the next one.
    assert.match(read, /valid until \d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d \S+ — expires within 30 days/);
    const main = await admin.locator('main').innerText();
    assert.match(main, /Northwind was added/);
    const ours = `${ctx.base}/auth/northwind/saml/metadata`;
    assert.ok(main.includes(ours), main);
    // What the partner's administrators import: our entityID and ACS, as SimpleSAMLphp has them.
    const spMetadata = await (await fetch(ours)).text();
    assert.ok(spMetadata.includes(`entityID="${ours}"`), spMetadata);
    assert.ok(spMetadata.includes(`Location="${ctx.base}/auth/northwind/saml/acs"`), spMetadata);

    // Sam's invitation names Team Board too (the single sign-on scenario's Apache app).
    const { page: sam } = await invitedGuestOpens(ctx, SAM.mail, SAM.displayName, 'redeem-saml', [WIKI, 'Team Board']);
    const first = sam.locator('form.idp button').first();
    assert.equal(await first.innerText(), 'Sign in with Northwind', 'his domain puts his IdP first');
    const request = sam.waitForRequest((r) => r.url().startsWith(northwind.ssoUrl));
    await press(sam, 'Sign in with Northwind');
    const xml = authnRequestIn((await request).url());
    assert.ok(xml.includes(`AssertionConsumerServiceURL="${ctx.base}/auth/northwind/saml/acs"`), xml);
    assert.ok(xml.includes(`>${ours}</saml:Issuer>`), xml);
    await signInAtSimpleSaml(sam, SAM.username, SAM.password);
    await ctx.look(sam, 'redeem-consent-saml');
    assert.match(await sam.locator('main').innerText(), /I accept the terms of use/);
    await sam.getByLabel('I accept the terms of use').check();
    await press(sam, 'Accept and continue');
    assert.equal(new URL(sam.url()).pathname, '/apps');
    await ctx.look(sam, 'access-panel-saml');
    assert.ok(await sam.getByRole('link', { name: new RegExp(WIKI) }).isVisible());

    // Team Board signs him in through the portal's OpenID Provider: single factor.
    await loadAfter(sam, () => sam.getByRole('link', { name: /Team Board/ }).click());
    assert.equal(await heading(sam), 'Team Board', `at ${sam.url()}`);
    assert.equal(await sam.locator('#claim-email').innerText(), SAM.mail);
    assert.equal(await sam.locator('#claim-name').innerText(), SAM.displayName);
    assert.equal(await sam.locator('#claim-acr').innerText(), '1');

    // Signed out, he comes back through home-realm discovery; SimpleSAMLphp still knows him.
    await sam.goto(`${ctx.base}/apps`);
    await press(sam, 'Sign out');
    assert.equal(new URL(sam.url()).pathname, '/signin');
    await ctx.look(sam, 'signin-saml');
    await sam.getByLabel('Email address').fill(SAM.mail);
    const again = sam.waitForRequest((r) => r.url().startsWith(northwind.ssoUrl));
    await sam.getByRole('button', { name: 'Email me a code', exact: true }).click();
    assert.ok(authnRequestIn((await again).url()).includes(`>${ours}</saml:Issuer>`));
    await throughSimpleSaml(sam, ctx, SAM, /^\/apps$/);
    await ctx.look(sam, 'access-panel-saml-returning');
    ctx.sam = sam;
  } catch (err) {
    err.message += `\n--- SimpleSAMLphp ---\n${northwind.log()}`;
    throw err;
  }
}

/**
 * Guests must use a second step; the partner's IdP (another SimpleSAMLphp: one entityID is
 * one IdP here, and the first one's metadata is refused) claims REFEDS MFA, and the admin
 * accepts it. Mo redeems through it and is not asked for a second step here; Team Board
 * sees a multi-factor sign-in; signing in again is the same, and the admin finds it in his
 * audit trail. Once the admin no longer accepts the partner's MFA, the same answer sends
 * Mo to set up a second step. The setting is turned off again for the scenarios after.
 */
async function aSamlPartnersMfaCountsWhenTrusted(ctx) {
  const { admin } = ctx;
  const mo = { username: 'mo', password: 'mo-at-northwind', mail: 'mo@secure.nwtraders.example', displayName: 'Mo Multifactor' };
  const secure = await startSamlPartner(ctx, [mo], [{ slug: 'northwind-mfa', mfa: true }]);
  try {
    // The first partner's metadata again: refused, the entityID already has its provider.
    await admin.goto(`${ctx.base}/admin/identity-providers/new-saml`);
    const form = {
      name: 'Northwind Secure', slug: 'northwind-mfa', metadataUrl: ctx.northwind.metadataUrl,
      domains: 'secure.nwtraders.example', trustMfa: true,
    };
    await fillSamlIdpForm(admin, form);
    await press(admin, 'Save');
    await ctx.look(admin, 'admin-saml-idp-same-entity');
    assert.match(await admin.locator('main').innerText(), /Another identity provider already has this entityID/);
    await fillSamlIdpForm(admin, { ...form, metadataUrl: secure.metadataUrl });
    await press(admin, 'Save');
    await ctx.look(admin, 'admin-saml-idp-mfa');
    assert.match(await admin.locator('main').innerText(), /Northwind Secure was added/);
    assert.ok(await admin.getByLabel('Accept the MFA this provider did').isChecked());
    const edit = admin.url();

    await admin.goto(`${ctx.base}/admin/settings`);
    await admin.getByLabel('Guests must use a second factor (authenticator app, passkey or recovery code)').check();
    await press(admin, 'Save settings');
    assert.match(await admin.locator('main').innerText(), /The settings were saved/);

    const { page } = await invitedGuestOpens(ctx, mo.mail, mo.displayName, 'redeem-saml-mfa', [WIKI, 'Team Board']);
    await press(page, 'Sign in with Northwind Secure');
    await signInAtSimpleSaml(page, mo.username, mo.password);
    await ctx.look(page, 'redeem-consent-saml-mfa');
    await page.getByLabel('I accept the terms of use').check();
    await press(page, 'Accept and continue');
    assert.equal(new URL(page.url()).pathname, '/apps', `the partner's MFA counts: ${page.url()}`);
    await ctx.look(page, 'access-panel-saml-mfa');
    await loadAfter(page, () => page.getByRole('link', { name: /Team Board/ }).click());
    assert.equal(await page.locator('#claim-email').innerText(), mo.mail);
    assert.equal(await page.locator('#claim-acr').innerText(), '2', 'a multi-factor sign-in, for the app too');
    // Signing in again: straight back (SimpleSAMLphp still knows Mo), no second step here.
    const signInAgain = async () => {
      await page.goto(`${ctx.base}/apps`);
      await press(page, 'Sign out');
      await page.getByLabel('Email address').fill(mo.mail);
      await page.getByRole('button', { name: 'Email me a code', exact: true }).click();
    };
    await signInAgain();
    await throughSimpleSaml(page, ctx, mo, /^\/apps$/);
    await ctx.look(page, 'access-panel-saml-mfa-returning');
    // The admin sees whose MFA it was: Mo's identity at the partner, and the audit trail.
    await admin.goto(`${ctx.base}/admin/users`);
    await admin.getByLabel('Name, email or domain').fill('secure.nwtraders.example');
    await press(admin, 'Filter');
    await follow(admin, mo.displayName);
    await ctx.look(admin, 'admin-user-saml');
    const identities = await admin.getByRole('heading', { name: 'Sign-in identities' }).locator('..').innerText();
    assert.match(identities, /Northwind Secure · mo@secure\.nwtraders\.example/);
    assert.ok(identities.includes(`issuer ${secure.entityId}, subject mo`), identities);
    const trail = await admin.getByRole('heading', { name: 'Audit trail' }).locator('..').innerText();
    assert.match(trail, /had the second step met by their home organization/);

    // No longer accepted: the same IdP, the same claim, and Mo must set up a second step.
    await admin.goto(edit);
    await admin.getByLabel('Accept the MFA this provider did').uncheck();
    await press(admin, 'Save');
    await ctx.look(admin, 'admin-saml-idp-mfa-saved');
    assert.match(await admin.locator('main').innerText(), /Northwind Secure was saved/);
    await signInAgain();
    await throughSimpleSaml(page, ctx, mo, /^\/mfa/);
    await ctx.look(page, 'saml-mfa-not-trusted');
    assert.match(await page.locator('main').innerText(), /Your account at Contoso signs in with a second step/);

    // The list names both partners' metadata addresses for their administrators.
    await admin.goto(`${ctx.base}/admin/identity-providers`);
    await ctx.look(admin, 'admin-idps-saml');
    const listed = await admin.getByRole('row').filter({ hasText: 'Northwind Secure' }).innerText();
    assert.ok(listed.includes(`${ctx.base}/auth/northwind-mfa/saml/metadata`), listed);

    await admin.goto(`${ctx.base}/admin/settings`);
    await admin.getByLabel('Guests must use a second factor (authenticator app, passkey or recovery code)').uncheck();
    await press(admin, 'Save settings');
    assert.match(await admin.locator('main').innerText(), /The settings were saved/);
  } catch (err) {
    err.message += `\n--- SimpleSAMLphp ---\n${secure.log()}`;
    throw err;
  }
}

/** A colleague signs in through the organization's own (workforce) IdP and becomes a member
 * on the spot; she invites a partner from her own page, the partner redeems, she sees him on
 * My guests and revokes a second, pending invitation; named approver of a package (found
 * by name on the package form), she approves a sign-up from her Approvals page. */
async function memberLooksAfterHerGuests(ctx) {
  const { admin } = ctx;
  await admin.goto(`${ctx.base}/admin/identity-providers/new`);
  await fillIdpForm(admin, 'Contoso SSO', 'contoso', 'oidc', ctx.workforceOrigin, 'contoso.example', true);
  await admin.goto(`${ctx.base}/admin/settings`);
  await admin.getByLabel("Your organization's own domains (optional)").fill('contoso.example');
  await admin.getByLabel('Guest access lasts (days) (optional)').fill('90');
  await press(admin, 'Save settings');
  assert.match(await admin.locator('main').innerText(), /The settings were saved/);

  const mia = await newPage(ctx);
  await mia.goto(`${ctx.base}/signin`);
  await mia.getByLabel('Email address').fill('mia@contoso.example');
  await press(mia, 'Email me a code');
  await loginAtIdp(mia, ctx, 'mia', ctx.workforceOrigin);
  assert.equal(new URL(mia.url()).pathname, '/apps');
  await ctx.look(mia, 'member-first-sign-in');
  await follow(mia, 'My guests');
  await ctx.look(mia, 'my-guests-empty');
  assert.match(await mia.locator('main').innerText(), /You sponsor no guests yet/);
  await follow(mia, 'Invite a guest');
  await mia.getByLabel('Email address').fill('lin@northwind.example');
  await mia.getByLabel('Name (optional)').fill('Lin Partner');
  await mia.getByLabel('Personal message (optional)').fill('Welcome aboard.');
  await press(mia, 'Send the invitation');
  assert.equal(new URL(mia.url()).pathname, '/guests');
  const mail = await ctx.mailbox.next('lin@northwind.example', { subject: /Mia Member invited you/ });
  assert.match(mail.text, /Their message:\s+Welcome aboard\./);

  const lin = await newPage(ctx);
  await lin.goto(linkIn(mail, /\/redeem\//));
  await ctx.look(lin, 'redeem-member-invitation');
  assert.match(await heading(lin), /Mia Member invited you to Contoso/);
  await press(lin, 'Email me a one-time code');
  await ctx.look(lin, 'redeem-member-invitation-code');
  await lin.getByLabel('One-time code').fill(codeIn(await ctx.mailbox.next('lin@northwind.example')));
  await press(lin, 'Continue');
  await ctx.look(lin, 'redeem-member-invitation-consent');
  await lin.getByLabel('I accept the terms of use').check();
  await press(lin, 'Accept and continue');
  assert.equal(new URL(lin.url()).pathname, '/apps');

  await follow(mia, 'Invite a guest');
  await mia.getByLabel('Email address').fill('max@northwind.example');
  await mia.getByLabel('Name (optional)').fill('Max Partner');
  await press(mia, 'Send the invitation');
  await ctx.mailbox.next('max@northwind.example', { subject: /invited you/ });
  await ctx.look(mia, 'my-guests');
  const rows = await mia.locator('main table').innerText();
  assert.match(rows, /Lin Partner[\s\S]*Active until/);
  assert.match(rows, /Max Partner[\s\S]*Invited; the link works until/);
  // Dates are said in the reader's zone where the browser tells it: from Berlin, Lin's end
  // reads in CET (or GMT+1), not in the page's UTC, which stays at hand on hover.
  const berlin = await ctx.browser.newContext({
    timezoneId: 'Europe/Berlin', storageState: await mia.context().storageState(),
  });
  try {
    const there = await berlin.newPage();
    await there.goto(`${ctx.base}/guests`);
    const until = there.locator('main table tr', { hasText: 'Lin Partner' }).locator('time[data-local]');
    const said = await until.innerText();
    assert.match(said, /^\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d \S+$/);
    assert.ok(!said.endsWith('UTC'), said);
    assert.match(await until.getAttribute('title'), / UTC$/);
  } finally {
    await berlin.close();
  }
  await follow(mia, 'Max Partner');
  await ctx.look(mia, 'my-guest-pending');
  mia.once('dialog', (dialog) => dialog.accept());
  await press(mia, 'Revoke the invitation');
  await ctx.look(mia, 'my-guest-revoked');
  assert.match(await mia.locator('main').innerText(), /The invitation was revoked/);
  await follow(mia, 'My guests');
  await follow(mia, 'Lin Partner');
  await ctx.look(mia, 'my-guest-active');
  assert.match(await mia.locator('main').innerText(), /Active until/);

  await admin.goto(`${ctx.base}/admin/packages/new`);
  await admin.getByLabel('Name', { exact: true }).fill('Northwind project');
  await admin.getByLabel('Description (shown to partners)').fill('The wiki, for the Northwind project team.');
  await admin.getByLabel(WIKI).check();
  await admin.getByLabel('Any one approver decides').check();
  await pickApprover(admin, ctx, 'Mia', 'mia@contoso.example');
  await ctx.look(admin, 'admin-package-approver-found');
  await admin.getByLabel('Offer it on the sign-up page').check();
  await press(admin, 'Save');
  assert.match(await admin.locator('main').innerText(), /The access package Northwind project was created/);

  const noa = await newPage(ctx);
  const email = 'noa@northwind.example';
  await noa.goto(`${ctx.base}/signup`);
  await noa.getByLabel('Your name').fill('Noa Partner');
  await noa.getByLabel('Work email').fill(email);
  await noa.getByLabel('Company').fill('Northwind');
  await noa.getByLabel(/^Northwind project/).check();
  await noa.getByLabel('I accept the terms of use').check();
  await press(noa, 'Send my request');
  await noa.getByLabel('One-time code').fill(codeIn(await ctx.mailbox.next(email, { subject: /code/ })));
  await press(noa, 'Confirm my address');
  await ctx.look(noa, 'signup-status-member-approver');
  await ctx.mailbox.next(email, { subject: /Your request for/ });
  await ctx.mailbox.next('mia@contoso.example', { subject: /Noa Partner asks for access/ });

  await follow(mia, 'Approvals');
  await ctx.look(mia, 'approvals');
  assert.match(await heading(mia), /Approvals/);
  await mia.getByLabel('Note to the partner (optional)').fill('Glad to have you.');
  await press(mia, 'Approve');
  await ctx.look(mia, 'approvals-decided');
  const text = await mia.locator('main').innerText();
  assert.match(text, /Approved: Noa Partner gets an invitation to Northwind project by mail, with your note\./);
  assert.match(text, /Nothing waits for you/);
  const approved = await ctx.mailbox.next(email, { subject: /approved/ });
  assert.match(approved.text, /approved by Mia Member/);
  // The partner's mail carries the approver's note, and reads on a phone.
  assert.match(approved.text, /Glad to have you\./);
  await ctx.inspector.lookAtMail(mia.context(), approved, 'approved-invitation');
  await follow(mia, 'My guests');
  assert.match(await mia.locator('main table').innerText(), /Noa Partner/);
}

/** A guest opens an app that requires a second step and sets up an authenticator app on
 * the spot (step-up); then the organization requires it of every guest, and Gus, already
 * signed in, is asked to set one up before anything else. He adds a passkey, uses it as
 * his second step, then signs in with it alone. */
async function guestsUseASecondStep(ctx) {
  const { admin } = ctx;
  await admin.goto(`${ctx.base}/admin/apps/new`);
  await admin.getByLabel('Name', { exact: true }).fill('Payroll');
  await admin.getByLabel('Launch URL').fill(`${new URL(ctx.appUrl).origin}/payroll`);
  await admin.getByLabel('Require a second step (MFA) to open this app').check();
  await press(admin, 'Save');
  assert.equal(new URL(admin.url()).pathname, '/admin/apps');
  await admin.goto(`${ctx.base}/admin/invitations/new`);
  await admin.getByLabel('Email address').fill('lea@fabrikam.example');
  await admin.getByLabel('Name (optional)').fill('Lea Guest');
  await admin.getByLabel('Payroll').check();
  await press(admin, 'Invite');
  await ctx.look(admin, 'admin-invited-payroll');
  const lea = await newPage(ctx);
  await lea.goto(linkIn(await ctx.mailbox.next('lea@fabrikam.example'), /\/redeem\//));
  await ctx.look(lea, 'redeem-payroll');
  await press(lea, 'Email me a one-time code');
  await ctx.look(lea, 'redeem-payroll-code');
  await lea.getByLabel('One-time code').fill(codeIn(await ctx.mailbox.next('lea@fabrikam.example')));
  await press(lea, 'Continue');
  await ctx.look(lea, 'redeem-payroll-consent');
  await lea.getByLabel('I accept the terms of use').check();
  await press(lea, 'Accept and continue');
  assert.equal(new URL(lea.url()).pathname, '/apps');
  await ctx.look(lea, 'access-panel-mfa-app');
  await loadAfter(lea, () => lea.getByRole('link', { name: /Payroll/ }).click());
  assert.equal(new URL(lea.url()).pathname, '/mfa');
  await ctx.look(lea, 'step-up-setup');
  await lea.getByLabel('Name for this app').fill('Lea’s phone');
  await lea.getByLabel('Code from the app').fill(totp(await lea.locator('.secret-key').innerText()));
  await press(lea, 'Turn it on');
  await ctx.look(lea, 'step-up-recovery-codes');
  await follow(lea, 'I have saved them, continue');
  assert.equal(new URL(lea.url()).pathname, '/payroll', `the app opens after the second step: ${lea.url()}`);
  await ctx.mailbox.next('lea@fabrikam.example', { subject: /sign-in methods/ });

  await admin.goto(`${ctx.base}/admin/settings`);
  await admin.getByLabel('Guests must use a second factor (authenticator app, passkey or recovery code)').check();
  await press(admin, 'Save settings');
  assert.match(await admin.locator('main').innerText(), /The settings were saved/);
  // Gus signs in again (the single sign-on scenario signed him out): the code first, then
  // the set-up before anything else.
  const gus = await newPage(ctx);
  await typeCodeToSignIn(gus, ctx, 'gus@fabrikam.example', 'gus-mfa');
  assert.equal(new URL(gus.url()).pathname, '/mfa');
  await ctx.look(gus, 'guest-mfa-required');
  assert.match(await gus.locator('main').innerText(), /Your account at Contoso signs in with a second step/);
  await gus.getByLabel('Code from the app').fill(totp(await gus.locator('.secret-key').innerText()));
  await press(gus, 'Turn it on');
  await follow(gus, 'I have saved them, continue');
  assert.equal(new URL(gus.url()).pathname, '/apps');
  await follow(gus, 'Profile');
  await ctx.look(gus, 'profile-second-step');
  assert.match(await gus.locator('main').innerText(), /Recovery codes left: 10 of 10/);
  await ctx.mailbox.next('gus@fabrikam.example', { subject: /sign-in methods/ });

  // Gus adds a passkey (Chromium's virtual authenticator stands in for his laptop's), signs
  // out, and uses it as his second step.
  const cdp = await gus.context().newCDPSession(gus);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  await follow(gus, 'Add an authenticator app or passkey');
  await ctx.look(gus, 'passkey-offered');
  await gus.getByLabel('Name for this passkey').fill('Gus’s laptop');
  await press(gus, 'Create a passkey');
  assert.equal(new URL(gus.url()).pathname, '/profile');
  await ctx.look(gus, 'profile-passkey');
  assert.match(await gus.locator('main').innerText(), /Gus’s laptop\s+passkey, added/);
  await ctx.mailbox.next('gus@fabrikam.example', { subject: /sign-in methods/ });
  await press(gus, 'Sign out');
  await typeCodeToSignIn(gus, ctx, 'gus@fabrikam.example', 'gus-passkey');
  assert.equal(new URL(gus.url()).pathname, '/mfa');
  await ctx.look(gus, 'second-step-passkey');
  await press(gus, 'Use your passkey');
  assert.equal(new URL(gus.url()).pathname, '/apps', `signed in with the passkey: ${gus.url()}`);

  // Next time he signs in with the passkey alone: no address, no code.
  await press(gus, 'Sign out');
  await ctx.look(gus, 'signin-passkey-offered');
  await press(gus, 'Sign in with a passkey');
  assert.equal(new URL(gus.url()).pathname, '/signin/passkey');
  await ctx.look(gus, 'signin-passkey');
  await press(gus, 'Use a passkey');
  assert.equal(new URL(gus.url()).pathname, '/apps', `signed in with the passkey alone: ${gus.url()}`);
}

/** Someone who reads the admin's mail but has not got their phone signs in with an email
 * code: the second step stands between them and everything else — the admin pages, a new
 * authenticator app or passkey, new recovery codes. The admin, with their phone, then adds
 * an app after a fresh second step. */
async function theSecondStepHolds(ctx) {
  const attacker = await newPage(ctx);
  await typeCodeToSignIn(attacker, ctx, ADMIN, 'attacker');
  assert.equal(new URL(attacker.url()).pathname, '/mfa');
  for (const path of ['/admin', '/mfa/setup?next=%2Fprofile', '/profile']) {
    await attacker.goto(`${ctx.base}${path}`);
    assert.equal(new URL(attacker.url()).pathname, '/mfa', `${path} asks for the second step`);
    assert.equal(await heading(attacker), "Confirm it's you");
    assert.equal(await attacker.locator('.secret-key').count(), 0, 'no new authenticator key');
  }
  // Forms posted as a script would: each ends at the second step, nothing made.
  const csrf = await attacker.locator('input[name="csrf"]').first().inputValue();
  for (const [path, form] of [
    ['/mfa/passkey/register', { ceremony: crypto.randomUUID(), credential: '{}', name: 'Mine', next: '/admin' }],
    ['/profile/mfa/recovery-codes', {}],
  ]) {
    const res = await attacker.request.post(`${ctx.base}${path}`, { form: { csrf, ...form }, maxRedirects: 0 });
    assert.equal(res.status(), 303, `${path}: ${res.status()}`);
    assert.match(res.headers().location, /^\/mfa\?next=/, path);
  }
  await ctx.look(attacker, 'second-step-holds');

  // The owner: a fresh second step if the last one is more than ten minutes old, then a
  // second authenticator app.
  const { admin } = ctx;
  await admin.goto(`${ctx.base}/mfa/setup?next=%2Fprofile`);
  if (new URL(admin.url()).pathname === '/mfa') {
    await ctx.look(admin, 'second-step-again');
    await admin.getByLabel('Code', { exact: true }).fill(totp(ctx.adminKey));
    await press(admin, 'Continue');
  }
  assert.equal(new URL(admin.url()).pathname, '/mfa/setup', admin.url());
  await admin.getByLabel('Name for this app').fill('Spare phone');
  await admin.getByLabel('Code from the app').fill(totp(await admin.locator('.secret-key').innerText()));
  await press(admin, 'Turn it on');
  assert.equal(new URL(admin.url()).pathname, '/profile');
  assert.match(await admin.locator('main').innerText(), /Spare phone/);
  await ctx.mailbox.next(ADMIN, { subject: /sign-in methods/ });
  await admin.goto(`${ctx.base}/admin`);
}

/** An admin makes an API key; a program invites a partner through the API (Graph's
 * fields); the partner redeems the mailed invitation in the browser, and the program sees
 * it completed. The API's reference page is read too. */
async function aProgramInvitesThroughTheApi(ctx) {
  const { admin } = ctx;
  await follow(admin, 'API keys');
  await ctx.look(admin, 'admin-api-keys-empty');
  await follow(admin, 'Make a key');
  await ctx.look(admin, 'admin-api-key-new');
  await admin.getByLabel('Name (what uses it, e.g. “Partner onboarding script”)').fill('Onboarding script');
  await press(admin, 'Make the key');
  await ctx.look(admin, 'admin-api-key-made');
  const key = await admin.getByLabel('Onboarding script').inputValue();
  assert.match(key, /^vst_[0-9A-Za-z]{36}$/);
  await follow(admin, 'Done');
  await ctx.look(admin, 'admin-api-keys');
  assert.match(await admin.locator('main table').innerText(), /Onboarding script\s+vst_/);

  const api = (path, body) => fetch(`${ctx.base}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  const made = await api('/api/v1/invitations', {
    invitedUserEmailAddress: 'uma@fabrikam.example',
    invitedUserDisplayName: 'Uma Partner',
    inviteRedirectUrl: `${ctx.base}/apps`,
    sendInvitationMessage: true,
    invitedUserMessageInfo: { customizedMessageBody: 'Welcome to the Atlas project.' },
  });
  assert.equal(made.status, 201, await made.clone().text());
  const invitation = await made.json();
  assert.equal(invitation.status, 'PendingAcceptance');

  const uma = await newPage(ctx);
  const mail = await ctx.mailbox.next('uma@fabrikam.example');
  assert.match(mail.text, /Welcome to the Atlas project\./);
  await uma.goto(linkIn(mail, /\/redeem\//));
  await ctx.look(uma, 'redeem-api-invitation');
  await press(uma, 'Email me a one-time code');
  await ctx.look(uma, 'redeem-api-invitation-code');
  await uma.getByLabel('One-time code').fill(codeIn(await ctx.mailbox.next('uma@fabrikam.example')));
  await press(uma, 'Continue');
  await ctx.look(uma, 'redeem-api-invitation-consent');
  await uma.getByLabel('I accept the terms of use').check();
  await press(uma, 'Accept and continue');
  // Settings require a second step of guests (an earlier scenario): she sets one up.
  assert.equal(new URL(uma.url()).pathname, '/mfa');
  await uma.getByLabel('Code from the app').fill(totp(await uma.locator('.secret-key').innerText()));
  await press(uma, 'Turn it on');
  await follow(uma, 'I have saved them, continue');
  assert.equal(new URL(uma.url()).pathname, '/apps');
  await ctx.mailbox.next('uma@fabrikam.example', { subject: /sign-in methods/ });
  const after = await (await api(`/api/v1/invitations/${invitation.id}`)).json();
  assert.equal(after.status, 'Completed');

  // The admin finds the program's doings in the audit log, and nothing stuck in the outbox.
  await admin.goto(`${ctx.base}/admin/audit?actor=Onboarding`);
  await ctx.look(admin, 'admin-audit-filtered');
  assert.match(await admin.locator('main table').innerText(), /API key “Onboarding script” invited uma@fabrikam\.example/);
  await follow(admin, 'Outbox');
  await ctx.look(admin, 'admin-outbox');

  // A partner's list, checked before anyone is invited, then invited by the worker.
  await admin.goto(`${ctx.base}/admin/invitations/new`);
  await follow(admin, 'Invite many from a CSV');
  await ctx.look(admin, 'admin-bulk-upload');
  await admin.getByLabel('CSV file (UTF-8, at most 5 MB and 10000 rows)').setInputFiles({
    name: 'partners.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('email,display_name\r\numa@fabrikam.example,Uma\r\nvic@fabrikam.example,"Partner, Vic"\r\nnot-an-address,X\r\n'),
  });
  await press(admin, 'Check the file');
  await ctx.look(admin, 'admin-bulk-checked');
  const checked = await admin.locator('main').innerText();
  assert.match(checked, /1\s+can be invited/);
  assert.match(checked, /uma@fabrikam\.example\s+Uma\s+Already a guest/);
  await press(admin, 'Invite 1 partner and email them');
  // The page refreshes itself (a meta refresh, no script) until the worker is done.
  await admin.getByRole('heading', { name: 'The list, invited' }).waitFor({ timeout: 20000 });
  await ctx.look(admin, 'admin-bulk-done');
  assert.match(await admin.locator('main').innerText(), /vic@fabrikam\.example\s+Partner, Vic\s+Invited/);
  const vic = await ctx.mailbox.next('vic@fabrikam.example');
  assert.match(vic.subject, /invited you/);
  const href = await admin.getByRole('link', { name: 'Download the result (CSV)' }).getAttribute('href');
  const result = await admin.request.get(`${ctx.base}${href}`);
  assert.match(await result.text(), /^row,email,display_name,outcome,detail,invitation_id\n2,uma@fabrikam\.example,Uma,already_guest,/);
  ctx.apiKey = key;

  await uma.goto(`${ctx.base}/api/v1/docs`);
  await ctx.look(uma, 'api-reference');
  assert.match(await heading(uma), /API reference/);
}

/**
 * A list of 2,000 sent through the API; the portal is killed (SIGKILL) while its worker
 * invites them and started again: it goes on where it stopped, and every partner is
 * invited exactly once.
 */
async function aBulkJobSurvivesACrash(ctx) {
  const api = (path, body) => fetch(`${ctx.base}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${ctx.apiKey}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  });
  const invitations = Array.from({ length: 2000 }, (_, i) => ({ invitedUserEmailAddress: `crash${i}@northwind.example` }));
  const made = await api('/api/v1/invitations/bulk', { name: 'Northwind, all of them', invitations });
  assert.equal(made.status, 202, await made.clone().text());
  const { id } = await made.json();
  let job;
  do {
    await new Promise((r) => setTimeout(r, 20));
    job = await (await api(`/api/v1/invitations/bulk/${id}`)).json();
  } while (job.invited < 50);
  await ctx.restartVestibule('SIGKILL');
  const cut = (await (await api(`/api/v1/invitations/bulk/${id}`)).json());
  assert.ok(cut.toDo > 0, `the kill came before the end (${cut.invited} invited)`);
  for (let i = 0; i < 600 && job.status !== 'done'; i++) {
    await new Promise((r) => setTimeout(r, 100));
    job = await (await api(`/api/v1/invitations/bulk/${id}`)).json();
  }
  assert.equal(job.status, 'done');
  assert.deepEqual([job.invited, job.skipped, job.notInvited], [2000, 0, 0]);
  assert.equal(new Set(job.rows.map((r) => r.invitationId)).size, 2000, 'one invitation a row');
  // Each partner once: the API lists exactly 2,000 invitations to northwind.example.
  let listed = 0;
  let next = '/api/v1/invitations?$top=200&status=PendingAcceptance';
  while (next) {
    const page = await (await api(next.replace(ctx.base, ''))).json();
    listed += page.value.filter((i) => i.invitedUserEmailAddress.startsWith('crash')).length;
    next = page['@odata.nextLink'];
  }
  assert.equal(listed, 2000);
}

/**
 * PostgreSQL only: a second `vestibule serve` on the same database (and data directory, so
 * the same instance key), as behind a load balancer. A session made on one works on the
 * other; a settings change on one shows on the other within the cache's 5 s; the code
 * limits count requests at both; "sign out everywhere" on one ends the session on both;
 * both workers deliver a queue of 200 mails, each exactly once at the real SMTP server,
 * while one instance is stopped with SIGTERM in the middle: it answers the request it was
 * serving, finishes the mail in hand and exits cleanly.
 */
async function twoInstancesShareOnePostgres(ctx) {
  if (ctx.db !== 'postgres') return;
  const { admin } = ctx;
  const port = await freePort();
  const other = `http://localhost:${port}`;
  // This one logs JSON, a line per event, each in a request carrying its request id.
  const second = await startVestibule({
    ...ctx.env, VESTIBULE_BIND: `127.0.0.1:${port}`, VESTIBULE_LOG_FORMAT: 'json', RUST_LOG: 'info,sqlx=warn',
  });
  try {
    const probe = await fetch(`${other}/healthz`);
    const requestId = probe.headers.get('x-request-id');
    assert.match(requestId, /^[0-9a-f]{32}$/);
    await new Promise((r) => setTimeout(r, 300));
    const lines = second.output().split('\n').filter((l) => l.startsWith('{'));
    const events = lines.map((l) => JSON.parse(l));
    const handled = events.find((e) => e.span?.request_id === requestId);
    assert.ok(handled, `a JSON line for request ${requestId}:\n${lines.slice(-5).join('\n')}`);
    assert.equal(handled.fields.message, 'handled');
    assert.equal(handled.fields.status, 200);
    assert.equal(handled.span.path, '/healthz');

    // The admin's session, made on the first instance, opens the dashboard on the second.
    const dashboard = await admin.request.get(`${other}/admin`, { maxRedirects: 0 });
    assert.equal(dashboard.status(), 200);
    assert.match(await dashboard.text(), /<h1[^>]*>Dashboard/);

    // Settings saved on the second are seen by the first within its cache's refresh.
    await admin.goto(`${other}/admin/settings`);
    await admin.locator('#org_name').fill('Contoso Partners');
    await press(admin, 'Save settings');
    const seen = Date.now();
    let title = '';
    while (!/Contoso Partners/.test(title) && Date.now() - seen < 8000) {
      await new Promise((r) => setTimeout(r, 250));
      title = (await (await fetch(`${ctx.base}/signin`)).text()).match(/<title>([^<]*)/)?.[1] ?? '';
    }
    assert.match(title, /Contoso Partners/, 'the first instance shows the new name within 8 s');
    await admin.goto(`${other}/admin/settings`);
    await admin.locator('#org_name').fill('Contoso');
    await press(admin, 'Save settings');

    // Codes for one address from one client: five an hour, wherever they are asked for.
    const asker = await newPage(ctx);
    for (const [i, origin] of [ctx.base, other, ctx.base, other, ctx.base, other].entries()) {
      await asker.goto(`${origin}/signin`);
      await asker.getByLabel('Email address').fill('nobody@northwind.example');
      await press(asker, 'Email me a code');
      const limited = /Too many codes were requested/.test(await asker.locator('main').innerText());
      assert.equal(limited, i === 5, `request ${i + 1} ${limited ? 'was' : 'was not'} limited`);
    }
    await asker.close();

    // Sign out everywhere on the second: the first refuses the session at once.
    await admin.goto(`${other}/profile`);
    await press(admin, 'Sign out everywhere');
    const after = await admin.request.get(`${ctx.base}/admin`, { maxRedirects: 0 });
    assert.equal(after.status(), 303);
    assert.match(after.headers().location, /\/signin/);

    // 200 mails queued at once; both workers send them.
    const api = (origin, path, body) => fetch(`${origin}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { authorization: `Bearer ${ctx.apiKey}`, 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
    });
    const invitations = Array.from({ length: 200 }, (_, i) => ({ invitedUserEmailAddress: `pair${i}@tailspin.example` }));
    const queued = await api(ctx.base, '/api/v1/invitations/bulk', { name: 'Tailspin', invitations, sendInvitationMessage: true });
    assert.equal(queued.status, 202, await queued.clone().text());
    const metrics = async (origin) => (await (await fetch(`${origin}/metrics`, {
      headers: { authorization: `Bearer ${ctx.env.VESTIBULE_METRICS_TOKEN}` },
    })).text());
    const sentBy = (text) => Number(text.match(/^vestibule_outbox_deliveries_total\{[^}]*kind="mail"[^}]*outcome="sent"[^}]*\} (\d+)/m)?.[1] ?? 0);
    for (let i = 0; i < 200 && sentBy(await metrics(other)) === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(sentBy(await metrics(other)) > 0, 'the second instance delivers mail too');

    // SIGTERM while a request is in flight (a 5,000-row list takes a while to check).
    const quiet = Array.from({ length: 5000 }, (_, i) => ({ invitedUserEmailAddress: `quiet${i}@tailspin.example` }));
    const inFlight = api(other, '/api/v1/invitations/bulk', { name: 'Quiet', invitations: quiet, sendInvitationMessage: false });
    await new Promise((r) => setTimeout(r, 150));
    const exited = new Promise((resolve) => second.once('exit', (code, signal) => resolve({ code, signal })));
    const stopping = Date.now();
    second.kill('SIGTERM');
    assert.equal((await inFlight).status, 202, 'the request in flight was answered');
    const { code } = await exited;
    assert.equal(code, 0, `a clean exit:\n${second.output().slice(-2000)}`);
    assert.ok(Date.now() - stopping < 35000, 'stopped within the grace period');

    // Every mail arrives once: the first instance takes over what the second left.
    const delivered = () => ctx.mailbox.files().map((f) => ctx.mailbox.envelope(f)).filter((to) => /pair\d+@tailspin/.test(to));
    for (let i = 0; i < 300 && new Set(delivered()).size < 200; i++) await new Promise((r) => setTimeout(r, 200));
    await new Promise((r) => setTimeout(r, 3000)); // time for a duplicate to show up
    const all = delivered();
    assert.equal(new Set(all).size, 200, 'each of the 200 arrived');
    assert.equal(all.length, 200, 'none arrived twice');
  } catch (err) {
    console.log(`--- the second instance's output ---\n${second.output().slice(-4000)}`);
    throw err;
  } finally {
    if (second.exitCode === null) second.kill('SIGKILL');
  }
}

export const scenarios = [
  bootstrapInviteAndRedeemWithCode,
  // Before the workforce IdP is added: the admin's first factor is still the email code.
  theSecondStepHolds,
  redeemThroughHomeIdp,
  emailMismatchAtIdp,
  redeemWithGitHub,
  partnerSignUpApprovedByMail,
  guestRequestsAccessThroughAGroup,
  adminPagesWithdrawalAndProfile,
  memberInvitesFromTheAccessPanel,
  aGermanGuestIsInvited,
  singleSignOnIntoAnApacheApp,
  // After it: Sam and Mo open its Team Board.
  aSamlPartnerRedeemsThroughItsOwnIdp,
  aSamlPartnersMfaCountsWhenTrusted,
  memberLooksAfterHerGuests,
  aGuestLeavesAndIsRestored,
  aSponsorReviewsHerGuests,
  guestsUseASecondStep,
  aProgramInvitesThroughTheApi,
  aBulkJobSurvivesACrash,
  twoInstancesShareOnePostgres,
];
