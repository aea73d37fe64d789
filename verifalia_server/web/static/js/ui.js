// Small DOM helpers shared by the views: element building, messages, confirmation, formats, downloads.

/** Build an element: el('a', { href: '#' }, 'text', child...). */
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null) node.append(child);
  }
  return node;
}

/** A labelled form control: the label names the control, so screen readers and clicks both find it. */
export function field(label, control, hint) {
  const hintNode = hint ? el('span', { class: 'hint', id: `${control.id}-hint` }, hint) : null;
  if (hintNode) control.setAttribute('aria-describedby', hintNode.id);
  return el('div', { class: 'field' }, el('label', { for: control.id }, label), control, hintNode);
}

/** A select with (value, label) options. */
export function select(id, options, value) {
  const node = el('select', { id, name: id });
  for (const [optionValue, label] of options) {
    node.append(el('option', { value: optionValue, selected: optionValue === value }, label));
  }
  return node;
}

const message = () => document.getElementById('message');

/** Show an error (or, with kind 'info', a notice) in the page's alert region. */
export function showMessage(text, kind = 'error') {
  const node = message();
  node.textContent = text;
  node.className = `message ${kind}`;
  node.hidden = false;
}

let flashed = null;

/** Show a notice on the next view, once the navigation to it has cleared the current message. */
export function flash(text) {
  flashed = text;
}

/** Clear the alert region (showing the flashed notice instead, if any). */
export function clearMessage() {
  const node = message();
  node.hidden = true;
  node.textContent = '';
  if (flashed) showMessage(flashed, 'info');
  flashed = null;
}

/** Run an action, showing any error it throws as a message; returns its result or undefined. */
export async function attempt(action) {
  try {
    return await action();
  } catch (error) {
    showMessage(error.message || String(error));
    return undefined;
  }
}

/** Ask for confirmation in a modal dialog (Escape or Cancel answers no). */
export function confirmAction(text, confirmLabel) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-text').textContent = text;
  document.getElementById('confirm-ok').textContent = confirmLabel;
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.returnValue = 'cancel';
    dialog.showModal();
  });
}

/** Seconds from a `[d.]hh:mm:ss` timespan. */
export function timespanSeconds(text) {
  const match = /^(?:(\d+)\.)?(\d+):(\d+):(\d+)/.exec(text || '');
  if (!match) return null;
  const [, days, hours, minutes, seconds] = match.map((part) => Number(part || 0));
  return ((days * 24 + hours) * 60 + minutes) * 60 + seconds;
}

/** A duration for people: "2 h 5 min", "40 s". */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return hours % 24 ? `${Math.floor(hours / 24)} d ${hours % 24} h` : `${hours / 24} d`;
}

export function dateTime(text) {
  return text ? new Date(text).toLocaleString() : '—';
}

/** Save a Blob as a file the browser downloads. */
export function saveBlob(blob, filename) {
  const link = el('a', { href: URL.createObjectURL(blob), download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
}

/** Move focus to the view's heading, so keyboard and screen-reader users start at the new content. */
export function focusHeading(root) {
  const heading = root.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }
}
