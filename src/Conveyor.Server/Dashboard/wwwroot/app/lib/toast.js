import { h } from './dom.js';

/** A short message in the polite live region (errors stay until dismissed). */
export function toast(message, kind = 'info') {
  const box = document.getElementById('toasts');
  const item = h('div', { class: `toast ${kind}` }, h('span', null, message),
    h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss', onclick: () => item.remove() }, '×'));
  box.append(item);
  if (kind !== 'error') setTimeout(() => item.remove(), 6000);
}

/** Runs an action and reports its outcome as a toast; answers the action's value (or undefined on failure). */
export async function act(label, fn) {
  try {
    const value = await fn();
    toast(label, 'ok');
    return value;
  } catch (e) {
    toast(e?.message || String(e), 'error');
    return undefined;
  }
}

/** A modal confirmation (<dialog>): resolves true when confirmed. */
export function confirmDialog(title, message, confirmLabel = 'Confirm') {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'dialog-title' },
      h('h2', { id: 'dialog-title' }, title),
      h('p', { class: 'dialog-message' }, message),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'button', onclick: () => done(false) }, 'Cancel'),
        h('button', { type: 'button', class: 'button primary', onclick: () => done(true) }, confirmLabel)));
    const done = (ok) => { dialog.close(); dialog.remove(); resolve(ok); };
    dialog.addEventListener('cancel', () => done(false));
    document.body.append(dialog);
    dialog.showModal();
  });
}
