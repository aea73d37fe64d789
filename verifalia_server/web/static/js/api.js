// The public v2 API, as any client calls it: bearer token, JSON or files, problem+json errors.

const BASE = '/v2.7';
const TOKEN_KEY = 'verifalia.accessToken';
const MAX_IN_FLIGHT = 3;
const MAX_RETRIES = 5;

/** An error the API answered (or a failure to reach it), with a message fit for people. */
export class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail && detail !== title ? `${title}: ${detail}` : title);
    this.status = status;
    this.title = title;
    this.detail = detail;
  }
}

let inFlight = 0;
const waiting = [];

async function slot() {
  if (inFlight >= MAX_IN_FLIGHT) {
    await new Promise((resolve) => waiting.push(resolve));
  }
  inFlight += 1;
}

function release() {
  inFlight -= 1;
  const next = waiting.shift();
  if (next) next();
}

export function accessToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** Exchange a sub-account's SID and token for a bearer token (POST /auth/tokens). */
export async function signIn(username, password) {
  const body = await call('POST', '/auth/tokens', { json: { username, password }, anonymous: true });
  sessionStorage.setItem(TOKEN_KEY, body.accessToken);
}

function url(path, query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    for (const item of [].concat(value)) {
      if (item !== undefined && item !== null && item !== '') params.append(key, item);
    }
  }
  const text = params.toString();
  return BASE + path + (text ? `?${text}` : '');
}

async function problem(response) {
  const type = response.headers.get('Content-Type') || '';
  if (type.includes('json')) {
    try {
      const body = await response.json();
      if (body && (body.title || body.detail)) {
        return new ApiError(response.status, body.title || response.statusText, body.detail || '');
      }
    } catch (error) {
      // An unreadable body: the status line below still says what happened.
    }
  }
  return new ApiError(response.status, response.statusText || `HTTP ${response.status}`, '');
}

/**
 * One API call. Options: query, json, form (FormData), accept (a file media type: the answer is a Blob),
 * anonymous (no bearer token). Too many requests (429) are retried after Retry-After.
 */
export async function call(method, path, options = {}) {
  const headers = {};
  if (!options.anonymous) headers.Authorization = `Bearer ${accessToken()}`;
  let body;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form) {
    body = options.form;
  }
  headers.Accept = options.accept || 'application/json';
  for (let attempt = 0; ; attempt += 1) {
    let response;
    await slot();
    try {
      // No cookies or HTTP auth: the bearer token is the only credential, and with credentials omitted a
      // 401 carrying a Basic challenge comes back to the page instead of opening the browser's login prompt.
      response = await fetch(url(path, options.query), { method, headers, body, credentials: 'omit' });
    } catch (error) {
      throw new ApiError(0, 'The service cannot be reached', 'check the connection and try again.');
    } finally {
      release();
    }
    if (response.status === 429 && attempt < MAX_RETRIES) {
      const seconds = Number(response.headers.get('Retry-After')) || 1;
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      continue;
    }
    if (!response.ok) {
      const error = await problem(response);
      if (error.status === 401 && !options.anonymous) {
        window.dispatchEvent(new CustomEvent('api:unauthorized', { detail: error }));
      }
      throw error;
    }
    if (options.accept) return response.blob();
    return response.json();
  }
}
