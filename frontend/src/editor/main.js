// The planners' zoning editor of one plan version: draw, reshape (with snapping to the
// neighbouring zones), split and merge zones with terra-draw on MapLibre; an attribute form;
// save through the editing API with If-Match; validation problems listed and shown on the map;
// a 412 shows the current state; the zone's history with restore; a diff layer against another
// version. Signed-in session; writes send the CSRF token from the `csrftoken` cookie.

import 'maplibre-gl/dist/maplibre-gl.css';
import '@fontsource/noto-sans/400.css';
import '@fontsource/noto-sans/700.css';
import '@fontsource/noto-sans-arabic/400.css';
import '@fontsource/noto-sans-arabic/700.css';
import '../inquiry/inquiry.css';
import './editor.css';

import * as maplibregl from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import { TerraDraw, TerraDrawLineStringMode, TerraDrawPolygonMode, TerraDrawSelectMode } from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';

import { h } from '../dom.js';
import { initialLang, MESSAGES, NUMBER_LOCALES, RTL_LANGS, translate } from '../i18n.js';
import { blankStyle, FAMILY_COLORS, fetchStyle, FONT_BOLD, withoutSources } from '../style.js';
import {
  bboxOf,
  boxesMeet,
  changedFields,
  commandFor,
  DIFF_COLORS,
  diffFillColor,
  diffLayers,
  editablePolygon,
  etagOf,
  formPayload,
  polygonsOf,
  problemPoints,
  restorable,
  RULE_FIELDS,
  RULE_LIMITS,
  uuid4,
} from './model.js';

maplibregl.setWorkerUrl(workerUrl);

const LANG_KEY = 'eu.lang';
const API = '/api/v1/planning';
const $ = (sel) => document.querySelector(sel);
const versionId = Number(location.pathname.match(/versions\/(\d+)/)?.[1]);

// Neighbours loaded into terra-draw for snapping: those near the edited zone, at most this many.
const MAX_SNAP_NEIGHBOURS = 400;
// How far around the edited zone (degrees, about 300 m) neighbours are snapping targets.
const SNAP_MARGIN_DEG = 0.003;
const EDIT_COLOR = '#1a56db';
const PROBLEM_COLOR = '#c51b1b';

const state = {
  lang: 'fr',
  context: null,
  zones: { type: 'FeatureCollection', features: [] },
  zone: null, // the selected zone as the API gave it (with its revision)
  isNew: false, // a drawn zone not saved yet
  drawnId: null, // the terra-draw feature being drawn or reshaped
  geometryChanged: false,
  command: null, // draw | reshape | split | merge
  problems: [],
  conflict: null,
  history: [],
  diff: null,
};
const t = (key, p) => translate(state.lang, key, p);
let map = null;
let draw = null;

function storedLang() {
  try {
    return localStorage.getItem(LANG_KEY);
  } catch {
    return null;
  }
}

function csrfToken() {
  return document.cookie.split('; ').find((c) => c.startsWith('csrftoken='))?.split('=')[1] || '';
}

async function call(path, { method = 'GET', body, etag } = {}) {
  const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (method !== 'GET') {
    init.headers['Content-Type'] = 'application/json';
    init.headers['X-CSRFToken'] = csrfToken();
    if (body !== undefined) init.body = JSON.stringify(body);
  }
  if (etag) init.headers['If-Match'] = etag;
  let response;
  try {
    response = await fetch(`${API}${path}`, init);
  } catch {
    return { ok: false, status: 0, data: null };
  }
  const data = await response.json().catch(() => null);
  return { ok: response.ok, status: response.status, data };
}

function say(message) {
  $('#ed-status').textContent = message || '';
}

function refusal(result) {
  if (result.status === 0) return t('ed.offline');
  return result.data?.detail || t('ed.failed', { status: result.status });
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
  renderTitle();
  renderCodes();
  renderRules();
  renderZoneState();
  renderProblems();
  renderConflict();
  renderHistory();
  renderDiffChoices();
  renderDiffLegend();
}

function renderTitle() {
  const ctx = state.context;
  if (!ctx) return;
  const name = state.lang === 'ar' ? ctx.document.name_ar || ctx.document.name_fr : ctx.document.name_fr;
  const title = t('ed.title', { name, number: ctx.number, label: ctx.label });
  $('#ed-title').textContent = title;
  document.title = `${title} — ${t('ed.kicker')}`;
}

