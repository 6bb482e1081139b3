// The pipeline page's live charts over the last 15 minutes (uPlot, bundled by the build and served
// at /ui/vendor): events read/s, rows/s, duplicates/s, DLQ/s, Kafka lag, end-to-end latency. The
// points come from the API (pipeline.metrics: rates between the samples the workflow keeps).
'use strict';
(() => {
  const CHARTS = [
    ['readPerSec', 'events read/s'], ['rowsPerSec', 'rows/s'], ['duplicatesPerSec', 'duplicates/s'],
    ['dlqPerSec', 'DLQ entries/s'], ['lag', 'Kafka lag (records)'], ['latencyMs', 'end-to-end latency (ms)'],
  ];
  let shown = null; // { id, plots: [{ key, plot, figure }] }
  const fmt = (v) => (v === null || v === undefined ? '–' : Number(v).toLocaleString('en', { maximumFractionDigits: 1 }));

  function build(container, id) {
    container.replaceChildren();
    const plots = CHARTS.map(([key, title]) => {
      const figure = document.createElement('figure');
      figure.className = 'chart';
      figure.setAttribute('role', 'img');
      const caption = document.createElement('figcaption');
      caption.textContent = title;
      figure.append(caption);
      container.append(figure);
      const plot = new window.uPlot({
        width: Math.max(200, figure.clientWidth || 300), height: 130, legend: { show: false }, cursor: { show: true },
        scales: { x: { time: true, range: () => { const now = Date.now() / 1000; return [now - 15 * 60, now]; } }, y: { range: (_u, min, max) => [0, Math.max(1, max * 1.1)] } },
        axes: [{ size: 30 }, { size: 64 }],
        series: [{}, { label: title, stroke: '#1b6fb5', fill: 'rgba(27,111,181,0.12)', width: 1.5, spanGaps: false }],
      }, [[], []], figure);
      return { key, title, plot, figure, caption };
    });
    shown = { id, plots };
  }

  window.sluiceCharts = {
    /** Draws `points` for pipeline `id` into `container` (charts are made once per pipeline, then fed). */
    render(container, id, points) {
      if (!window.uPlot) return;
      if (!shown || shown.id !== id || !container.contains(shown.plots[0].figure)) build(container, id);
      const xs = points.map((p) => Date.parse(p.at) / 1000);
      for (const c of shown.plots) {
        const ys = points.map((p) => p[c.key]);
        c.plot.setData([xs, ys]);
        const last = ys.length ? ys[ys.length - 1] : null;
        const estimated = c.key === 'latencyMs' && points.length && !points[points.length - 1].latencyMeasured;
        c.caption.textContent = `${c.title}${estimated ? ' (estimated)' : ''}: ${fmt(last)}`;
        c.figure.setAttribute('aria-label', `${c.caption.textContent}, over the last 15 minutes (${points.length} points)`);
      }
    },
    resize() {
      for (const c of shown?.plots ?? []) c.plot.setSize({ width: Math.max(200, c.figure.clientWidth), height: 130 });
    },
  };
  window.addEventListener('resize', () => window.sluiceCharts.resize());
})();
