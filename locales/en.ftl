# Vestibule's words, in English: the source catalogue. Every other catalogue holds exactly
# these ids (src/i18n/tests.rs). Values in { $braces } are put in by the portal.

## Every page

skip-to-content = Skip to content
nav-main = Main
nav-apps = My apps
nav-guests = My guests
nav-approvals = Approvals
nav-reviews = Reviews
nav-profile = Profile
nav-admin = Admin
nav-sign-out = Sign out
footer-portal = guest access portal
language-choice = Language

## The invitation page (/redeem/…)

redeem-title = Your invitation
redeem-eyebrow = Invitation
redeem-heading = { $inviter } invited you to { $org }
redeem-for = This invitation is for { $email }. It works until { $until }.
redeem-apps = You will get access to
redeem-package = { $inviter } also offers you { $package }
redeem-package-yours = It is yours as soon as you accept.
redeem-package-asked = When you accept, you ask for it in your name; the people who approve it decide, and you get a mail either way.
redeem-accept = Sign in to accept
redeem-member-code = Prove this address is yours with a one-time code we send to it.
redeem-member-either = Sign in with your organization account, or prove this address is yours with a one-time code.
redeem-guest-code = { $org } does not give you a password: prove this address is yours with a one-time code we send to it.
redeem-guest-either = { $org } does not give you a new password: sign in with your own work account, or prove this address is yours with a one-time code.
redeem-sign-in-with = Sign in with { $provider }
redeem-home-realm = Your organization's sign-in.
redeem-email-code = Email me a one-time code

## The invitation mail

mail-invitation-subject = { $inviter } invited you to { $org }
mail-invitation-heading = You're invited to { $org }
mail-invitation-invited = { $inviter } invited you to collaborate with { $org }.
mail-invitation-their-message = Their message:
mail-invitation-accept-here = Accept the invitation here:
mail-invitation-sign-in-code = You will sign in with a one-time code sent to this address; { $org } never asks you for a new password. The link works until { $until }.
mail-invitation-sign-in-either = You will sign in with your own work account or a one-time code sent to this address; { $org } never asks you for a new password. The link works until { $until }.
mail-invitation-button = Accept invitation
mail-invitation-unexpected = If you did not expect this invitation, you can ignore this mail.
mail-invitation-block = Don't want invitations from { $org }?
mail-invitation-block-link = Block future invitations
mail-paste-address = Or paste this address into your browser:
mail-sent-by = Sent by { $org }
