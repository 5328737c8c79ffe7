// Submit: a task type (built-ins and the types live workers announce), a small form for each
// built-in, a JSON editor with validation for any type, queue / priority / delay / idempotency key /
// tags; then watch the task go pending → running → succeeded or failed, live, with its result.

import { api, enc } from '../lib/api.js';
import { h, replace, section, badge, json, errorBox } from '../lib/dom.js';
import { time } from '../lib/format.js';
import * as events from '../lib/events.js';

const BUILT_INS = {
  fib: { about: 'The n-th Fibonacci number.', fields: [{ name: 'n', label: 'n', type: 'number', value: 35, min: 0, max: 90 }] },
  'email.send': { about: 'A simulated mail send.', fields: [
    { name: 'recipient_email', label: 'Recipient', type: 'email', value: 'someone@example.com' },
    { name: 'subject', label: 'Subject', type: 'text', value: 'Hello' },
    { name: 'body', label: 'Body', type: 'text', value: 'Sent from the Conveyor dashboard.' }] },
  sleep: { about: 'Sleeps ms milliseconds (honours cancellation).', fields: [{ name: 'ms', label: 'Milliseconds', type: 'number', value: 1000, min: 0 }] },
  noop: { about: 'Does nothing.', fields: [] },
  fail: { about: 'Always fails (retried, then dead).', fields: [{ name: 'message', label: 'Message', type: 'text', value: 'this task always fails' }] },
  flaky: { about: 'Fails with probability p.', fields: [{ name: 'p', label: 'p', type: 'number', value: 0.5, min: 0, max: 1, step: 0.05 }] },
  heavy: { about: 'Works on its data for a while.', fields: [{ name: 'data', label: 'Data (text)', type: 'text', value: 'some data' }] },
};

/** The lifecycle's order: a long poll may answer `succeeded` before the event that says `running`. */
const ORDER = ['scheduled', 'pending', 'running', 'succeeded', 'failed', 'cancelled'];

