// The dashboard's charts as plain SVG, and the choropleth's colours. Pure functions (no DOM
// beyond building SVG strings' data), so node's test runner checks them.
// Class breaks are never computed here: they come from the server (mapclassify).

// ColorBrewer YlOrRd (sequential) for 3 to 9 classes, and the LISA cluster colours of GeoDa.
const YL_OR_RD = [
  '#ffffcc', '#ffeda0', '#fed976', '#feb24c', '#fd8d3c', '#fc4e2a', '#e31a1c', '#bd0026', '#800026',
];
export const LISA_COLORS = { HH: '#d7191c', LL: '#2c7bb6', LH: '#abd9e9', HL: '#fdae61', ns: '#eeeeee' };
export const LISA_ORDER = ['HH', 'LL', 'LH', 'HL', 'ns'];
export const NO_DATA_COLOR = '#bdbdbd';

/** k colours, light to dark, spread over the palette. */
export function classColors(k) {
  if (k <= 1) return [YL_OR_RD[4]];
  return Array.from({ length: k }, (_, i) => YL_OR_RD[Math.round((i * (YL_OR_RD.length - 1)) / (k - 1))]);
}

/** Legend rows from the server's breaks: [lower, upper] of each class, with its colour and count. */
export function legendRows(breaks) {
  const colors = classColors(breaks.bins.length);
  return breaks.bins.map((upper, i) => ({
    lower: i === 0 ? breaks.min : breaks.bins[i - 1],
    upper,
    color: colors[i],
    count: breaks.counts[i],
  }));
}

/** A MapLibre `match` expression colouring features by their server-given class. */
export function classFillExpression(k) {
  const colors = classColors(k);
  return ['match', ['coalesce', ['get', 'class'], -1], ...colors.flatMap((c, i) => [i, c]), NO_DATA_COLOR];
}

/** A MapLibre `match` expression colouring features by their LISA cluster label. */
export function lisaFillExpression() {
  return ['match', ['coalesce', ['get', 'lisa'], 'ns'], ...LISA_ORDER.flatMap((c) => [c, LISA_COLORS[c]]), LISA_COLORS.ns];
}

/** A linear scale from [d0, d1] to [r0, r1]; a flat domain maps to the middle. */
export function scale([d0, d1], [r0, r1]) {
  const span = d1 - d0;
  return (v) => (span === 0 ? (r0 + r1) / 2 : r0 + ((v - d0) / span) * (r1 - r0));
}

/** Extent of finite numbers, padded by a fraction of the span. */
export function extent(values, pad = 0) {
  const finite = values.filter((v) => Number.isFinite(v));
  if (!finite.length) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  const p = (hi - lo || Math.abs(hi) || 1) * pad;
  lo -= p;
  hi += p;
  return [lo, hi];
}

/** An SVG path through points [[x, y], ...] already in pixels. */
export function linePath(points) {
  return points.map(([x, y], i) => `${i ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`).join('');
}

/** The Lorenz curve's path in a size x size box (y up), from the API's cumulative shares. */
export function lorenzPath(lorenz, size) {
  const sx = scale([0, 1], [0, size]);
  const sy = scale([0, 1], [size, 0]);
  return linePath(lorenz.population_share.map((p, i) => [sx(p), sy(lorenz.value_share[i])]));
}

/** Moran scatterplot: points (z, lag) in pixels and the slope line, whose slope is I. */
export function moranScatter(scatter, moranI, size) {
  const [lo, hi] = extent([...scatter.z, ...scatter.lag], 0.08);
  const bound = Math.max(Math.abs(lo), Math.abs(hi));
  const sx = scale([-bound, bound], [0, size]);
  const sy = scale([-bound, bound], [size, 0]);
  const points = scatter.z.map((z, i) => [sx(z), sy(scatter.lag[i])]);
  const line = [[sx(-bound), sy(-bound * moranI)], [sx(bound), sy(bound * moranI)]];
  return { points, line, origin: [sx(0), sy(0)] };
}

/** A time series in a width x height box: path and point positions, periods sorted. */
export function timeSeries(values, width, height) {
  const rows = values.filter((v) => Number.isFinite(v.value) && /^\d{4}$/.test(v.period))
    .sort((a, b) => Number(a.period) - Number(b.period));
  if (!rows.length) return { path: '', points: [], rows };
  const sx = scale(extent(rows.map((r) => Number(r.period))), [0, width]);
  const sy = scale(extent(rows.map((r) => r.value), 0.05), [height, 0]);
  const points = rows.map((r) => [sx(Number(r.period)), sy(r.value)]);
  return { path: linePath(points), points, rows };
}

/** Round for display, keeping small values readable. */
export function roundValue(v, digits = 3) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const abs = Math.abs(v);
  if (abs !== 0 && abs < 0.001) return v.toExponential(2);
  return Number(v.toFixed(abs >= 100 ? 1 : digits)).toString();
}
