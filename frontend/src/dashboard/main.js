// The urban-watch dashboard: choropleth with the server's class breaks, LISA cluster map,
// Lorenz curve, Moran scatterplot, time series, unit profile, comparison of two units,
// priority levels and exports. Everything comes from /api/v1/watch/ on this page's origin.

import 'maplibre-gl/dist/maplibre-gl.css';
import '@fontsource/noto-sans/400.css';
import '@fontsource/noto-sans-arabic/400.css';
import './dashboard.css';

import * as maplibregl from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';

import { h } from '../dom.js';
import { initialLang, RTL_LANGS, translate } from '../i18n.js';
import { blankStyle, DEFAULT_CENTER, DEFAULT_ZOOM, fetchStyle } from '../style.js';
import {
  classFillExpression,
  legendRows,
  LISA_COLORS,
  LISA_ORDER,
  lisaFillExpression,
  lorenzPath,
  moranScatter,
  roundValue,
  timeSeries,
} from './charts.js';

maplibregl.setWorkerUrl(workerUrl);

const API = '/api/v1/watch/';
const LANG_KEY = 'eu.lang';
const SVG = 'http://www.w3.org/2000/svg';
const LEVELS = ['commune', 'district', 'cell'];
const DEFAULTS = { indicator: 'density', level: 'district' };
const $ = (sel) => document.querySelector(sel);

const state = {
  lang: initialLang(location.search, storedLang()),
  catalogue: [],
  values: null,
  analysis: null,
  selected: null,
  profiles: {},
};
const t = (key, p) => translate(state.lang, key, p);
const maps = {};

function storedLang() {
  try {
    return localStorage.getItem(LANG_KEY);
  } catch {
    return null;
  }
}

// --- language -------------------------------------------------------------------------------

function setLang(lang) {
  state.lang = lang;
  try {
    localStorage.setItem(LANG_KEY, lang);
  } catch {
    // storage disabled: the choice lasts for this page view
  }
  document.documentElement.lang = lang;
  document.documentElement.dir = RTL_LANGS.has(lang) ? 'rtl' : 'ltr';
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-aria-label]')) el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
  for (const b of document.querySelectorAll('.lang-switch button')) b.setAttribute('aria-pressed', String(b.dataset.lang === lang));
  renderCatalogue();
  renderAll();
}

const name = (obj) => obj?.[`name_${state.lang}`] || obj?.name_fr || '';

// --- controls -------------------------------------------------------------------------------

function form() {
  return Object.fromEntries(new FormData($('#dash-controls')).entries());
}

function indicator() {
  return state.catalogue.find((i) => i.code === $('#f-indicator').value);
}

function options(select, values, labels = values, keep = select.value) {
  select.replaceChildren(...values.map((v, i) => h('option', { value: v }, labels[i])));
  if (values.includes(keep)) select.value = keep;
}

function renderCatalogue() {
  if (!state.catalogue.length) return;
  const codes = state.catalogue.map((i) => i.code);
  options($('#f-indicator'), codes, state.catalogue.map(name), $('#f-indicator').value || DEFAULTS.indicator);
  renderChoices();
}

function renderChoices() {
  const ind = indicator();
  if (!ind) return;
  const cov = ind.coverage.filter((c) => LEVELS.includes(c.level));
  const levels = LEVELS.filter((l) => cov.some((c) => c.level === l));
  options($('#f-level'), levels, levels.map((l) => t(`dash.level.${l}`)), $('#f-level').value || DEFAULTS.level);
  const atLevel = cov.filter((c) => c.level === $('#f-level').value);
  const periods = [...new Set(atLevel.map((c) => c.period))].sort();
  options($('#f-period'), periods, periods, periods.includes($('#f-period').value) ? $('#f-period').value : periods.at(-1));
  const dims = [...new Set(atLevel.filter((c) => c.period === $('#f-period').value).map((c) => c.dimension))];
  options($('#f-dimension'), dims, dims.map((d) => (d ? t(`dash.dim.${d}`) : '—')));
  $('#f-dimension').disabled = dims.length <= 1;
}

