# Las palabras de Vestibule en español (de usted). Traducido de en.ftl; los mismos identificadores.

## Every page

skip-to-content = Ir al contenido
nav-main = Menú principal
nav-apps = Mis aplicaciones
nav-guests = Mis invitados
nav-approvals = Aprobaciones
nav-reviews = Revisiones
nav-profile = Perfil
nav-admin = Administración
nav-sign-out = Cerrar sesión
footer-portal = portal de acceso para invitados
language-choice = Idioma

## The invitation page (/redeem/…)

redeem-title = Su invitación
redeem-eyebrow = Invitación
redeem-heading = { $inviter } le ha invitado a { $org }
redeem-for = Esta invitación es para { $email }. Es válida hasta el { $until }.
redeem-apps = Tendrá acceso a
redeem-package = { $inviter } también le ofrece { $package }
redeem-package-yours = Es suyo en cuanto acepte.
redeem-package-asked = Al aceptar, lo solicita en su nombre; quienes lo aprueban deciden, y usted recibe un correo en cualquier caso.
redeem-accept = Inicie sesión para aceptar
redeem-member-code = Demuestre que esta dirección es suya con un código de un solo uso que le enviamos.
redeem-member-either = Inicie sesión con la cuenta de su organización, o demuestre que esta dirección es suya con un código de un solo uso.
redeem-guest-code = { $org } no le da ninguna contraseña: demuestre que esta dirección es suya con un código de un solo uso que le enviamos.
redeem-guest-either = { $org } no le da una contraseña nueva: inicie sesión con su propia cuenta de trabajo, o demuestre que esta dirección es suya con un código de un solo uso.
redeem-sign-in-with = Iniciar sesión con { $provider }
redeem-home-realm = El inicio de sesión de su organización.
redeem-email-code = Enviarme un código de un solo uso

## The invitation mail

mail-invitation-subject = { $inviter } le ha invitado a { $org }
mail-invitation-heading = Está invitado a { $org }
mail-invitation-invited = { $inviter } le ha invitado a colaborar con { $org }.
mail-invitation-their-message = Su mensaje:
mail-invitation-accept-here = Acepte la invitación aquí:
mail-invitation-sign-in-code = Iniciará sesión con un código de un solo uso enviado a esta dirección; { $org } nunca le pide una contraseña nueva. El enlace es válido hasta el { $until }.
mail-invitation-sign-in-either = Iniciará sesión con su propia cuenta de trabajo o con un código de un solo uso enviado a esta dirección; { $org } nunca le pide una contraseña nueva. El enlace es válido hasta el { $until }.
mail-invitation-button = Aceptar la invitación
mail-invitation-unexpected = Si no esperaba esta invitación, puede ignorar este correo.
mail-invitation-block = ¿No desea recibir invitaciones de { $org }?
mail-invitation-block-link = Bloquear futuras invitaciones
mail-paste-address = O pegue esta dirección en su navegador:
mail-sent-by = Enviado por { $org }
