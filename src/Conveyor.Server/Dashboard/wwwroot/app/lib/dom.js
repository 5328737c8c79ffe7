// Element builder. User data ALWAYS goes in as text (text nodes / textContent), never as markup:
// there is no innerHTML anywhere in the dashboard.

/** A text node: the one way a string from the server reaches the page. */
export const text = (value) => document.createTextNode(value == null ? '' : String(value));

/**
 * h('a', {href: '#/tasks', class: 'x', onclick: fn}, 'child', otherNode)
 * attrs: `class`, `on<event>` (listeners), booleans (true sets, false/null omits), others via setAttribute.
 * children: strings/numbers become text nodes; null/false are skipped; arrays are flattened.
 */
export function h(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
    else if (key === 'value' && 'value' in node) node.value = value;
    else if (key === 'checked') node.checked = !!value;
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children) {
    if (child == null || child === false) continue;
    if (Array.isArray(child)) append(node, child);
    else node.append(child instanceof Node ? child : text(child));
  }
}

/** Replaces every child of `node`. */
export function replace(node, ...children) {
  node.replaceChildren();
  append(node, children);
  return node;
}

export const errorBox = (err) => h('p', { class: 'notice error', role: 'alert' }, err?.message || String(err));

/** A <section> with a heading. */
export const section = (title, ...children) =>
  h('section', { class: 'card', 'aria-label': title }, h('h2', null, title), ...children);

/** A table from column titles and rows of cells (cells are nodes or strings); on a phone each row is a card of `title: value` lines. */
export function table(caption, columns, rows, empty = 'Nothing here yet.') {
  if (rows.length === 0) return h('p', { class: 'muted empty' }, empty);
  return h('div', { class: 'table-wrap' },
    h('table', null,
      h('caption', { class: 'visually-hidden' }, caption),
      h('thead', null, h('tr', null, columns.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', null, rows.map((cells) => h('tr', null, cells.map((c, i) => h('td', { 'data-label': typeof columns[i] === 'string' ? columns[i] : null }, c)))))));
}

/** "3s ago" as a <time> that keeps to one line. */
export const when = (iso, label) => (iso ? h('time', { datetime: iso, class: 'nowrap', title: new Date(iso).toLocaleString() }, label) : '—');

export const badge = (state) => h('span', { class: `badge state-${state}` }, state === 'failed' ? 'dead' : state);

export const button = (label, onclick, attrs = {}) =>
  h('button', { type: 'button', class: 'button', ...attrs, onclick }, label);

/** Pretty JSON in a <pre>, as text. */
export const json = (value, attrs = {}) =>
  h('pre', { class: 'json', ...attrs }, value === undefined ? '' : JSON.stringify(value, null, 2));