function query(extra = {}) {
  const f = form();
  const params = new URLSearchParams({
    indicator: f.indicator,
    level: f.level,
    period: f.period,
    dimension: f.dimension ?? '',
    scheme: f.scheme,
    k: f.k,
    seed: f.seed,
    ...extra,
  });
  return params.toString();
}

// --- data -----------------------------------------------------------------------------------

async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: 'application/json' } });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.detail || `${response.status}`);
  return body;
}

async function refresh() {
  const f = form();
  if (!f.indicator || !f.level) return;
  $('#dash-status').textContent = t('dash.loading');
  try {
    const [values, analysis] = await Promise.all([
      getJSON(`${API}indicators/${encodeURIComponent(f.indicator)}/values/?${query()}`),
      getJSON(`${API}analysis/?${query({ permutations: 499 })}`),
    ]);
    state.values = values;
    state.analysis = analysis;
    state.profiles = {};
    $('#dash-status').textContent = '';
    document.body.dataset.ready = 'true';
  } catch (err) {
    state.values = null;
    state.analysis = null;
    $('#dash-status').textContent = t('dash.error', { detail: err.message });
  }
  renderAll();
}

// --- the maps -------------------------------------------------------------------------------

async function baseStyle() {
  // The basemap of the served style only (no external service); the indicator layer is GeoJSON.
  try {
    const style = await fetchStyle({ origin: location.origin, lang: state.lang });
    const sources = { basemap: style.sources.basemap };
    return { ...style, sources, layers: style.layers.filter((l) => !l.source || l.source === 'basemap') };
  } catch {
    return blankStyle(location.origin);
  }
}

async function initMaps() {
  const style = await baseStyle();
  for (const [key, container, fill] of [
    ['choropleth', 'dash-map', classFillExpression(5)],
    ['lisa', 'dash-lisa-map', lisaFillExpression()],
  ]) {
    let map;
    try {
      map = new maplibregl.Map({ container, style: structuredClone(style), center: DEFAULT_CENTER, zoom: DEFAULT_ZOOM - 3, attributionControl: false, dragRotate: false });
    } catch (err) {
      console.error(err);
      $(`#${container}`).replaceChildren(h('p', { role: 'alert' }, t('dash.noWebGL')));
      continue;
    }
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
    maps[key] = map;
    map.on('load', () => {
      map.addSource('units', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
      map.addLayer({ id: 'units-fill', type: 'fill', source: 'units', paint: { 'fill-color': fill, 'fill-opacity': 0.8 } });
      map.addLayer({ id: 'units-line', type: 'line', source: 'units', paint: { 'line-color': '#37474f', 'line-width': 0.6 } });
      map.addLayer({ id: 'units-selected', type: 'line', source: 'units', filter: ['==', ['get', 'unit_code'], ''], paint: { 'line-color': '#0b3c5d', 'line-width': 3 } });
      map.on('click', 'units-fill', (e) => selectUnit(e.features[0]?.properties?.unit_code));
      map.on('mouseenter', 'units-fill', () => { map.getCanvas().style.cursor = 'pointer'; });
      map.on('mouseleave', 'units-fill', () => { map.getCanvas().style.cursor = ''; });
      map.loaded_ = true;
      renderMaps();
    });
  }
  window.euDashboardMaps = maps;
}

function featureCollection() {
  const v = state.values;
  const a = state.analysis;
  if (!v) return { type: 'FeatureCollection', features: [] };
  const lisa = new Map();
  (a?.units || []).forEach((u, i) => lisa.set(u.unit_code, a.lisa?.cluster[i] ?? 'ns'));
  return {
    type: 'FeatureCollection',
    features: v.features.map((f) => ({ ...f, properties: { ...f.properties, lisa: lisa.get(f.properties.unit_code) ?? 'ns' } })),
  };
}

function bbox(features) {
  let b = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') b = [Math.min(b[0], c[0]), Math.min(b[1], c[1]), Math.max(b[2], c[0]), Math.max(b[3], c[1])];
    else c.forEach(walk);
  };
  features.forEach((f) => f.geometry && walk(f.geometry.coordinates));
  return Number.isFinite(b[0]) ? [[b[0], b[1]], [b[2], b[3]]] : null;
}

