// Sign in with a username and password (POST /auth/tokens), then, for a user who needs it, a TOTP code
// (POST /auth/totp/verifications).

import { signIn, verifyPassCode } from './api.js';
import { attempt, clearMessage, el, field, showMessage } from './ui.js';

function credentialsStep(root, onSignedIn, knownUsername) {
  const username = el('input', {
    id: 'username',
    name: 'username',
    autocomplete: 'username',
    required: true,
    value: knownUsername,
  });
  const password = el('input', {
    id: 'password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
  });
  const submit = el('button', { type: 'submit', id: 'sign-in' }, 'Sign in');
  const form = el(
    'form',
    { class: 'card narrow', 'aria-labelledby': 'sign-in-title' },
    el('h1', { id: 'sign-in-title' }, 'Sign in'),
    field('Username', username, 'Your username, or the SID of a user created before users had names'),
    field('Password', password, 'Your password, or the auth token shown when the user was created'),
    submit,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    const name = username.value.trim();
    const outcome = await attempt(async () => ({ firstToken: await signIn(name, password.value) }));
    submit.disabled = false;
    if (!outcome) password.select();
    else if (outcome.firstToken) codeStep(root, onSignedIn, name, outcome.firstToken);
    else onSignedIn();
  });
  root.replaceChildren(form);
  return username;
}

function codeStep(root, onSignedIn, knownUsername, firstToken) {
  const passCode = el('input', {
    id: 'pass-code',
    name: 'passCode',
    autocomplete: 'one-time-code',
    inputmode: 'numeric',
    spellcheck: 'false',
    required: true,
  });
  const submit = el('button', { type: 'submit', id: 'verify-pass-code' }, 'Verify');
  const back = el('button', { type: 'button', id: 'sign-in-back', class: 'link' }, 'Use another username');
  const form = el(
    'form',
    { class: 'card narrow', 'aria-labelledby': 'pass-code-title' },
    el('h1', { id: 'pass-code-title' }, 'Two-factor authentication'),
    field('One-time code', passCode, 'The 6-digit code your authenticator app shows now'),
    el('div', { class: 'row' }, submit, back),
  );
  back.addEventListener('click', () => {
    clearMessage();
    credentialsStep(root, onSignedIn, knownUsername).focus();
  });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    try {
      await verifyPassCode(firstToken, passCode.value.trim());
      onSignedIn();
    } catch (error) {
      showMessage(error.message || String(error));
      // 401: the first-factor token expired or was revoked; only the password gets a new one.
      if (error.status === 401) credentialsStep(root, onSignedIn, knownUsername).focus();
      else passCode.select();
    } finally {
      submit.disabled = false;
    }
  });
  clearMessage();
  root.replaceChildren(form);
  passCode.focus();
}

export function renderSignIn(root, onSignedIn) {
  credentialsStep(root, onSignedIn, '');
  return null;
}