// --- the attribute form ---------------------------------------------------------------------

function codeEntry(code) {
  return state.context?.codes.find((c) => c.code === code) || null;
}

function renderCodes() {
  const select = $('#f-code');
  const current = select.value;
  const options = (state.context?.codes || []).map((c) =>
    h('option', { value: c.code }, `${c.code} — ${state.lang === 'ar' ? c.label_ar || c.label_fr : c.label_fr}`),
  );
  select.replaceChildren(h('option', { value: '' }, t('ed.chooseCode')), ...options);
  select.value = current;
}

function renderRules() {
  const box = $('#ed-rules');
  const values = Object.fromEntries(RULE_FIELDS.map((f) => [f, box.querySelector(`[name=${f}]`)?.value ?? '']));
  const entry = codeEntry($('#f-code').value);
  const rows = RULE_FIELDS.map((name) => {
    const limit = entry && RULE_LIMITS[name] ? entry[RULE_LIMITS[name]] : null;
    const hintId = `f-${name}-hint`;
    return h(
      'div',
      { class: 'ed-rule' },
      h('label', { for: `f-${name}` }, t(`rule.${name}`)),
      h('input', { id: `f-${name}`, name, inputmode: 'decimal', value: values[name], 'aria-describedby': limit !== null ? hintId : null }),
      limit !== null && limit !== undefined ? h('span', { class: 'inq-hint', id: hintId }, t(name === 'min_lot_area_m2' ? 'ed.floor' : 'ed.limit', { limit })) : null,
    );
  });
  box.replaceChildren(...rows);
}

function fillForm(zone) {
  const form = $('#ed-form');
  form.hidden = false;
  $('#f-code').value = zone?.code || '';
  $('#f-family').value = zone?.family || '';
  $('#f-label_fr').value = zone?.label_fr || '';
  $('#f-label_ar').value = zone?.label_ar || '';
  renderRules();
  for (const name of RULE_FIELDS) $(`#f-${name}`).value = zone?.[name] ?? '';
  $('#f-repair').checked = false;
  const locked = !state.context?.editable;
  for (const el of form.elements) el.disabled = locked;
}

function onCodeChange() {
  // A code of the list brings its family and labels; the planner may then adjust the labels.
  const entry = codeEntry($('#f-code').value);
  if (entry) {
    $('#f-family').value = entry.family;
    if (!$('#f-label_fr').value || state.isNew) $('#f-label_fr').value = entry.label_fr;
    if (!$('#f-label_ar').value || state.isNew) $('#f-label_ar').value = entry.label_ar || '';
  }
  renderRules();
}

function formValues() {
  const data = Object.fromEntries(new FormData($('#ed-form')).entries());
  return formPayload(data);
}

function renderZoneState() {
  const box = $('#ed-zone-state');
  if (state.isNew) box.textContent = t('ed.newZone');
  else if (state.zone) box.textContent = t('ed.zoneState', { id: state.zone.id, key: state.zone.key, revision: state.zone.revision });
  else box.textContent = t(state.context && !state.context.editable ? 'ed.readOnly' : 'ed.noZone');
  if (!state.zone && !state.isNew) $('#ed-form').hidden = true;
}

// --- problems (inline and on the map) -------------------------------------------------------

function showProblems(problems) {
  state.problems = problems || [];
  map?.getSource('ed-problems')?.setData(problemPoints(state.problems));
  renderProblems();
}

function renderProblems() {
  const box = $('#ed-problems');
  const problems = state.problems;
  box.hidden = !problems.length;
  if (!problems.length) {
    box.replaceChildren();
    return;
  }
  const items = problems.map((p, i) =>
    h(
      'li',
      { 'data-code': p.code },
      h('span', { class: 'ed-problem-n', 'aria-hidden': 'true' }, String(i + 1)),
      h('span', { title: p.message }, problemText(p)),
      p.location ? h('button', { type: 'button', class: 'inq-link', onclick: () => flyTo(p.location.coordinates) }, t('ed.showOnMap')) : null,
    ),
  );
  box.replaceChildren(h('p', {}, h('strong', {}, t('ed.problems', { n: problems.length }))), h('ol', {}, items));
  $('#ed-repair-row').hidden = !problems.some((p) => p.code === 'geometry_invalid');
}

