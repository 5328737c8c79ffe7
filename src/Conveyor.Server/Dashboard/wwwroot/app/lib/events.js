// One shared server-sent-events connection to /api/v1/events, with reconnect and back-off.
// EventSource when the browser authenticates by cookie (or the server is open); a fetch stream
// when a header token must be sent (EventSource cannot send headers). When the stream keeps
// failing, listeners of 'poll' get a slow tick (every 15 s) so pages still refresh.

import { authHeaders, headerToken } from './api.js';

const listeners = { task: new Set(), stats: new Set(), poll: new Set(), status: new Set() };
let source = null;
let abort = null;
let failures = 0;
let retryTimer = null;
let pollTimer = null;
let status = 'connecting';

export function on(type, fn) {
  listeners[type].add(fn);
  return () => listeners[type].delete(fn);
}

export const currentStatus = () => status;

function emit(type, data) { for (const fn of listeners[type]) { try { fn(data); } catch (e) { console.warn(e); } } }

function setStatus(s) { status = s; emit('status', s); }

function opened() {
  failures = 0;
  if (pollTimer) { clearInterval(pollTimer); pollTimer = null; }
  setStatus('live');
}

function failed() {
  failures++;
  close();
  if (failures >= 3 && !pollTimer) { pollTimer = setInterval(() => emit('poll'), 15000); }
  setStatus(failures >= 3 ? 'polling' : 'reconnecting');
  const delay = Math.min(30000, 1000 * 2 ** Math.min(failures - 1, 5));
  retryTimer = setTimeout(connect, delay);
}

function dispatch(event, data) {
  if (event !== 'task' && event !== 'stats') return;
  try { emit(event, JSON.parse(data)); } catch (e) { console.warn('bad event', e); }
}

function close() {
  if (source) { source.close(); source = null; }
  if (abort) { abort.abort(); abort = null; }
}

export function connect() {
  clearTimeout(retryTimer);
  close();
  if (headerToken.get()) { stream(); return; }
  source = new EventSource('/api/v1/events');
  source.onopen = opened;
  source.onerror = failed;
  source.addEventListener('task', (e) => dispatch('task', e.data));
  source.addEventListener('stats', (e) => dispatch('stats', e.data));
}

async function stream() {
  const controller = new AbortController();
  abort = controller;
  try {
    const res = await fetch('/api/v1/events', { headers: { Accept: 'text/event-stream', ...authHeaders() }, signal: controller.signal });
    if (!res.ok || !res.body) throw new Error(`events: HTTP ${res.status}`);
    opened();
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
        }
        if (data.length) dispatch(event, data.join('\n'));
      }
    }
    throw new Error('events: stream ended');
  } catch (e) {
    if (controller.signal.aborted) return;
    failed();
  }
}

/** Reconnects now (after sign-in or sign-out changed how to authenticate). */
export const reconnect = () => { failures = 0; connect(); };
