// Passkeys (WebAuthn) for Keyward's pages: progressive enhancement, served as a file because the
// Content-Security-Policy allows no inline script. Each form[data-passkey] runs one ceremony:
// fetch the options (a POST with the form's CSRF token), ask the browser, put the credential
// (PublicKeyCredential.toJSON(), WebAuthn Level 3 §5.1.8) in the hidden field, submit.
'use strict';

(function () {
  const supported = window.PublicKeyCredential
    && typeof PublicKeyCredential.parseCreationOptionsFromJSON === 'function'
    && typeof PublicKeyCredential.parseRequestOptionsFromJSON === 'function';
  if (!supported) return;

  async function fetchOptions(form) {
    const body = new URLSearchParams({ _csrf: form.elements._csrf.value });
    const response = await fetch(form.dataset.options, { method: 'POST', body, credentials: 'same-origin', headers: { Accept: 'application/json' } });
    // A change that needs a fresh sign-in first is sent to the re-authentication page: go there.
    if (response.redirected) {
      window.location.assign(response.url);
      return new Promise(() => undefined);
    }
    if (!response.ok) throw new Error('options');
    return response.json();
  }

  function showError(form, message) {
    const box = form.querySelector('.passkey-error');
    box.textContent = message;
    box.hidden = false;
  }

  async function ceremony(form, mediation, signal) {
    const json = await fetchOptions(form);
    const credential = form.dataset.passkey === 'create'
      ? await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(json) })
      : await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(json), mediation, signal });
    if (!credential) return;
    form.elements.credential.value = JSON.stringify(credential.toJSON());
    form.submit();
  }

  let autofill;

  for (const form of document.querySelectorAll('form[data-passkey]')) {
    form.hidden = false;
    form.addEventListener('submit', (event) => {
      if (form.elements.credential.value) return; // the ceremony is done: a normal post
      event.preventDefault();
      // One WebAuthn request at a time: the button replaces the autofill request.
      if (autofill) autofill.abort();
      ceremony(form, 'optional').catch((error) => {
        // The page's language: the messages come translated in the form's data attributes.
        showError(form, error && error.name === 'NotAllowedError'
          ? form.dataset.errorCancelled || 'The passkey request was cancelled or timed out. Try again.'
          : form.dataset.errorFailed || 'Passkeys did not work here. Try again, or use another way.');
      });
    });
  }

  // Conditional UI: the browser offers the user's passkeys in the email field's autofill.
  const autofillForm = document.querySelector('form[data-passkey][data-autofill]');
  if (autofillForm && typeof PublicKeyCredential.isConditionalMediationAvailable === 'function') {
    PublicKeyCredential.isConditionalMediationAvailable().then((available) => {
      if (!available) return;
      autofill = new AbortController();
      ceremony(autofillForm, 'conditional', autofill.signal).catch(() => undefined);
    });
  }
})();
