// Progressive touches for forms; every page works without this file.
// - data-confirm: ask before a destructive action.
// - data-once: after submitting, disable the button so a double click sends one request.
document.addEventListener('submit', function (event) {
  var form = event.target;
  var button = event.submitter || form.querySelector('button[type=submit]');
  if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
    return;
  }
  if (button && button.hasAttribute('data-once')) {
    setTimeout(function () { button.disabled = true; button.setAttribute('aria-busy', 'true'); }, 0);
  }
});

// - data-autosubmit: a form that carries the browser on (SAML's HTTP-POST binding); without
//   script, the person presses its button.
document.addEventListener('DOMContentLoaded', function () {
  var form = document.querySelector('form[data-autosubmit]');
  if (form) form.submit();
});

// - data-copy: a value to hand on (an address for a partner's admin) gets a Copy button;
//   without script the text is there to select.
document.addEventListener('DOMContentLoaded', function () {
  document.querySelectorAll('[data-copy]').forEach(function (el) {
    if (!navigator.clipboard) return;
    var button = document.createElement('button');
    button.type = 'button';
    button.className = 'linklike copy';
    button.textContent = 'Copy';
    button.setAttribute('aria-label', 'Copy ' + (el.dataset.copy || 'this'));
    button.addEventListener('click', function () {
      var text = el.tagName === 'INPUT' ? el.value : el.textContent;
      navigator.clipboard.writeText(text.trim()).then(function () {
        button.textContent = 'Copied';
        setTimeout(function () { button.textContent = 'Copy'; }, 2000);
      });
    });
    el.insertAdjacentElement('afterend', button);
  });
});
