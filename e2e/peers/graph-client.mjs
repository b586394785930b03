// Microsoft's Graph JavaScript client (npm @microsoft/microsoft-graph-client) against
// Vestibule's API, as a Graph guest-management script is written: only the base URL and
// the token are Vestibule's. The client sends its token, and follows whole next links, only
// over https: for the tests' plain http a small middleware adds the token and a next link is
// handed over as its path.
// Usage: node graph-client.mjs BASE_URL API_KEY — prints what it did as JSON; exits 1 on
// a surprise.
import assert from 'node:assert/strict';
import { Client, HTTPMessageHandler } from '@microsoft/microsoft-graph-client';

const [base, key] = process.argv.slice(2);

class Bearer {
  async execute(context) {
    const headers = context.options.headers ?? {};
    if (headers instanceof Headers) headers.set('Authorization', `Bearer ${key}`);
    else headers.Authorization = `Bearer ${key}`;
    context.options.headers = headers;
    return this.next.execute(context);
  }

  setNext(next) {
    this.next = next;
  }
}

const bearer = new Bearer();
bearer.setNext(new HTTPMessageHandler());
const client = Client.initWithMiddleware({ baseUrl: `${base}/api`, defaultVersion: 'v1', middleware: bearer });
const did = {};
process.on('unhandledRejection', (err) => {
  console.error(`failed after ${JSON.stringify(did)}: ${err?.statusCode ?? ''} ${err?.code ?? ''} ${err?.message ?? err} ${JSON.stringify(err?.body ?? '')}`);
  process.exit(1);
});

// Invite two guests with a personal message (as Graph's POST /invitations).
for (const [address, name] of [['kim@graph-partner.example', 'Kim Graph'], ['lee@graph-partner.example', 'Lee Graph']]) {
  const invitation = await client.api('/invitations').post({
    invitedUserEmailAddress: address,
    invitedUserDisplayName: name,
    inviteRedirectUrl: `${base}/apps`,
    sendInvitationMessage: true,
    invitedUserMessageInfo: {
      customizedMessageBody: 'Welcome to the project.',
      messageLanguage: 'en-US',
      ccRecipients: [{ emailAddress: { address: 'lead@graph-partner.example', name: 'Project lead' } }],
    },
  });
  assert.equal(invitation.status, 'PendingAcceptance');
  assert.equal(invitation.invitedUserMessageInfo.ccRecipients[0].emailAddress.address, 'lead@graph-partner.example');
  assert.ok(invitation.inviteRedeemUrl.includes('/redeem/'));
}

// List guests a page at a time, following @odata.nextLink.
let page = await client.api('/users').filter("userType eq 'Guest' and startswith(mail,'')").select('id,mail,displayName').top(1).get();
const guests = [...page.value];
while (page['@odata.nextLink']) {
  // The client takes a whole next link only over https; the tests' portal speaks http.
  const next = page['@odata.nextLink'];
  page = await client.api(next.startsWith('https://') ? next : next.slice(`${base}/api/v1`.length)).get();
  guests.push(...page.value);
}
const ours = guests.filter((u) => u.mail.endsWith('@graph-partner.example'));
assert.equal(ours.length, 2, JSON.stringify(guests));
assert.deepEqual(Object.keys(ours[0]).sort(), ['displayName', 'id', 'mail']);
did.listed = guests.length;
const counted = await client.api('/users').header('ConsistencyLevel', 'eventual').filter("userType eq 'Guest'").count(true).top(1).get();
assert.equal(counted['@odata.count'], guests.length);

// A group, and the guest added to it by reference.
const group = await client.api('/groups').post({
  displayName: 'Graph Partners', mailEnabled: false, mailNickname: 'graphpartners', securityEnabled: true,
});
const kim = ours.find((u) => u.mail.startsWith('kim'));
await client.api(`/groups/${group.id}/members/$ref`).post({ '@odata.id': `${base}/api/v1/directoryObjects/${kim.id}` });
const members = await client.api(`/groups/${group.id}/members`).get();
assert.deepEqual(members.value.map((m) => m.id), [kim.id]);
did.group = group.displayName;

// Block Kim, then remove her.
const blocked = await client.api(`/users/${kim.id}`).update({ accountEnabled: false });
assert.equal(blocked.accountEnabled, false);
await client.api(`/users/${kim.id}`).delete();
try {
  await client.api(`/users/${kim.id}`).get();
  assert.fail('a removed guest is gone');
} catch (err) {
  assert.equal(err.statusCode, 404, String(err));
}
did.removed = kim.mail;

// A property Graph has and Vestibule does not keep is refused by name, not ignored.
try {
  await client.api(`/users/${ours[1].id}`).update({ jobTitle: 'Engineer' });
  assert.fail('jobTitle was taken');
} catch (err) {
  assert.equal(err.statusCode, 400, String(err));
  // Vestibule's errors are application/problem+json (with Graph's `error` inside), which
  // this client hands over unread.
  const body = typeof err.body === 'string' ? err.body : await new Response(err.body).text();
  assert.match(JSON.parse(body).error.message, /jobTitle/);
}
console.log(JSON.stringify(did));
