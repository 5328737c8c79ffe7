// The API client: JSON in and out, problems (RFC 9457) as ApiError, the anti-forgery header on
// every action, and the signed-in token when this server has no session route.

const TOKEN_KEY = 'conveyor.token';
let csrfToken = null;
const unauthorizedListeners = new Set();

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ? `${problem.title || 'Error'}: ${problem.detail}` : problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }

  /** True when the route itself is missing on this server (not "no such task"): a section to degrade. */
  get missingRoute() {
    return this.status === 405 || (this.status === 404 && /^no route /.test(this.problem?.detail || ''));
  }
}

export const isMissingRoute = (e) => e instanceof ApiError && e.missingRoute;

export function setCsrfToken(token) { csrfToken = token || null; }

/** A token kept for this tab only, sent as X-API-Token: the sign-in of a server without `/api/v1/session`. */
export const headerToken = {
  get: () => sessionStorage.getItem(TOKEN_KEY),
  set: (t) => (t ? sessionStorage.setItem(TOKEN_KEY, t) : sessionStorage.removeItem(TOKEN_KEY)),
};

export function onUnauthorized(fn) { unauthorizedListeners.add(fn); return () => unauthorizedListeners.delete(fn); }

export function authHeaders() {
  const headers = {};
  const token = headerToken.get();
  if (token) headers['X-API-Token'] = token;
  return headers;
}

/** `api('/api/v1/tasks', {query: {state: 'failed'}})`, `api(path, {method: 'POST', body: {...}})`. */
export async function api(path, { method = 'GET', body, query, signal } = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query || {})) if (v != null && v !== '') url.searchParams.set(k, v);
  const headers = { Accept: 'application/json', ...authHeaders() };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const res = await fetch(url, {
    method, headers, signal, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (res.status === 204) return null;
  const type = res.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await res.json().catch(() => null) : null;
  if (!res.ok) {
    const err = new ApiError(res.status, data);
    if (res.status === 401) for (const fn of unauthorizedListeners) fn(err);
    throw err;
  }
  return data;
}

/** Like `api`, but answers `null` when the route is missing on this server. */
export async function optional(path, options) {
  try { return await api(path, options); } catch (e) { if (isMissingRoute(e)) return null; throw e; }
}

export const enc = encodeURIComponent;
