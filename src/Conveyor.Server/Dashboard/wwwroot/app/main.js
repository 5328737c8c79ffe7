// The shell: theme, session, header, live status, and the hash router that renders one page
// module at a time into <main>. Each page module exports `title` and `render(main, ctx)`, which
// answers a cleanup function (listeners and timers of the page).

import { h, replace, errorBox } from './lib/dom.js';
import { onUnauthorized } from './lib/api.js';
import * as events from './lib/events.js';
import { parse, isRouteHash, navigate } from './lib/router.js';
import { session, load, needsSignIn, signOut } from './lib/session.js';
import overview from './pages/overview.js';
import tasks from './pages/tasks.js';
import task from './pages/task.js';
import bulk from './pages/bulk.js';
import dead from './pages/dead.js';
import queues from './pages/queues.js';
import workers from './pages/workers.js';
import submit from './pages/submit.js';
import signin from './pages/signin.js';
import schedules from './pages/schedules.js'; // cron
import workflows from './pages/workflows.js'; // workflows

const pages = { overview, tasks, bulk, dead, queues, workers, submit, signin, schedules, workflows };
const main = document.getElementById('main');
let cleanup = null;

const THEME_KEY = 'conveyor.theme';
function applyTheme(theme) {
  if (theme) document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
  const dark = theme ? theme === 'dark' : matchMedia('(prefers-color-scheme: dark)').matches;
  const toggle = document.getElementById('theme-toggle');
  toggle.textContent = dark ? 'Light mode' : 'Dark mode';
  toggle.setAttribute('aria-pressed', String(dark));
}
applyTheme(localStorage.getItem(THEME_KEY));
document.getElementById('theme-toggle').addEventListener('click', () => {
  const dark = document.documentElement.dataset.theme
    ? document.documentElement.dataset.theme === 'dark'
    : matchMedia('(prefers-color-scheme: dark)').matches;
  const next = dark ? 'light' : 'dark';
  localStorage.setItem(THEME_KEY, next);
  applyTheme(next);
  render(); // charts read their colours when drawn
});

document.getElementById('skip-link').addEventListener('click', (e) => { e.preventDefault(); main.focus(); });

const liveStatus = document.getElementById('live-status');
events.on('status', (s) => {
  liveStatus.textContent = { live: '● live', reconnecting: 'reconnecting…', polling: 'refreshing every 15 s', connecting: 'connecting…' }[s] || s;
  liveStatus.className = `live-status ${s}`;
});

function renderSession() {
  const name = document.getElementById('session-name');
  const out = document.getElementById('sign-out');
  name.textContent = session.signedIn && session.authRequired ? `Signed in${session.name ? ' as ' + session.name : ''} (${session.scopes.join(', ') || 'read only'})` : '';
  out.hidden = !(session.signedIn && session.authRequired);
  if (needsSignIn()) { liveStatus.textContent = 'signed out'; liveStatus.className = 'live-status'; }
}
document.getElementById('sign-out').addEventListener('click', async () => {
  await signOut();
  renderSession();
  events.reconnect();
  navigate('signin');
});

onUnauthorized(() => {
  if (parse().name === 'signin') return;
  session.signedIn = false;
  renderSession();
  navigate('signin', { next: location.hash.slice(1) });
});

function render() {
  if (cleanup) { try { cleanup(); } catch (e) { console.warn(e); } cleanup = null; }
  const route = parse();
  if (needsSignIn() && route.name !== 'signin') { navigate('signin', { next: location.hash.slice(1) }); return; }
  const page = route.name === 'tasks' && route.params.length ? task : pages[route.name];
  for (const a of document.querySelectorAll('nav a[data-route]')) {
    if (a.dataset.route === route.name) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  if (!page) {
    replace(main, h('h1', null, 'Not found'), h('p', null, 'No such page. ', h('a', { href: '#/' }, 'Go to the overview')));
    document.title = 'Not found · Conveyor';
    return;
  }
  document.title = `${page.title} · Conveyor`;
  main.replaceChildren();
  try {
    cleanup = page.render(main, { ...route, session, signedIn: afterSignIn }) || null;
  } catch (e) {
    replace(main, errorBox(e));
  }
}

async function afterSignIn(next) {
  renderSession();
  events.reconnect();
  location.hash = next && next.startsWith('/') && !next.startsWith('/signin') ? '#' + next : '#/';
}

window.addEventListener('hashchange', () => { if (isRouteHash(location.hash)) { render(); main.focus({ preventScroll: true }); } });

async function boot() {
  try {
    await load();
  } catch (e) {
    replace(main, h('h1', null, 'Conveyor'), errorBox(e));
    return;
  }
  renderSession();
  if (!needsSignIn()) events.connect();
  render();
}
boot();
