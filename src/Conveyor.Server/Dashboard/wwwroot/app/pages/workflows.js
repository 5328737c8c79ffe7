// Workflows: open one by id (#/workflows) and see it as a graph (#/workflows/<id>): one box per step,
// laid out in columns by how many steps come before it, an arrow from each step to those that wait
// for it, each box coloured by its task's state, live (re-read on every state change of one of its
// steps). The table below the graph says the same in text (and is what a screen reader reads).

import { api, ApiError, enc } from '../lib/api.js';
import { h, replace, section, badge, button, json, errorBox, table } from '../lib/dom.js';
import { navigate } from '../lib/router.js';
import { act } from '../lib/toast.js';
import { coalesce } from '../lib/schedule.js';
import * as events from '../lib/events.js';

const SVG = 'http://www.w3.org/2000/svg';
const BOX_W = 150, BOX_H = 44, GAP_X = 60, GAP_Y = 16, PAD = 8;

/** An SVG element; attributes set one by one, text only through textContent. */
function svg(tag, attrs, textValue) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
  if (textValue != null) node.textContent = String(textValue);
  return node;
}

const stateOf = (s) => s.task_state || s.state;
const short = (s, n) => (s.length > n ? s.slice(0, n - 1) + '…' : s);

/** Column of each step: 0 for first steps, else one past the furthest step it waits for. */
function columns(steps) {
  const col = [];
  for (const s of steps) col[s.index] = s.after.length ? Math.max(...s.after.map((a) => col[a])) + 1 : 0;
  return col;
}

function graph(wf) {
  const col = columns(wf.steps);
  const rows = [];
  const pos = [];
  for (const s of wf.steps) {
    const c = col[s.index];
    rows[c] = (rows[c] || 0);
    pos[s.index] = { x: PAD + c * (BOX_W + GAP_X), y: PAD + rows[c] * (BOX_H + GAP_Y) };
    rows[c]++;
  }
  const width = PAD * 2 + (Math.max(...col) + 1) * (BOX_W + GAP_X) - GAP_X;
  const height = PAD * 2 + Math.max(...rows) * (BOX_H + GAP_Y) - GAP_Y;
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width, height, role: 'group', 'aria-label': `Workflow graph: ${wf.steps.length} steps`, class: 'wf-graph', id: 'workflow-graph' });
  const defs = svg('defs');
  const marker = svg('marker', { id: 'wf-arrow', viewBox: '0 0 10 10', refX: 10, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
  marker.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'wf-arrow-head' }));
  defs.append(marker);
  root.append(defs);
  for (const s of wf.steps) {
    for (const a of s.after) {
      const from = pos[a], to = pos[s.index];
      root.append(svg('line', { x1: from.x + BOX_W, y1: from.y + BOX_H / 2, x2: to.x, y2: to.y + BOX_H / 2, class: 'wf-edge', 'marker-end': 'url(#wf-arrow)' }));
    }
  }
  for (const s of wf.steps) {
    const p = pos[s.index];
    const link = svg('a', { href: `#/tasks/${enc(s.task_id)}`, class: `wf-node state-${stateOf(s)}`, 'data-step': s.index });
    const title = svg('title', null, `step ${s.index}: ${s.type} (${s.path}) — ${stateOf(s)}`);
    link.append(title,
      svg('rect', { x: p.x, y: p.y, width: BOX_W, height: BOX_H, rx: 6 }),
      svg('text', { x: p.x + 8, y: p.y + 18, class: 'wf-type' }, short(`${s.index} · ${s.type}`, 22)),
      svg('text', { x: p.x + 8, y: p.y + 35, class: 'wf-state' }, stateOf(s)));
    root.append(link);
  }
  return root;
}

function progressLine(p) {
  return h('p', { id: 'workflow-progress' }, `${p.finished} of ${p.total} steps finished (${p.succeeded} succeeded, ${p.failed} failed)`,
    p.batches.map((b) => h('span', { class: 'wf-batch' }, ` · batch ${b.index}: ${b.finished}/${b.total} members (${b.percent}%)`)));
}

