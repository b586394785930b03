// Passkeys (WebAuthn), progressively: a section marked data-passkey (register,
// authenticate or sign-in) carries the server's options in data-options. Without this script (or without WebAuthn) it stays hidden and
// the page's codes work as before. With it, the section shows; its button asks the browser
// for a passkey, puts the answer (JSON, binary fields in base64url) in the form's
// `credential` field and sends the form. Links to the passkey sign-in (data-passkey-link)
// show only where this can work; data-passkey-fallback notes hide.
(function () {
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function toBytes(b64url) {
    var b64 = b64url.replace(/-/g, '+').replace(/_/g, '/');
    var bin = atob(b64 + '==='.slice((b64.length + 3) % 4));
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i += 1) bytes[i] = bin.charCodeAt(i);
    return bytes.buffer;
  }

  function toB64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var bin = '';
    for (var i = 0; i < bytes.length; i += 1) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }

  function decodeIds(list) {
    (list || []).forEach(function (c) { c.id = toBytes(c.id); });
  }

  function answerOf(cred, registering) {
    var r = cred.response;
    var response = registering
      ? {
        attestationObject: toB64url(r.attestationObject),
        clientDataJSON: toB64url(r.clientDataJSON),
        transports: r.getTransports ? r.getTransports() : [],
      }
      : {
        authenticatorData: toB64url(r.authenticatorData),
        clientDataJSON: toB64url(r.clientDataJSON),
        signature: toB64url(r.signature),
        userHandle: r.userHandle ? toB64url(r.userHandle) : null,
      };
    return {
      id: cred.id,
      rawId: toB64url(cred.rawId),
      type: cred.type,
      response: response,
      extensions: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
    };
  }

  document.querySelectorAll('[data-passkey-link]').forEach(function (el) { el.hidden = false; });
  document.querySelectorAll('[data-passkey-fallback]').forEach(function (el) { el.hidden = true; });

  var failed = {
    register: 'No passkey was created. Try again, or set up an authenticator app above.',
    authenticate: 'Your passkey was not used. Try again, or type a code instead.',
    'sign-in': 'No passkey was used. Try again, or sign in with an email code.',
  };

  document.querySelectorAll('[data-passkey]').forEach(function (box) {
    var form = box.querySelector('form');
    var error = box.querySelector('.passkey-error');
    var registering = box.dataset.passkey === 'register';
    box.hidden = false;
    form.addEventListener('submit', function (event) {
      if (form.dataset.answered) return;
      event.preventDefault();
      error.textContent = '';
      var options = JSON.parse(box.dataset.options).publicKey;
      options.challenge = toBytes(options.challenge);
      if (registering) {
        options.user.id = toBytes(options.user.id);
        decodeIds(options.excludeCredentials);
      } else {
        decodeIds(options.allowCredentials);
      }
      var asked = registering
        ? navigator.credentials.create({ publicKey: options })
        : navigator.credentials.get({ publicKey: options });
      asked.then(function (cred) {
        form.elements.credential.value = JSON.stringify(answerOf(cred, registering));
        form.dataset.answered = 'yes';
        form.submit();
      }).catch(function () {
        error.textContent = failed[box.dataset.passkey];
      });
    });
  });
}());
