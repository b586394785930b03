# Vestibules Wörter auf Deutsch (Sie-Form). Übersetzt aus en.ftl; dieselben IDs.

## Every page

skip-to-content = Zum Inhalt springen
nav-main = Hauptmenü
nav-apps = Meine Apps
nav-guests = Meine Gäste
nav-approvals = Genehmigungen
nav-reviews = Überprüfungen
nav-profile = Profil
nav-admin = Verwaltung
nav-sign-out = Abmelden
footer-portal = Gastzugangsportal
language-choice = Sprache

## The invitation page (/redeem/…)

redeem-title = Ihre Einladung
redeem-eyebrow = Einladung
redeem-heading = { $inviter } hat Sie zu { $org } eingeladen
redeem-for = Diese Einladung gilt für { $email }. Sie ist gültig bis { $until }.
redeem-apps = Sie erhalten Zugriff auf
redeem-package = { $inviter } bietet Ihnen außerdem { $package } an
redeem-package-yours = Es gehört Ihnen, sobald Sie annehmen.
redeem-package-asked = Wenn Sie annehmen, beantragen Sie es in Ihrem Namen; die Genehmigenden entscheiden, und Sie erhalten in jedem Fall eine E-Mail.
redeem-accept = Zum Annehmen anmelden
redeem-member-code = Bestätigen Sie mit einem Einmalcode, den wir an diese Adresse senden, dass sie Ihnen gehört.
redeem-member-either = Melden Sie sich mit dem Konto Ihrer Organisation an, oder bestätigen Sie mit einem Einmalcode, dass diese Adresse Ihnen gehört.
redeem-guest-code = { $org } gibt Ihnen kein Passwort: Bestätigen Sie mit einem Einmalcode, den wir an diese Adresse senden, dass sie Ihnen gehört.
redeem-guest-either = { $org } gibt Ihnen kein neues Passwort: Melden Sie sich mit Ihrem eigenen Arbeitskonto an, oder bestätigen Sie mit einem Einmalcode, dass diese Adresse Ihnen gehört.
redeem-sign-in-with = Mit { $provider } anmelden
redeem-home-realm = Die Anmeldung Ihrer Organisation.
redeem-email-code = Einmalcode per E-Mail senden

## The invitation mail

mail-invitation-subject = { $inviter } hat Sie zu { $org } eingeladen
mail-invitation-heading = Sie sind zu { $org } eingeladen
mail-invitation-invited = { $inviter } hat Sie zur Zusammenarbeit mit { $org } eingeladen.
mail-invitation-their-message = Die Nachricht:
mail-invitation-accept-here = Hier nehmen Sie die Einladung an:
mail-invitation-sign-in-code = Sie melden sich mit einem Einmalcode an, den wir an diese Adresse senden; { $org } fragt Sie nie nach einem neuen Passwort. Der Link ist gültig bis { $until }.
mail-invitation-sign-in-either = Sie melden sich mit Ihrem eigenen Arbeitskonto oder einem Einmalcode an, den wir an diese Adresse senden; { $org } fragt Sie nie nach einem neuen Passwort. Der Link ist gültig bis { $until }.
mail-invitation-button = Einladung annehmen
mail-invitation-unexpected = Wenn Sie diese Einladung nicht erwartet haben, können Sie diese E-Mail ignorieren.
mail-invitation-block = Sie möchten keine Einladungen von { $org }?
mail-invitation-block-link = Künftige Einladungen blockieren
mail-paste-address = Oder kopieren Sie diese Adresse in Ihren Browser:
mail-sent-by = Gesendet von { $org }
