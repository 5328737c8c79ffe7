// Hash routes: `#/tasks?state=failed&queue=default`, `#/tasks/<id>`. Every filter lives in the
// query of the hash, so a page is bookmarkable and the back button works.

export function parse(hash = location.hash) {
  const raw = hash.startsWith('#/') ? hash.slice(2) : '';
  const [path, qs = ''] = raw.split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { name: parts[0] || 'overview', params: parts.slice(1), query: new URLSearchParams(qs) };
}

/** `href('tasks', {state: 'failed'})` → `#/tasks?state=failed` (empty values dropped). */
export function href(path, query) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) if (v != null && v !== '') q.set(k, v);
  const s = q.toString();
  return `#/${path}${s ? '?' + s : ''}`;
}

export const navigate = (path, query) => { location.hash = href(path, query); };

export const isRouteHash = (hash) => hash === '' || hash === '#' || hash.startsWith('#/');