function renderMaps() {
  const data = featureCollection();
  const bounds = bbox(data.features);
  for (const [key, map] of Object.entries(maps)) {
    if (!map.loaded_) continue;
    map.getSource('units').setData(data);
    if (key === 'choropleth' && state.values) map.setPaintProperty('units-fill', 'fill-color', classFillExpression(state.values.breaks.bins.length));
    map.setFilter('units-selected', ['==', ['get', 'unit_code'], state.selected || '']);
    if (bounds && map.boundsKey_ !== JSON.stringify(bounds)) {
      map.fitBounds(bounds, { padding: 12, animate: false });
      map.boundsKey_ = JSON.stringify(bounds);
    }
  }
  renderLegend();
}

function renderLegend() {
  const v = state.values;
  if (!v) {
    $('#dash-legend').replaceChildren();
    return;
  }
  const rows = legendRows(v.breaks);
  $('#dash-legend').replaceChildren(
    h('p', { class: 'dash-legend-title' }, `${name(indicator())} (${v.unit}) — ${t(`dash.${v.breaks.scheme === 'fisher_jenks' ? 'fisherJenks' : v.breaks.scheme === 'equal_interval' ? 'equalInterval' : 'quantiles'}`)}`),
    ...rows.map((r) => h('div', { class: 'dash-legend-row', 'data-class': '' },
      h('span', { class: 'dash-swatch', style: { background: r.color } }),
      `${roundValue(r.lower)} – ${roundValue(r.upper)} (${r.count})`)),
  );
  $('#dash-lisa-legend').replaceChildren(...LISA_ORDER.map((c) => h('div', { class: 'dash-legend-row' },
    h('span', { class: 'dash-swatch', style: { background: LISA_COLORS[c] } }), t(`dash.lisa.${c}`))));
}

// --- charts ---------------------------------------------------------------------------------

function svg(tag, attrs = {}) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

function renderLorenz() {
  const box = $('#dash-lorenz');
  const a = state.analysis;
  box.replaceChildren();
  if (!a) return;
  const size = 240;
  const g = svg('g', { transform: 'translate(10,10)' });
  g.append(svg('rect', { x: 0, y: 0, width: size, height: size, class: 'frame' }));
  g.append(svg('path', { d: `M0,${size}L${size},0`, class: 'equality' }));
  g.append(svg('path', { d: lorenzPath(a.lorenz, size), class: 'lorenz', 'data-series': 'units' }));
  if (a.lorenz_weighted) g.append(svg('path', { d: lorenzPath(a.lorenz_weighted, size), class: 'lorenz weighted', 'data-series': 'population' }));
  box.append(g);
  box.setAttribute('aria-label', t('dash.lorenzAria', { gini: roundValue(a.unweighted.gini) }));
}