/** The problem in the page's language when its details allow it, else the server's words. */
function problemText(p) {
  const key = `ed.problem.${p.code}`;
  const area = p.details?.area_m2;
  if (!(key in MESSAGES[state.lang]) || typeof area !== 'number') return p.message;
  const number = new Intl.NumberFormat(NUMBER_LOCALES[state.lang], { maximumFractionDigits: 1 }).format(area);
  const other = zoneFeature(p.details.zone_id);
  return t(key, { area: number, zone: p.details.zone_id ?? '', code: other?.properties.code ?? '' });
}

function flyTo([lng, lat]) {
  map?.flyTo({ center: [lng, lat], zoom: Math.max(map.getZoom(), 16), duration: 0 });
}

// --- conflicts (412) ------------------------------------------------------------------------

function renderConflict() {
  const box = $('#ed-conflict');
  const c = state.conflict;
  box.hidden = !c;
  if (!c) {
    box.replaceChildren();
    return;
  }
  const current = c.current || {};
  box.replaceChildren(
    h('p', {}, h('strong', {}, t('ed.conflictTitle'))),
    h('p', {}, c.detail || ''),
    h('p', {}, t('ed.conflictNow', { code: current.code ?? '—', label: current.label_fr ?? '', revision: current.revision ?? '?' })),
    h('button', { type: 'button', class: 'ed-primary', id: 'ed-reload', onclick: () => reloadAfterConflict(current) }, t('ed.reload')),
  );
}

async function reloadAfterConflict(current) {
  state.conflict = null;
  renderConflict();
  stopGeometry();
  if (current?.id) await selectZone(current.id, { quiet: true });
  say(t('ed.reloaded'));
}

// --- zones on the map -----------------------------------------------------------------------

// A plan too big for one document (the API says `truncated`) is loaded view by view.
let bigPlan = false;

async function loadZones() {
  const query = bigPlan && map ? `?bbox=${viewBox().map((v) => v.toFixed(6)).join(',')}` : '';
  const result = await call(`/versions/${versionId}/zones.geojson${query}`);
  if (!result.ok) {
    say(refusal(result));
    return;
  }
  for (const f of result.data.features) f.bbox = bboxOf(f.geometry);
  state.zones = result.data;
  map?.getSource('ed-zones')?.setData(state.zones);
  if (result.data.truncated) {
    bigPlan = true;
    say(t('ed.truncated'));
  }
}

function zoneFeature(id) {
  return state.zones.features.find((f) => f.id === id) || null;
}

async function baseStyle() {
  // The basemap and territories of the served style; the plan itself comes from this version's
  // zones.
  try {
    const style = await fetchStyle({ origin: location.origin, lang: state.lang, plan: 'approved' });
    return withoutSources(style, ['zones', 'prescriptions']);
  } catch {
    return blankStyle(location.origin);
  }
}

