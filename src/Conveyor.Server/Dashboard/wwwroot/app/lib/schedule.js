// Coalescing: many events, one render. `coalesce(fn, ms)` returns a trigger that runs fn at most
// once per `ms`, after the first trigger in a burst; later triggers in the window are folded in.
export function coalesce(fn, ms = 500) {
  let timer = null;
  let running = false;
  let again = false;
  const run = async () => {
    timer = null;
    if (running) { again = true; return; }
    running = true;
    try { await fn(); } catch (e) { console.warn(e); } finally {
      running = false;
      if (again) { again = false; trigger(); }
    }
  };
  const trigger = () => { if (timer === null) timer = setTimeout(run, ms); };
  trigger.cancel = () => { if (timer !== null) clearTimeout(timer); timer = null; };
  return trigger;
}
