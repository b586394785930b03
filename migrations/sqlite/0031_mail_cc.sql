-- An invitation's Cc (the API's invitedUserMessageInfo.ccRecipients, one address as in
-- Microsoft Graph): kept on the invitation, which every send of it copies, and on the
-- outbox row that carries it to the transport. Empty: none.
ALTER TABLE invitations ADD COLUMN cc TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN cc TEXT NOT NULL DEFAULT '';