function addEditorLayers() {
  map.addSource('ed-zones', { type: 'geojson', data: state.zones });
  const familyColor = ['match', ['get', 'family'], ...Object.entries(FAMILY_COLORS).flat(), '#bbbbbb'];
  map.addLayer({ id: 'ed-zones-fill', type: 'fill', source: 'ed-zones', paint: { 'fill-color': familyColor, 'fill-opacity': 0.45 } });
  // Drawn only while a diff is shown.
  map.addLayer({ id: 'ed-diff-fill', type: 'fill', source: 'ed-zones', layout: { visibility: 'none' }, paint: { 'fill-color': 'rgba(0,0,0,0)', 'fill-opacity': 0.75 } });
  map.addLayer({ id: 'ed-zones-line', type: 'line', source: 'ed-zones', paint: { 'line-color': '#333333', 'line-width': 0.8 } });
  map.addLayer({
    id: 'ed-zones-selected',
    type: 'line',
    source: 'ed-zones',
    filter: ['==', ['id'], -1],
    paint: { 'line-color': '#0b3c5d', 'line-width': 4 },
  });
  map.addLayer({
    id: 'ed-zones-label',
    type: 'symbol',
    source: 'ed-zones',
    minzoom: 14,
    layout: { 'text-field': ['get', 'code'], 'text-font': FONT_BOLD, 'text-size': 11 },
    paint: { 'text-color': '#222222', 'text-halo-color': '#ffffff', 'text-halo-width': 1.2 },
  });
  map.addSource('ed-removed', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
  map.addLayer({
    id: 'ed-removed',
    type: 'circle',
    source: 'ed-removed',
    paint: { 'circle-color': DIFF_COLORS.removed, 'circle-radius': 6, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2 },
  });
  map.addSource('ed-problems', { type: 'geojson', data: problemPoints([]) });
  map.addLayer({
    id: 'ed-problems',
    type: 'circle',
    source: 'ed-problems',
    paint: { 'circle-color': PROBLEM_COLOR, 'circle-radius': 11, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 2 },
  });
  map.addLayer({
    id: 'ed-problems-n',
    type: 'symbol',
    source: 'ed-problems',
    layout: { 'text-field': ['get', 'n'], 'text-font': FONT_BOLD, 'text-size': 12, 'text-allow-overlap': true },
    paint: { 'text-color': '#ffffff' },
  });
}

function highlight(id) {
  map?.setFilter('ed-zones-selected', ['==', ['id'], id ?? -1]);
}

async function initMap() {
  const ctx = state.context;
  const style = await baseStyle();
  try {
    map = new maplibregl.Map({
      container: 'ed-map',
      style,
      bounds: ctx.bbox,
      fitBoundsOptions: { padding: 8 },
      maxZoom: 20,
      attributionControl: false,
      dragRotate: false,
      pitchWithRotate: false,
      touchPitch: false,
      doubleClickZoom: false,
    });
  } catch (err) {
    console.error(err);
    $('#ed-map').replaceChildren(h('p', { class: 'inq-error', role: 'alert' }, t('ed.noWebGL')));
    return;
  }
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.AttributionControl({ compact: true }), 'bottom-right');
  window.euEditorMap = map;
  await new Promise((resolve) => map.on('load', resolve));
  addEditorLayers();
  startDraw();
  map.on('click', onMapClick);
  // Reloading while a shape is being edited would drop its neighbours: wait until it is done.
  map.on('moveend', () => {
    if (bigPlan && !state.command) loadZones();
  });
}

// --- terra-draw -----------------------------------------------------------------------------

const SNAP_TO_NEIGHBOURS = {
  toFeature: { filter: (f) => f.properties?.mode === 'neighbour', toCoordinate: true, toLine: true },
};

function startDraw() {
  const neighbourStyle = { fillOpacity: 0, outlineOpacity: 0, outlineWidth: 0 };
  draw = new TerraDraw({
    adapter: new TerraDrawMapLibreGLAdapter({ map }),
    modes: [
      new TerraDrawPolygonMode({
        snapping: SNAP_TO_NEIGHBOURS,
        styles: { fillColor: EDIT_COLOR, fillOpacity: 0.3, outlineColor: EDIT_COLOR, outlineWidth: 3, snappingPointColor: '#f0a202' },
      }),
      // The neighbours of the edited zone, invisible and inert: only snapping targets.
      new TerraDrawPolygonMode({ modeName: 'neighbour', styles: neighbourStyle }),
      new TerraDrawLineStringMode({ styles: { lineStringColor: '#c51b1b', lineStringWidth: 3 } }),
      new TerraDrawSelectMode({
        // Our own shortcuts own Delete and Escape (the feature must survive until saved).
        keyEvents: { deselect: null, delete: null, rotate: null, scale: null },
        flags: {
          polygon: {
            feature: {
              draggable: false,
              coordinates: { draggable: true, midpoints: true, deletable: true, snappable: SNAP_TO_NEIGHBOURS },
            },
          },
        },
        styles: { selectedPolygonColor: EDIT_COLOR, selectedPolygonOutlineColor: EDIT_COLOR, selectedPolygonFillOpacity: 0.3 },
      }),
    ],
  });
  draw.start();
  draw.on('finish', onDrawFinish);
  draw.on('change', (ids, type) => {
    if (state.drawnId && ids.includes(state.drawnId) && type === 'update') state.geometryChanged = true;
  });
  window.euEditorDraw = draw;
}

function loadNeighbours(around, exceptId) {
  const box = [around[0] - SNAP_MARGIN_DEG, around[1] - SNAP_MARGIN_DEG, around[2] + SNAP_MARGIN_DEG, around[3] + SNAP_MARGIN_DEG];
  const features = state.zones.features
    .filter((f) => f.id !== exceptId && boxesMeet(f.bbox, box))
    .slice(0, MAX_SNAP_NEIGHBOURS)
    .flatMap((f) => polygonsOf(f.geometry).map((geometry) => ({ type: 'Feature', id: uuid4(), geometry, properties: { mode: 'neighbour' } })));
  const results = draw.addFeatures(features);
  return results.filter((r) => r.valid).length;
}

