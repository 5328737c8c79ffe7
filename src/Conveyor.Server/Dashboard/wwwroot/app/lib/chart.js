// Thin wrapper over the vendored uPlot (loaded by index.html as a classic script: window.uPlot).
// Colours come from the page's CSS custom properties, so the chart follows the theme.

const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

/** A two-series (succeeded, failed) time chart in `container`; answers {set(xs, ok, failed), destroy()}. */
export function throughputChart(container, { label, bars = false } = {}) {
  const uPlot = window.uPlot;
  if (!uPlot) {
    container.textContent = 'The chart library did not load.';
    return { set() {}, destroy() {} };
  }
  const axis = { stroke: css('--muted'), grid: { stroke: css('--grid'), width: 1 }, ticks: { stroke: css('--grid'), width: 1 } };
  const paths = bars ? uPlot.paths.bars({ size: [0.8, 40] }) : undefined;
  const series = (name, color) => ({ label: name, stroke: color, width: 2, fill: color + '33', paths, points: { show: false } });
  const opts = {
    width: Math.max(280, container.clientWidth || 600),
    height: 200,
    title: undefined,
    legend: { live: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: bars ? { time: true, range: (u, min, max) => [min - 30, max + 30] } : { time: true }, y: { range: (u, min, max) => [0, Math.max(5, Math.ceil(max * 1.15))] } },
    axes: [axis, { ...axis, size: 44 }],
    series: [{ label: 'time' }, series('succeeded', css('--ok')), series('failed', css('--bad'))],
  };
  const plot = new uPlot(opts, [[], [], []], container);
  plot.root.setAttribute('aria-label', label || 'throughput chart');
  plot.root.setAttribute('role', 'img');
  const resize = new ResizeObserver(() => {
    const w = Math.max(280, container.clientWidth);
    if (Math.abs(w - plot.width) > 2) plot.setSize({ width: w, height: 200 });
  });
  resize.observe(container);
  return {
    set: (xs, ok, bad) => plot.setData([xs, ok, bad]),
    destroy: () => { resize.disconnect(); plot.destroy(); },
  };
}
