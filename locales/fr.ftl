# Les mots de Vestibule en français (vouvoiement). Traduit de en.ftl ; mêmes identifiants.

## Every page

skip-to-content = Aller au contenu
nav-main = Menu principal
nav-apps = Mes applications
nav-guests = Mes invités
nav-approvals = Approbations
nav-reviews = Revues d’accès
nav-profile = Profil
nav-admin = Administration
nav-sign-out = Se déconnecter
footer-portal = portail d’accès invité
language-choice = Langue

## The invitation page (/redeem/…)

redeem-title = Votre invitation
redeem-eyebrow = Invitation
redeem-heading = { $inviter } vous invite à rejoindre { $org }
redeem-for = Cette invitation est destinée à { $email }. Elle est valable jusqu’au { $until }.
redeem-apps = Vous aurez accès à
redeem-package = { $inviter } vous propose aussi { $package }
redeem-package-yours = Il est à vous dès que vous acceptez.
redeem-package-asked = En acceptant, vous le demandez en votre nom ; les personnes qui l’approuvent décident, et vous recevez un e-mail dans tous les cas.
redeem-accept = Connectez-vous pour accepter
redeem-member-code = Prouvez que cette adresse est la vôtre avec un code à usage unique que nous y envoyons.
redeem-member-either = Connectez-vous avec le compte de votre organisation, ou prouvez que cette adresse est la vôtre avec un code à usage unique.
redeem-guest-code = { $org } ne vous donne pas de mot de passe : prouvez que cette adresse est la vôtre avec un code à usage unique que nous y envoyons.
redeem-guest-either = { $org } ne vous donne pas de nouveau mot de passe : connectez-vous avec votre propre compte professionnel, ou prouvez que cette adresse est la vôtre avec un code à usage unique.
redeem-sign-in-with = Se connecter avec { $provider }
redeem-home-realm = La connexion de votre organisation.
redeem-email-code = M’envoyer un code à usage unique

## The invitation mail

mail-invitation-subject = { $inviter } vous invite à rejoindre { $org }
mail-invitation-heading = Vous êtes invité à rejoindre { $org }
mail-invitation-invited = { $inviter } vous invite à collaborer avec { $org }.
mail-invitation-their-message = Son message :
mail-invitation-accept-here = Acceptez l’invitation ici :
mail-invitation-sign-in-code = Vous vous connecterez avec un code à usage unique envoyé à cette adresse ; { $org } ne vous demande jamais de nouveau mot de passe. Le lien est valable jusqu’au { $until }.
mail-invitation-sign-in-either = Vous vous connecterez avec votre propre compte professionnel ou un code à usage unique envoyé à cette adresse ; { $org } ne vous demande jamais de nouveau mot de passe. Le lien est valable jusqu’au { $until }.
mail-invitation-button = Accepter l’invitation
mail-invitation-unexpected = Si vous n’attendiez pas cette invitation, vous pouvez ignorer cet e-mail.
mail-invitation-block = Vous ne souhaitez plus d’invitations de { $org } ?
mail-invitation-block-link = Bloquer les invitations futures
mail-paste-address = Ou collez cette adresse dans votre navigateur :
mail-sent-by = Envoyé par { $org }