function viewBox() {
  const b = map.getBounds();
  return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()];
}

function setCommand(command) {
  state.command = command;
  for (const b of document.querySelectorAll('[data-command]')) {
    if (b.hasAttribute('aria-pressed')) b.setAttribute('aria-pressed', String(b.dataset.command === command));
  }
}

/** Drop what terra-draw holds (drawn shape, neighbours) and go back to plain map clicks. */
function stopGeometry() {
  if (draw) {
    draw.setMode('static');
    draw.clear();
  }
  state.drawnId = null;
  state.geometryChanged = false;
  setCommand(null);
  map?.setFilter('ed-zones-fill', null);
}

function onDrawFinish(id, context) {
  const feature = draw.getSnapshotFeature(id);
  if (!feature) return;
  if (state.command === 'draw' && feature.geometry.type === 'Polygon') {
    state.drawnId = id;
    state.geometryChanged = true;
    draw.setMode('select');
    draw.selectFeature(id);
    say(t('ed.drawn'));
    $('#f-code').focus();
  } else if (state.command === 'split' && feature.geometry.type === 'LineString') {
    splitAlong(feature.geometry);
  } else if (context?.action === 'dragCoordinate' || context?.action === 'dragCoordinateResize') {
    state.geometryChanged = true;
  }
}

// --- commands -------------------------------------------------------------------------------

function needsEditable() {
  if (state.context?.editable) return true;
  say(t('ed.readOnly'));
  return false;
}

function needsZone() {
  if (state.zone) return true;
  say(t('ed.chooseFirst'));
  return false;
}

function startNewZone() {
  if (!needsEditable() || !draw) return;
  stopGeometry();
  selectNothing();
  state.isNew = true;
  fillForm(null);
  renderZoneState();
  setCommand('draw');
  loadNeighbours(viewBox(), null);
  draw.setMode('polygon');
  say(t('ed.drawHowTo'));
}

function startReshape() {
  if (!needsEditable() || !needsZone() || !draw) return;
  const polygon = editablePolygon(state.zone.geometry);
  if (!polygon) {
    say(t('ed.multiPart'));
    return;
  }
  stopGeometry();
  setCommand('reshape');
  loadNeighbours(bboxOf(polygon), state.zone.id);
  const id = uuid4();
  const [result] = draw.addFeatures([{ type: 'Feature', id, geometry: polygon, properties: { mode: 'polygon' } }]);
  if (!result?.valid) {
    say(t('ed.cannotReshape', { reason: result?.reason || '' }));
    stopGeometry();
    return;
  }
  state.drawnId = id;
  state.geometryChanged = false;
  // The zone's own fill would hide the edited shape under it.
  map.setFilter('ed-zones-fill', ['!=', ['id'], state.zone.id]);
  draw.setMode('select');
  draw.selectFeature(id);
  say(t('ed.reshapeHowTo'));
}

function startSplit() {
  if (!needsEditable() || !needsZone() || !draw) return;
  stopGeometry();
  setCommand('split');
  draw.setMode('linestring');
  say(t('ed.splitHowTo'));
}

async function splitAlong(line) {
  const zone = state.zone;
  say(t('ed.saving'));
  const result = await call(`/zones/${zone.id}/split/`, { method: 'POST', body: { line }, etag: etagOf(zone) });
  stopGeometry();
  if (!handleWriteFailure(result)) return;
  await loadZones();
  await selectZone(zone.id, { quiet: true });
  say(t('ed.split', { n: result.data.zones.length }));
}

function startMerge() {
  if (!needsEditable() || !needsZone()) return;
  stopGeometry();
  setCommand('merge');
  say(t('ed.mergeHowTo', { code: state.zone.code }));
}

async function mergeWith(otherId) {
  const zone = state.zone;
  const other = zoneFeature(otherId);
  setCommand(null);
  if (!other || otherId === zone.id) {
    say(t('ed.mergeCancelled'));
    return;
  }
  if (!window.confirm(t('ed.mergeConfirm', { other: other.properties.code, key: other.properties.key, code: zone.code }))) {
    say(t('ed.mergeCancelled'));
    return;
  }
  const body = { other: otherId, other_revision: other.properties.revision };
  const result = await call(`/zones/${zone.id}/merge/`, { method: 'POST', body, etag: etagOf(zone) });
  if (!handleWriteFailure(result)) return;
  await loadZones();
  await selectZone(zone.id, { quiet: true });
  say(t('ed.merged'));
}