function renderMoran() {
  const box = $('#dash-moran');
  const a = state.analysis;
  box.replaceChildren();
  if (!a?.moran) return;
  const size = 240;
  const m = moranScatter(a.moran.scatter, a.moran.I, size);
  const g = svg('g', { transform: 'translate(10,10)' });
  g.append(svg('rect', { x: 0, y: 0, width: size, height: size, class: 'frame' }));
  g.append(svg('line', { x1: 0, x2: size, y1: m.origin[1], y2: m.origin[1], class: 'axis' }));
  g.append(svg('line', { x1: m.origin[0], x2: m.origin[0], y1: 0, y2: size, class: 'axis' }));
  m.points.forEach(([x, y], i) => {
    const c = svg('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: 3, class: 'pt', fill: LISA_COLORS[a.lisa.cluster[i]] });
    c.append(svg('title'));
    c.firstChild.textContent = a.units[i].name_fr;
    g.append(c);
  });
  g.append(svg('path', { d: `M${m.line[0][0]},${m.line[0][1]}L${m.line[1][0]},${m.line[1][1]}`, class: 'slope' }));
  box.append(g);
  box.setAttribute('aria-label', t('dash.moranAria', { I: roundValue(a.moran.I) }));
}

async function profile(code) {
  if (!code) return null;
  if (!state.profiles[code]) state.profiles[code] = await getJSON(`${API}units/${form().level}/${encodeURIComponent(code)}/`);
  return state.profiles[code];
}

function seriesOf(p) {
  const f = form();
  return p?.indicators.find((s) => s.indicator === f.indicator && s.dimension === (f.dimension ?? '')) || null;
}

async function renderSeries() {
  const box = $('#dash-series');
  box.replaceChildren();
  const code = state.selected || state.analysis?.units[0]?.unit_code;
  const s = seriesOf(await profile(code).catch(() => null));
  if (!s) return;
  const ts = timeSeries(s.values, 280, 140);
  const g = svg('g', { transform: 'translate(30,15)' });
  g.append(svg('rect', { x: 0, y: 0, width: 280, height: 140, class: 'frame' }));
  g.append(svg('path', { d: ts.path, class: 'series' }));
  ts.points.forEach(([x, y], i) => {
    g.append(svg('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: 3, class: 'pt' }));
    const label = svg('text', { x: x.toFixed(1), y: 155, class: 'tick' });
    label.textContent = ts.rows[i].period;
    if (i === 0 || i === ts.rows.length - 1) g.append(label);
  });
  box.append(g);
}

// --- measures, profile, comparison, priority ---------------------------------------------------

function row(label, ...cells) {
  return h('tr', {}, h('th', { scope: 'row' }, label), ...cells.map((c) => h('td', {}, c)));
}

function renderMeasures() {
  const a = state.analysis;
  const table = $('#dash-measures');
  if (!a) {
    table.replaceChildren();
    return;
  }
  const u = a.unweighted;
  const w = a.weighted;
  const dec = a.theil_decomposition_weighted || a.theil_decomposition;
  table.replaceChildren(
    h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', { scope: 'col' }, t('dash.units')), h('th', { scope: 'col' }, t('dash.weighted')))),
    row('Gini', roundValue(u.gini), roundValue(w?.gini)),
    row('Theil T', roundValue(u.theil), roundValue(w?.theil)),
    row(t('dash.cv'), roundValue(u.cv), roundValue(w?.cv)),
    ...Object.keys(u.atkinson).map((e) => row(`Atkinson ε=${e}`, roundValue(u.atkinson[e]), roundValue(w?.atkinson[e]))),
    ...(dec ? dec.components.map((c) => row(`Theil ${t(`dash.${c.kind}`)} (${t(`dash.h.${c.level}`)})`, roundValue(c.value), `${roundValue(100 * c.share, 1)} %`)) : []),
    row(t('dash.spatialGini'), roundValue(a.spatial_gini?.wcg_share), `p = ${roundValue(a.spatial_gini?.p_sim)}`),
    row("Moran's I", roundValue(a.moran?.I), `p = ${roundValue(a.moran?.p_sim)}`),
    row(t('dash.seed'), String(a.options.seed), `${a.options.permutations} perm.`),
    row(t('dash.method'), a.method_version, a.indicator_method_version),
  );
  for (const fmt of ['gpkg', 'parquet', 'csv']) $(`#x-${fmt}`).href = `${API}export.${fmt}?${query({ permutations: 499 })}`;
}

async function renderProfile() {
  const box = $('#dash-profile');
  const p = await profile(state.selected).catch(() => null);
  if (!p) {
    box.replaceChildren();
    return;
  }
  const unit = state.analysis?.units.find((u) => u.unit_code === state.selected);
  box.replaceChildren(
    h('h3', {}, unit ? (state.lang === 'ar' ? unit.name_ar : unit.name_fr) : p.unit_code),
    h('table', { class: 'dash-table' }, ...p.indicators.map((s) => {
      const last = s.values.at(-1);
      return row(`${name(s)}${s.dimension ? ` · ${t(`dash.dim.${s.dimension}`)}` : ''}`, `${roundValue(last.value)} ${s.unit}`, last.period);
    })),
  );
}

async function renderCompare() {
  const units = state.analysis?.units || [];
  const codes = units.map((u) => u.unit_code);
  const labels = units.map((u) => (state.lang === 'ar' ? u.name_ar : u.name_fr));
  options($('#f-a'), codes, labels, $('#f-a').value || codes[0]);
  options($('#f-b'), codes, labels, $('#f-b').value || codes[1]);
  const [pa, pb] = await Promise.all([profile($('#f-a').value), profile($('#f-b').value)]).catch(() => [null, null]);
  if (!pa || !pb) {
    $('#dash-compare').replaceChildren();
    return;
  }
  const latest = (p, s) => p.indicators.find((x) => x.indicator === s.indicator && x.dimension === s.dimension)?.values.at(-1);
  $('#dash-compare').replaceChildren(
    h('thead', {}, h('tr', {}, h('th', {}, ''), h('th', { scope: 'col' }, 'A'), h('th', { scope: 'col' }, 'B'))),
    ...pa.indicators.map((s) => row(`${name(s)}${s.dimension ? ` · ${t(`dash.dim.${s.dimension}`)}` : ''}`, roundValue(latest(pa, s)?.value), roundValue(latest(pb, s)?.value))),
  );
}

function renderPriority() {
  const a = state.analysis;
  const table = $('#dash-priority');
  if (!a) {
    table.replaceChildren();
    return;
  }
  // Most deprived first: the lowest values when higher is better, the highest otherwise.
  const sign = a.options.higher_is_better ? 1 : -1;
  const ranked = a.units.map((u, i) => ({ ...u, level: a.priority[i] })).sort((x, y) => x.level - y.level || sign * (x.value - y.value));
  table.replaceChildren(
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, t('dash.unit')), h('th', { scope: 'col' }, t('dash.value')), h('th', { scope: 'col' }, t('dash.priorityLevel')))),
    ...ranked.slice(0, 15).map((u) => h('tr', {}, h('td', {}, state.lang === 'ar' ? u.name_ar : u.name_fr), h('td', {}, roundValue(u.value)), h('td', {}, String(u.level)))),
  );
}

