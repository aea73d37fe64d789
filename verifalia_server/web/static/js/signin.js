// Sign in with a sub-account's SID and token, exchanged for a bearer token by POST /auth/tokens.

import { signIn } from './api.js';
import { attempt, el, field } from './ui.js';

export function renderSignIn(root, onSignedIn) {
  const username = el('input', { id: 'username', name: 'username', autocomplete: 'username', required: true });
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
    field('Sub-account SID', username),
    field('Auth token', password, 'The token shown when the sub-account was created.'),
    submit,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    submit.disabled = true;
    const signedIn = await attempt(async () => {
      await signIn(username.value.trim(), password.value);
      return true;
    });
    submit.disabled = false;
    if (signedIn) onSignedIn();
    else password.select();
  });
  root.append(form);
  return null;
}