async function removeZone() {
  if (!needsEditable() || !needsZone()) return;
  const zone = state.zone;
  if (!window.confirm(t('ed.removeConfirm', { code: zone.code, key: zone.key }))) return;
  const result = await call(`/zones/${zone.id}/`, { method: 'DELETE', etag: etagOf(zone) });
  if (!handleWriteFailure(result)) return;
  stopGeometry();
  selectNothing();
  await loadZones();
  say(t('ed.removed', { key: zone.key }));
}

function cancel() {
  const had = state.command || state.isNew;
  stopGeometry();
  if (state.isNew) {
    state.isNew = false;
    selectNothing();
  } else if (state.zone) fillForm(state.zone);
  showProblems([]);
  if (had) say(t('ed.cancelled'));
}

/** A refused write: problems inline and on the map, 412 with the current state. */
function handleWriteFailure(result) {
  if (result.ok) {
    showProblems([]);
    return true;
  }
  if (result.status === 412) {
    state.conflict = result.data || {};
    renderConflict();
    say(t('ed.conflictTitle'));
    $('#ed-reload')?.focus();
    return false;
  }
  showProblems(result.data?.problems || []);
  say(refusal(result));
  return false;
}

async function save() {
  if (!needsEditable()) return;
  if (!state.isNew && !state.zone) {
    say(t('ed.chooseFirst'));
    return;
  }
  const values = formValues();
  if (!values.code) {
    say(t('ed.codeRequired'));
    $('#f-code').focus();
    return;
  }
  const body = { ...values, repair: $('#f-repair').checked };
  const shape = state.drawnId ? draw.getSnapshotFeature(state.drawnId)?.geometry : null;
  if (state.isNew && !shape) {
    say(t('ed.drawFirst'));
    return;
  }
  if (shape && (state.isNew || state.geometryChanged)) body.geometry = shape;
  say(t('ed.saving'));
  const result = state.isNew
    ? await call(`/versions/${versionId}/zones/`, { method: 'POST', body })
    : await call(`/zones/${state.zone.id}/`, { method: 'PATCH', body, etag: etagOf(state.zone) });
  if (!handleWriteFailure(result)) return;
  stopGeometry();
  state.isNew = false;
  await loadZones();
  await selectZone(result.data.id, { quiet: true });
  say(t('ed.saved', { key: result.data.key, revision: result.data.revision }));
}

// --- selection and history ------------------------------------------------------------------

function selectNothing() {
  state.zone = null;
  state.history = [];
  state.conflict = null;
  highlight(null);
  renderZoneState();
  renderConflict();
  renderHistory();
}

async function selectZone(id, { quiet = false } = {}) {
  const result = await call(`/zones/${id}/`);
  if (!result.ok) {
    say(refusal(result));
    return;
  }
  state.zone = result.data;
  state.isNew = false;
  state.conflict = null;
  highlight(id);
  fillForm(state.zone);
  renderZoneState();
  renderConflict();
  showProblems([]);
  await loadHistory();
  if (!quiet) say(t('ed.selected', { code: state.zone.code, key: state.zone.key }));
}

async function loadHistory() {
  if (!state.zone) return;
  const result = await call(`/zones/${state.zone.id}/history/`);
  state.history = result.ok ? result.data : [];
  renderHistory();
}

function fieldLabel(name) {
  if (name === 'geom') return t('ed.geometry');
  return RULE_FIELDS.includes(name) ? t(`rule.${name}`) : t(`ed.field.${name}`);
}

function formatDate(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime())
    ? iso
    : new Intl.DateTimeFormat(state.lang === 'ar' ? 'ar-MA' : 'fr-FR', { dateStyle: 'short', timeStyle: 'medium', numberingSystem: 'latn' }).format(d);
}

function renderHistory() {
  const list = $('#ed-history');
  if (!state.zone) {
    list.replaceChildren(h('li', { class: 'inq-hint' }, t('ed.historyNone')));
    return;
  }
  const items = state.history.map((event) => {
    const fields = changedFields(event).map(fieldLabel);
    return h(
      'li',
      { 'data-action': event.action, 'data-event': event.id },
      h('strong', {}, t(`ed.action.${event.action}`)),
      ' — ',
      event.actor || t('ed.system'),
      ', ',
      h('time', { datetime: event.at }, formatDate(event.at)),
      fields.length && event.action === 'zone_update' ? h('div', { class: 'inq-hint' }, t('ed.changed', { fields: fields.join(', ') })) : null,
      restorable(event) && state.context?.editable
        ? h('button', { type: 'button', class: 'inq-link', onclick: () => restore(event) }, t('ed.restore'))
        : null,
    );
  });
  list.replaceChildren(...(items.length ? items : [h('li', { class: 'inq-hint' }, t('ed.historyEmpty'))]));
}

