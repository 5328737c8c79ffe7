// The API client: JSON in and out, problems (RFC 9457) as ApiError, and the anti-forgery header on
// every action (the session cookie authenticates; GET /api/v1/session hands out the token).

let csrfToken = null;
const unauthorizedListeners = new Set();

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ? `${problem.title || 'Error'}: ${problem.detail}` : problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

export function setCsrfToken(token) { csrfToken = token || null; }

export function onUnauthorized(fn) { unauthorizedListeners.add(fn); return () => unauthorizedListeners.delete(fn); }

/** `api('/api/v1/tasks', {query: {state: 'failed'}})`, `api(path, {method: 'POST', body: {...}})`. */
export async function api(path, { method = 'GET', body, query, signal } = {}) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query || {})) if (v != null && v !== '') url.searchParams.set(k, v);
  const headers = { Accept: 'application/json' };
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

export const enc = encodeURIComponent;