export default {
  title: 'Submit',
  render(main, { query }) {
    let disposed = false;
    const typeList = h('datalist', { id: 'type-options' }, Object.keys(BUILT_INS).map((t) => h('option', { value: t })));
    const typeInput = h('input', { id: 's-type', name: 'type', list: 'type-options', required: true, value: query.get('type') || 'fib', autocomplete: 'off', 'aria-describedby': 's-type-about' });
    const typeAbout = h('p', { id: 's-type-about', class: 'muted' });
    const fieldsBox = h('div', { class: 'field-row', id: 'args-fields' });
    const argsArea = h('textarea', { id: 's-args', name: 'args', rows: '6', class: 'code', spellcheck: 'false', 'aria-describedby': 's-args-status' });
    const argsStatus = h('p', { id: 's-args-status', class: 'muted' }, 'Valid JSON.');
    const input = (id, label, attrs) => h('div', { class: 'field' }, h('label', { for: id }, label), h('input', { id, ...attrs }));
    const watch = h('div', { id: 'watch', 'aria-live': 'polite' });
    const submitButton = h('button', { type: 'submit', class: 'button primary', id: 's-submit' }, 'Submit');

    const form = h('form', { class: 'submit-form', 'aria-label': 'Submit a task', onsubmit: (e) => { e.preventDefault(); submit(); } },
      h('div', { class: 'field' }, h('label', { for: 's-type' }, 'Task type'), typeInput, typeList, typeAbout),
      fieldsBox,
      h('div', { class: 'field' }, h('label', { for: 's-args' }, 'Arguments (JSON)'), argsArea, argsStatus),
      h('div', { class: 'field-row' },
        input('s-queue', 'Queue', { name: 'queue', value: query.get('queue') || 'default' }),
        input('s-priority', 'Priority (0–9)', { name: 'priority', type: 'number', min: '0', max: '9', value: '0' }),
        input('s-delay', 'Delay (seconds)', { name: 'delay', type: 'number', min: '0', value: '0' }),
        input('s-max-attempts', 'Max attempts', { name: 'max_attempts', type: 'number', min: '1', max: '1000', placeholder: '5' })),
      h('div', { class: 'field-row' },
        input('s-key', 'Idempotency key (optional)', { name: 'idempotency_key' }),
        input('s-tags', 'Tags (key=value, comma-separated)', { name: 'tags', placeholder: 'customer=42, source=dashboard' })),
      h('div', { class: 'actions' }, submitButton));

    main.append(h('h1', null, 'Submit a task'), h('div', { class: 'grid-2' }, section('Task', form), section('Watch it run', watch)));
    replace(watch, h('p', { class: 'muted' }, 'Submit a task to watch it go pending → running → succeeded or failed.'));

    function validate() {
      try {
        JSON.parse(argsArea.value || 'null');
        argsStatus.textContent = 'Valid JSON.'; argsStatus.className = 'muted'; argsArea.removeAttribute('aria-invalid'); submitButton.disabled = false;
        return true;
      } catch (e) {
        argsStatus.textContent = `Not valid JSON: ${e.message}`; argsStatus.className = 'error-text'; argsArea.setAttribute('aria-invalid', 'true'); submitButton.disabled = true;
        return false;
      }
    }
    argsArea.addEventListener('input', validate);

    function fieldsToArgs() {
      const spec = BUILT_INS[typeInput.value];
      if (!spec) return;
      const args = {};
      for (const f of spec.fields) {
        const el = document.getElementById(`a-${f.name}`);
        args[f.name] = f.type === 'number' ? Number(el.value) : el.value;
      }
      argsArea.value = JSON.stringify(args, null, 2);
      validate();
    }

    function showType(prefill) {
      const spec = BUILT_INS[typeInput.value];
      typeAbout.textContent = spec ? `Built-in: ${spec.about}` : 'Any type a worker handles: write its arguments as JSON below.';
      replace(fieldsBox, spec ? spec.fields.map((f) => h('div', { class: 'field' },
        h('label', { for: `a-${f.name}` }, f.label),
        h('input', { id: `a-${f.name}`, type: f.type, value: String(prefill?.[f.name] ?? f.value), min: f.min, max: f.max, step: f.step ?? (f.type === 'number' ? 'any' : undefined), oninput: fieldsToArgs }))) : null);
      if (prefill !== undefined) { argsArea.value = JSON.stringify(prefill, null, 2); validate(); } else if (spec) fieldsToArgs(); else if (!argsArea.value) { argsArea.value = '{}'; validate(); }
    }
    typeInput.addEventListener('change', () => showType());
    showType(query.get('n') ? { n: Number(query.get('n')) } : undefined);

    // Types that live workers announce (GET /api/v1/task-types), beside the built-ins.
    api('/api/v1/task-types').then((data) => {
      if (disposed) return;
      for (const t of data.types) if (!BUILT_INS[t.name]) typeList.append(h('option', { value: t.name }, `${t.name} (${t.workers} worker${t.workers === 1 ? '' : 's'})`));
    }).catch(() => {});

    // Clone and edit: prefill from an existing task.
    const cloneId = query.get('clone');
    if (cloneId) {
      api(`/api/v1/tasks/${enc(cloneId)}`).then((t) => {
        if (disposed) return;
        typeInput.value = t.type;
        showType(t.args);
        document.getElementById('s-queue').value = t.queue;
        document.getElementById('s-priority').value = String(t.priority);
        document.getElementById('s-max-attempts').value = String(t.max_attempts);
        document.getElementById('s-tags').value = Object.entries(t.metadata || {}).map(([k, v]) => `${k}=${v}`).join(', ');
        typeAbout.textContent = `Cloned from task ${t.id}: edit and submit.`;
      }).catch((e) => replace(watch, errorBox(e)));
    }

    let off = null;
    async function submit() {
      if (!validate()) return;
      const data = Object.fromEntries(new FormData(form));
      const body = { type: typeInput.value.trim(), args: JSON.parse(argsArea.value || 'null'), queue: data.queue || undefined, priority: Number(data.priority || 0) };
      if (Number(data.delay) > 0) body.delay = Number(data.delay);
      if (data.max_attempts) body.max_attempts = Number(data.max_attempts);
      if (data.idempotency_key) body.idempotency_key = data.idempotency_key;
      if (data.tags) body.metadata = Object.fromEntries(data.tags.split(',').map((s) => s.trim()).filter(Boolean).map((s) => { const i = s.indexOf('='); return i > 0 ? [s.slice(0, i).trim(), s.slice(i + 1).trim()] : [s, '']; }));
      let t;
      try { t = await api('/api/v1/tasks', { method: 'POST', body }); } catch (e) { replace(watch, errorBox(e)); return; }
      follow(t);
    }

    function follow(first) {
      off?.();
      const steps = [];
      const seen = new Set();
      const view = (t) => {
        if (!seen.has(t.state)) { seen.add(t.state); steps.push([t.state, new Date().toISOString()]); steps.sort((a, b) => ORDER.indexOf(a[0]) - ORDER.indexOf(b[0])); }
        replace(watch,
          h('p', null, 'Task ', h('a', { href: `#/tasks/${encodeURIComponent(t.id)}`, class: 'mono', id: 'watch-link' }, t.id), ` (${t.type})`),
          h('ol', { class: 'steps', id: 'watch-steps' }, steps.map(([s, at]) => h('li', null, badge(s), ` ${time(at)}`))),
          h('p', null, 'Now: ', h('span', { id: 'watch-state' }, badge(t.state))),
          t.progress ? h('p', null, `Progress ${t.progress.percent}%`) : null,
          t.state === 'succeeded' ? h('div', null, h('h3', null, 'Result'), json(t.result, { id: 'watch-result' })) : null,
          t.error ? h('p', { class: 'error-text', id: 'watch-error' }, `${t.error.type}: ${t.error.message}`) : null);
      };
      view(first);
      const reload = async () => { try { const t = await api(`/api/v1/tasks/${enc(first.id)}`); if (!disposed) view(t); } catch { /* next event */ } };
      off = events.on('task', (e) => { if (e.task_id === first.id) reload(); });
      // Also a long poll, so the end shows even when the event stream is down.
      (async () => {
        for (let i = 0; i < 20 && !disposed; i++) {
          try {
            const t = await api(`/api/v1/tasks/${enc(first.id)}/wait`, { query: { timeout: 30 } });
            if (disposed) return;
            view(t);
            if (['succeeded', 'failed', 'cancelled'].includes(t.state)) return;
          } catch { return; }
        }
      })();
    }

    return () => { disposed = true; off?.(); };
  },
};