async function restore(event) {
  if (!window.confirm(t('ed.restoreConfirm', { at: formatDate(event.at) }))) return;
  const result = await call(`/zones/${state.zone.id}/restore/${event.id}/`, { method: 'POST', body: {} });
  if (!handleWriteFailure(result)) return;
  stopGeometry();
  await loadZones();
  await selectZone(state.zone.id, { quiet: true });
  say(t('ed.restored'));
}

async function onMapClick(e) {
  if (state.command === 'draw' || state.command === 'split' || state.command === 'reshape') return; // the click belongs to terra-draw
  const hit = map.queryRenderedFeatures(e.point, { layers: ['ed-zones-fill'] })[0];
  if (state.command === 'merge') {
    if (hit) await mergeWith(hit.id);
    return;
  }
  if (state.isNew) return;
  if (hit) await selectZone(hit.id);
}

async function findZone(text) {
  const value = text.trim().replace(/^#/, '');
  const match = state.zones.features.find((f) => String(f.id) === value || f.properties.key === value);
  if (!match) {
    say(t('ed.notFound', { value }));
    return;
  }
  const [w, s, e, n] = match.bbox;
  map?.fitBounds([[w, s], [e, n]], { padding: 60, duration: 0, maxZoom: 17 });
  await selectZone(match.id);
  $('#ed-form').focus();
}

// --- the diff layer -------------------------------------------------------------------------

function renderDiffChoices() {
  const select = $('#ed-diff-version');
  const current = select.value;
  const versions = state.context?.versions || [];
  select.replaceChildren(...versions.map((v) => h('option', { value: v.id }, t('ed.versionOption', { number: v.number, label: v.label, stage: t(`ed.stage.${v.stage}`) }))));
  if (current) select.value = current;
  else if (state.context?.parent) select.value = String(state.context.parent);
}

async function showDiff(otherId) {
  const result = await call(`/versions/${otherId}/diff/${versionId}/`);
  if (!result.ok) {
    say(refusal(result));
    return;
  }
  state.diff = result.data;
  const layers = diffLayers(result.data);
  map.setPaintProperty('ed-diff-fill', 'fill-color', diffFillColor(layers));
  map.setLayoutProperty('ed-diff-fill', 'visibility', 'visible');
  map.getSource('ed-removed').setData(layers.removed);
  renderDiffLegend();
}

function clearDiff() {
  state.diff = null;
  map?.setLayoutProperty('ed-diff-fill', 'visibility', 'none');
  map?.getSource('ed-removed')?.setData({ type: 'FeatureCollection', features: [] });
  renderDiffLegend();
}

function renderDiffLegend() {
  const legend = $('#ed-diff-legend');
  const diff = state.diff;
  legend.hidden = !diff;
  $('#ed-diff-summary').textContent = diff ? t('ed.diffSummary', { ...diff.summary, number: diff.old.number }) : '';
  if (!diff) return;
  const row = (kind, shape) =>
    h('li', {}, h('span', { class: `ed-swatch ed-swatch-${shape}`, style: { background: DIFF_COLORS[kind] } }), `${t(`ed.diff.${kind}`)} (${diff.summary[kind]})`);
  legend.replaceChildren(
    h('p', {}, h('strong', {}, t('ed.diffLegend', { number: diff.old.number }))),
    h('ul', {}, row('added', 'box'), row('modified', 'box'), row('removed', 'dot')),
  );
}

// --- import in the background, with progress ---------------------------------------------

// How often (ms) the page asks for the progress of an import job.
const IMPORT_POLL_MS = 500;

async function startImport(form) {
  const file = $('#ed-import-file').files[0];
  if (!file) {
    $('#ed-import-state').textContent = t('ed.importNoFile');
    return;
  }
  const data = new FormData(form);
  if (!$('#ed-import-dry').checked) {
    if (!window.confirm(t('ed.importConfirm', { file: file.name }))) return;
    data.delete('dry_run');
  }
  showImport({ status: 'queued', percent: null });
  let response;
  try {
    response = await fetch(`${API}/versions/${versionId}/import-jobs/`, {
      method: 'POST',
      body: data,
      credentials: 'same-origin',
      headers: { Accept: 'application/json', 'X-CSRFToken': csrfToken() },
    });
  } catch {
    $('#ed-import-state').textContent = t('ed.offline');
    return;
  }
  const job = await response.json().catch(() => null);
  if (!response.ok) {
    $('#ed-import-progress').hidden = true;
    $('#ed-import-state').textContent = refusal({ status: response.status, data: job });
    return;
  }
  await followImport(job.id);
}

async function followImport(jobId) {
  for (;;) {
    const result = await call(`/import-jobs/${jobId}/`);
    if (!result.ok) {
      $('#ed-import-state').textContent = refusal(result);
      return;
    }
    showImport(result.data);
    if (result.data.status === 'succeeded' || result.data.status === 'failed') break;
    await new Promise((resolve) => setTimeout(resolve, IMPORT_POLL_MS));
  }
}

function showImport(job) {
  const bar = $('#ed-import-progress');
  bar.hidden = false;
  // No percentage yet (reading the file): an indeterminate bar.
  if (job.percent === null || job.percent === undefined) bar.removeAttribute('value');
  else bar.value = job.percent;
  const box = $('#ed-import-state');
  box.dataset.status = job.status;
  if (job.status === 'failed') {
    const problems = job.error?.problems?.length ? ` ${t('ed.importProblems', { n: job.error.problems.length })}` : '';
    box.textContent = `${job.error?.detail || t('ed.importFailed')}${problems}`;
  } else if (job.status === 'succeeded') {
    const r = job.result;
    const summary = Object.values(r.report?.summary || {}).reduce((a, b) => a + b, 0);
    box.textContent = t(r.written ? 'ed.importWritten' : 'ed.importChecked', { n: r.features, crs: r.source_crs, problems: summary });
    if (r.written) loadZones();
  } else {
    box.textContent = t('ed.importRunning', { phase: t(`ed.phase.${job.phase || 'queued'}`), done: job.done ?? 0, total: job.total ?? '…' });
  }
}

// --- keyboard and wiring --------------------------------------------------------------------

const COMMANDS = {
  draw: startNewZone,
  reshape: startReshape,
  split: startSplit,
  merge: startMerge,
  remove: removeZone,
  cancel,
  save,
  history: () => $('#ed-history-title').focus(),
};

function onKey(event) {
  const target = event.target;
  const inField = target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName));
  const command = commandFor({ key: event.key, ctrlKey: event.ctrlKey, metaKey: event.metaKey, altKey: event.altKey, inField });
  if (!command) return;
  event.preventDefault();
  COMMANDS[command]();
}