function detail(main, id) {
  const body = h('div', { id: 'workflow-detail' }, h('p', { class: 'muted' }, 'Loading…'));
  main.append(h('p', { class: 'crumbs' }, h('a', { href: '#/workflows' }, '← Workflows')), h('h1', null, 'Workflow ', h('span', { class: 'mono' }, id)), body);
  let steps = new Set();

  async function load() {
    let view;
    try { view = await api(`/api/v1/workflows/${enc(id)}`); } catch (e) {
      const notFound = e instanceof ApiError && e.status === 404;
      // Our 404 says "no workflow <id>"; any other 404 is a server without the workflow routes.
      replace(body, notFound && String(e.problem?.detail || '').startsWith('no workflow') ? h('p', { class: 'notice' }, `There is no workflow ${id}.`)
        : notFound ? h('p', { class: 'notice' }, 'Workflows are not available on this server.') : errorBox(e));
      return;
    }
    const wf = view.workflow;
    steps = new Set(wf.steps.map((s) => s.task_id));
    replace(body,
      h('div', { class: 'actions', role: 'group', 'aria-label': 'Workflow actions' },
        wf.state === 'running' ? button('Cancel workflow', () => act('Workflow cancelled.', () => api(`/api/v1/workflows/${enc(id)}/cancel`, { method: 'POST' })).then(load), { id: 'workflow-cancel' }) : null),
      section('Summary',
        h('p', null, 'State ', h('span', { id: 'workflow-state' }, badge(wf.state)), wf.name ? ` · ${wf.name}` : '', wf.continue_on_failure ? ' · continues on failure' : ''),
        progressLine(view.progress),
        wf.error ? h('p', { class: 'error-text', id: 'workflow-error' }, wf.error) : null),
      section('Graph', h('div', { class: 'wf-graph-wrap' }, graph(wf))),
      section('Steps', table('Steps', ['Step', 'Path', 'Type', 'Queue', 'State', 'Waits for', 'Task'], wf.steps.map((s) => [
        String(s.index), h('span', { class: 'mono' }, s.path), s.type, s.queue, badge(stateOf(s)),
        s.after.length ? s.after.join(', ') : '—', h('a', { href: `#/tasks/${enc(s.task_id)}`, class: 'mono', title: s.task_id }, '…' + s.task_id.slice(-12))]))),
      wf.result !== undefined && wf.result !== null ? section('Result', json(wf.result, { id: 'workflow-result' })) : null);
  }

  load();
  const refresh = coalesce(load, 200);
  const off = events.on('task', (e) => { if (steps.has(e.task_id)) refresh(); });
  const offPoll = events.on('poll', refresh);
  return () => { off(); offPoll(); refresh.cancel(); };
}

function opener(main) {
  const input = h('input', { id: 'workflow-id', name: 'id', type: 'text', class: 'mono', required: true, placeholder: '0193c4d2-7b1e-7cc0-9a4e-2f1d3c5b6a79', autocomplete: 'off' });
  main.append(h('h1', null, 'Workflows'),
    section('Open a workflow',
      h('p', { class: 'muted' }, 'Chains, groups (chords) and batches are submitted with POST /api/v1/workflows or `conveyor workflow submit`; each step\'s task carries its workflow\'s id in the metadata conveyor.workflow.'),
      h('form', { class: 'inline-form', onsubmit: (e) => { e.preventDefault(); if (input.value.trim()) navigate(`workflows/${input.value.trim()}`); } },
        h('label', { for: 'workflow-id' }, 'Workflow id'), input, h('button', { type: 'submit', class: 'button' }, 'Open'))));
  return null;
}

export default {
  title: 'Workflows',
  render(main, { params }) {
    return params.length ? detail(main, params[0]) : opener(main);
  },
};

