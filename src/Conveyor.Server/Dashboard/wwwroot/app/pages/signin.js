// Sign-in: a token field. POST /api/v1/session checks it and answers an HttpOnly cookie.

import { h } from '../lib/dom.js';
import { signIn, session } from '../lib/session.js';

export default {
  title: 'Sign in',
  render(main, { query, signedIn }) {
    const token = h('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'current-password', required: true, 'aria-describedby': 'token-help' });
    const error = h('p', { id: 'signin-error', class: 'error-text', role: 'alert' });
    const form = h('form', { class: 'signin card', 'aria-label': 'Sign in', onsubmit: async (e) => {
      e.preventDefault();
      error.textContent = '';
      try {
        await signIn(token.value.trim());
        if (!session.signedIn) throw new Error('The token was not accepted.');
        signedIn(query.get('next'));
      } catch (err) {
        error.textContent = err.status === 401 ? 'That token is not valid.' : (err.message || String(err));
        token.focus();
      }
    } },
    h('h1', null, 'Sign in to Conveyor'),
    h('p', { id: 'token-help', class: 'muted' }, 'Paste an API token (made with ', h('code', null, 'conveyor token create'), '). Any valid token can read; actions need the admin scope.'),
    h('div', { class: 'field' }, h('label', { for: 'token' }, 'Token'), token),
    error,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'button primary', id: 'signin-submit' }, 'Sign in')));
    main.append(form);
    token.focus();
  },
};