function wire() {
  for (const b of document.querySelectorAll('.lang-switch button')) b.addEventListener('click', () => setLang(b.dataset.lang));
  for (const b of document.querySelectorAll('[data-command]')) b.addEventListener('click', () => COMMANDS[b.dataset.command]());
  $('#f-code').addEventListener('change', onCodeChange);
  $('#ed-form').addEventListener('submit', (e) => {
    e.preventDefault();
    save();
  });
  $('#ed-find').addEventListener('submit', (e) => {
    e.preventDefault();
    findZone($('#ed-find-input').value);
  });
  $('#ed-diff').addEventListener('submit', (e) => {
    e.preventDefault();
    if ($('#ed-diff-version').value) showDiff($('#ed-diff-version').value);
  });
  $('#ed-diff-clear').addEventListener('click', clearDiff);
  $('#ed-import').addEventListener('submit', (e) => {
    e.preventDefault();
    startImport(e.target);
  });
  document.addEventListener('keydown', onKey);
}

async function main() {
  state.lang = initialLang(location.search, storedLang()) === 'ar' ? 'ar' : 'fr';
  wire();
  const result = await call(`/versions/${versionId}/`);
  if (!result.ok) {
    setLang(state.lang);
    say(refusal(result));
    return;
  }
  state.context = result.data;
  $('#ed-report').href = `/planning/versions/${versionId}/report/`;
  setLang(state.lang);
  for (const b of document.querySelectorAll('[data-command], #ed-import button')) {
    if (b.dataset.command !== 'cancel') b.disabled = !state.context.editable;
  }
  await loadZones();
  await initMap();
  document.body.dataset.ready = 'true';
}

main();
