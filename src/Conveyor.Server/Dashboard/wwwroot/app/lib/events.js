// One shared server-sent-events connection to /api/v1/events (EventSource: the session cookie
// authenticates it), with reconnect and back-off. When the stream keeps failing, listeners of
// 'poll' get a slow tick (every 15 s) so pages still refresh.

const listeners = { task: new Set(), stats: new Set(), poll: new Set(), status: new Set() };
let source = null;
let failures = 0;
let retryTimer = null;
let pollTimer = null;

export function on(type, fn) {
  listeners[type].add(fn);
  return () => listeners[type].delete(fn);
}

function emit(type, data) { for (const fn of listeners[type]) { try { fn(data); } catch (e) { console.warn(e); } } }

function opened() {
  failures = 0;
  if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
  emit('status', 'live');
}

function failed() {
  failures++;
  close();
  if (failures >= 3 && !pollTimer) { pollTimer = setInterval(() => emit('poll'), 15000); }
  emit('status', failures >= 3 ? 'polling' : 'reconnecting');
  const delay = Math.min(30000, 1000 * 2 ** Math.min(failures - 1, 5));
  retryTimer = setTimeout(connect, delay);
}

function dispatch(event, data) {
  try { emit(event, JSON.parse(data)); } catch (e) { console.warn('bad event', e); }
}

function close() {
  if (source) { source.close(); source = null; }
}

export function connect() {
  clearTimeout(retryTimer);
  close();
  source = new EventSource('/api/v1/events');
  source.onopen = opened;
  source.onerror = failed;
  source.addEventListener('task', (e) => dispatch('task', e.data));
  source.addEventListener('stats', (e) => dispatch('stats', e.data));
}

/** Reconnects now (after sign-in or sign-out changed who is signed in). */
export const reconnect = () => { failures = 0; connect(); };
