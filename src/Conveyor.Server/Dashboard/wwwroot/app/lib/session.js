// Who is signed in. With `/api/v1/session` (cookie sign-in, anti-forgery token) when the server has
// it; otherwise a token kept in sessionStorage and sent as X-API-Token, and "sign-in needed" is
// learnt from a 401 on a read.

import { api, ApiError, headerToken, isMissingRoute, setCsrfToken } from './api.js';

export const session = { known: false, cookie: false, authRequired: false, signedIn: false, name: null, scopes: [] };

export async function load() {
  try {
    const s = await api('/api/v1/session');
    Object.assign(session, {
      known: true, cookie: true, authRequired: !!s.auth_required, signedIn: !!s.signed_in,
      name: s.name ?? null, scopes: s.scopes ?? [],
    });
    setCsrfToken(s.csrf_token);
    if (session.signedIn) headerToken.set(null);
    return session;
  } catch (e) {
    if (!isMissingRoute(e)) throw e;
  }
  // No session route: probe a read.
  Object.assign(session, { known: true, cookie: false });
  try {
    await api('/api/v1/queues');
    session.authRequired = !!headerToken.get();
    session.signedIn = true;
    session.name = null;
  } catch (e) {
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
    if (headerToken.get()) headerToken.set(null);
    Object.assign(session, { authRequired: true, signedIn: false, name: null });
  }
  return session;
}

export const needsSignIn = () => session.authRequired && !session.signedIn;

export async function signIn(token) {
  if (session.cookie) {
    await api('/api/v1/session', { method: 'POST', body: { token } });
    return load();
  }
  headerToken.set(token);
  try {
    await api('/api/v1/queues');
  } catch (e) {
    headerToken.set(null);
    throw e;
  }
  return load();
}

export async function signOut() {
  // The cookie's sign-out is an action too: it carries the anti-forgery token, so clear that after.
  if (session.cookie) { try { await api('/api/v1/session', { method: 'DELETE' }); } catch { /* signed out locally anyway */ } }
  headerToken.set(null);
  setCsrfToken(null);
  return load();
}
