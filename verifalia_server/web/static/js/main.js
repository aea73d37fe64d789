// The client area's entry point: sign-in state, navigation between views by the URL fragment.

import { accessToken, forgetToken } from './api.js';
import { renderCredits } from './credits.js';
import { renderJob } from './job.js';
import { renderJobs } from './jobs.js';
import { renderSignIn } from './signin.js';
import { clearMessage, focusHeading, showMessage } from './ui.js';
import { renderUpload } from './upload.js';

const routes = [
  [/^#\/jobs\/([0-9a-f-]+)$/, renderJob],
  [/^#\/upload$/, renderUpload],
  [/^#\/credits$/, renderCredits],
  [/^#\/jobs$/, renderJobs],
];

let stopView = null;

function show() {
  if (stopView) stopView();
  stopView = null;
  const main = document.getElementById('main');
  main.replaceChildren();
  const signedIn = Boolean(accessToken());
  document.getElementById('nav').hidden = !signedIn;
  if (!signedIn) {
    stopView = renderSignIn(main, () => {
      clearMessage();
      if (location.hash === '#/jobs') show();
      else location.hash = '#/jobs';
    });
  } else {
    const hash = location.hash || '#/jobs';
    const [pattern, render] = routes.find(([candidate]) => candidate.test(hash)) || routes[3];
    stopView = render(main, ...(pattern.exec(hash) || []).slice(1));
  }
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.getAttribute('href') === location.hash) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  focusHeading(main);
}

function signOut(text) {
  forgetToken();
  if (text) showMessage(text);
  else clearMessage();
  show();
}

window.addEventListener('hashchange', () => {
  clearMessage();
  show();
});
window.addEventListener('api:unauthorized', (event) => {
  signOut(`Signed out: ${event.detail.message}`);
});
document.getElementById('sign-out').addEventListener('click', () => signOut(null));
show();
