// Numbers, times and ages for display.

const nf = new Intl.NumberFormat();
export const num = (n) => (n == null ? '—' : nf.format(n));

/** "3m 5s ago", or "in 59m 50s" for a time still to come. */
export function ago(iso, now = Date.now()) {
  if (!iso) return '—';
  const s = Math.round((now - Date.parse(iso)) / 1000);
  return s < 0 ? `in ${duration(-s)}` : `${duration(s)} ago`;
}

export function age(iso, now = Date.now()) {
  if (!iso) return '—';
  return duration(Math.max(0, Math.round((now - Date.parse(iso)) / 1000)));
}

export function duration(s) {
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

export function time(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { hour12: false });
}

/** Ids are time-ordered (their start is shared by tasks made together): show the start and the end. */
export const shortId = (id) => (id && id.length > 16 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id);
