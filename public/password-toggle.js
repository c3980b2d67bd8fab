// A "Show password" button for each password field: a toggle button (WAI-ARIA APG, Button
// pattern: the name stays, aria-pressed says whether the password is shown). Progressive
// enhancement: without JavaScript the fields stay as they are. The field becomes a password
// field again before its form is sent, so that nothing offers to remember it as plain text.
'use strict';

(() => {
  const setShown = (input, button, shown) => {
    input.type = shown ? 'text' : 'password';
    button.setAttribute('aria-pressed', String(shown));
  };

  for (const input of document.querySelectorAll('input[type="password"]')) {
    const wrapper = document.createElement('div');
    wrapper.className = 'password-input';
    input.before(wrapper);
    wrapper.append(input);

    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'password-toggle';
    if (input.id) button.setAttribute('aria-controls', input.id);
    // The page's language: the labels come translated on <body> (views/layout.ejs). The
    // visible word stays part of the accessible name (WCAG 2.5.3, Label in Name).
    const visible = document.body.dataset.showLabel || 'Show';
    const full = document.body.dataset.showFull || 'Show password';
    if (full.startsWith(visible)) {
      const hidden = document.createElement('span');
      hidden.className = 'visually-hidden';
      hidden.textContent = full.slice(visible.length);
      button.append(visible, hidden);
    } else {
      button.append(visible);
      button.setAttribute('aria-label', full);
    }
    setShown(input, button, false);
    button.addEventListener('click', () => setShown(input, button, input.type === 'password'));
    wrapper.append(button);

    input.form?.addEventListener('submit', () => setShown(input, button, false));
    // Coming back with the Back button (bfcache) finds the password hidden again.
    window.addEventListener('pageshow', () => setShown(input, button, false));
  }
})();