function selectUnit(code) {
  state.selected = code || null;
  renderMaps();
  renderProfile();
  renderSeries();
}

function renderAll() {
  renderMaps();
  renderLorenz();
  renderMoran();
  renderMeasures();
  renderPriority();
  renderSeries();
  renderProfile();
  renderCompare();
}

// --- start ----------------------------------------------------------------------------------

async function start() {
  for (const b of document.querySelectorAll('.lang-switch button')) b.addEventListener('click', () => setLang(b.dataset.lang));
  $('#f-indicator').addEventListener('change', () => { renderChoices(); refresh(); });
  $('#f-level').addEventListener('change', () => { state.selected = null; renderChoices(); refresh(); });
  $('#f-period').addEventListener('change', () => { renderChoices(); refresh(); });
  for (const id of ['#f-dimension', '#f-scheme', '#f-k', '#f-seed']) $(id).addEventListener('change', refresh);
  for (const id of ['#f-a', '#f-b']) $(id).addEventListener('change', renderCompare);
  $('#dash-controls').addEventListener('submit', (e) => e.preventDefault());
  try {
    state.catalogue = await getJSON(`${API}indicators/`);
  } catch (err) {
    $('#dash-status').textContent = t('dash.error', { detail: err.message });
  }
  setLang(state.lang);
  await initMaps();
  await refresh();
}

start();
