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

/** A JWT's payload claims, read without checking the signature (RFC 7519 §3, base64url: RFC 4648 §5). */
export function tokenClaims(token) {
  const base64 = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '='));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (char) => char.charCodeAt(0))));
}

/**
 * Exchange a username and password for a bearer token (POST /auth/tokens). Returns null once signed in,
 * or, when the user needs a TOTP code, the first-factor token for verifyPassCode (never stored).
 */
export async function signIn(username, password) {
  const body = await call('POST', '/auth/tokens', { json: { username, password }, anonymous: true });
  const factors = tokenClaims(body.accessToken)['verifalia:mfa'] || [];
  if (factors.includes('totp')) return body.accessToken;
  if (factors.length) {
    throw new ApiError(0, 'Unsupported second factor', `${factors.join(', ')} cannot be entered here.`);
  }
  sessionStorage.setItem(TOKEN_KEY, body.accessToken);
  return null;
}

/** Exchange a first-factor token and a TOTP code for the session's token (POST /auth/totp/verifications). */
export async function verifyPassCode(firstToken, passCode) {
  const options = { json: { passCode }, token: firstToken, once: true };
  const body = await call('POST', '/auth/totp/verifications', options);
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
 * anonymous (no bearer token), token (this bearer token, not the session's), once (no retry).
 * Too many requests (429) are retried after Retry-After, unless once.
 */
export async function call(method, path, options = {}) {
  const headers = {};
  if (!options.anonymous) headers.Authorization = `Bearer ${options.token || accessToken()}`;
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
    if (response.status === 429 && !options.once && attempt < MAX_RETRIES) {
      const seconds = Number(response.headers.get('Retry-After')) || 1;
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      continue;
    }
    if (!response.ok) {
      const error = await problem(response);
      if (error.status === 401 && !options.anonymous && !options.token) {
        window.dispatchEvent(new CustomEvent('api:unauthorized', { detail: error }));
      }
      throw error;
    }
    if (options.accept) return response.blob();
    return response.json();
  }
}
