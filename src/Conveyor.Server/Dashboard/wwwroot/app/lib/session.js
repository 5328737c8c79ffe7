// Who is signed in, from GET /api/v1/session: whether the server wants a token, the name and
// scopes of the signed-in one, and the anti-forgery token every action carries. Signing in posts
// the token once; the server answers with an HttpOnly cookie.

import { api, setCsrfToken } from './api.js';

export const session = { authRequired: false, signedIn: false, name: null, scopes: [] };

export async function load() {
  const s = await api('/api/v1/session');
  Object.assign(session, { authRequired: !!s.auth_required, signedIn: !!s.signed_in, name: s.name ?? null, scopes: s.scopes ?? [] });
  setCsrfToken(s.csrf_token);
  return session;
}

export const needsSignIn = () => session.authRequired && !session.signedIn;

export async function signIn(token) {
  await api('/api/v1/session', { method: 'POST', body: { token } });
  return load();
}

export async function signOut() {
  // Sign-out is an action too: it carries the anti-forgery token, so clear that after.
  try { await api('/api/v1/session', { method: 'DELETE' }); } catch { /* signed out locally anyway */ }
  setCsrfToken(null);
  return load();
}
