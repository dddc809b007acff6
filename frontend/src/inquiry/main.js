// The citizen portal of one public inquiry: dossier, draft plan map with "what changes here?",
// place search, drawing, the observation form, the receipt and the published observations.
// Everything (tiles, glyphs, fonts, API) comes from this page's origin.

import 'maplibre-gl/dist/maplibre-gl.css';
import '@fontsource/noto-sans/400.css';
import '@fontsource/noto-sans/700.css';
import '@fontsource/noto-sans-arabic/400.css';
import '@fontsource/noto-sans-arabic/700.css';
import './inquiry.css';

import * as maplibregl from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';
import {
  TerraDraw,
  TerraDrawLineStringMode,
  TerraDrawPointMode,
  TerraDrawPolygonMode,
} from 'terra-draw';
import { TerraDrawMapLibreGLAdapter } from 'terra-draw-maplibre-gl-adapter';

import { h } from '../dom.js';
import { initialLang, translate } from '../i18n.js';
import { addClusteredPoints, applyLang, storedLang } from '../page.js';
import { hatchImage } from '../patterns.js';
import { blankStyle, DEFAULT_CENTER, DEFAULT_ZOOM, fetchStyle, HATCHES, withoutSources } from '../style.js';
import { centroid, observationPoints, wallClock } from './geo.js';
import { THEMES } from './themes.js';

maplibregl.setWorkerUrl(workerUrl);

const $ = (sel) => document.querySelector(sel);
const params = new URLSearchParams(location.search);
const inquiryId = Number(location.pathname.match(/enquete\/(\d+)/)?.[1] || params.get('id'));

const state = {
  lang: initialLang(location.search, storedLang()) === 'ar' ? 'ar' : 'fr',
  inquiry: null,
  geometry: null,
  drawMode: null,
  published: null,
  receipt: null,
};
const t = (key, p) => translate(state.lang, key, p);
let map = null;
let draw = null;

// --- language -------------------------------------------------------------------------------

function setLang(lang) {
  state.lang = lang;
  applyLang(lang, t);
  renderThemes();
  renderInquiry();
  renderDrawState();
  renderPublished();
  renderReceipt();
}

function dateTime(iso) {
  return wallClock(iso, state.lang);
}

// --- the inquiry and its dossier ------------------------------------------------------------

function renderInquiry() {
  const inq = state.inquiry;
  if (!inq) return;
  const title = state.lang === 'ar' ? inq.title_ar || inq.title_fr : inq.title_fr;
  $('#inq-title').textContent = title;
  document.title = `${title} — e-urbanisme`;
  const status = $('#inq-status');
  status.dataset.status = inq.status;
  const keys = { open: 'inq.statusOpen', scheduled: 'inq.statusScheduled' };
  status.textContent = t(keys[inq.status] || 'inq.statusClosed', {
    opens: dateTime(inq.opens_at),
    closes: dateTime(inq.closes_at),
  });
  $('#inq-form').hidden = inq.status !== 'open';
  const docs = inq.dossier.map((doc) =>
    h(
      'li',
      {},
      h('span', { class: 'inq-doc-title' }, doc.title),
      h('button', { type: 'button', class: 'inq-link', onclick: () => openViewer(doc.url) }, t('inq.view')),
      h('a', { href: doc.url, download: '' }, t('inq.download')),
    ),
  );
  $('#inq-docs').replaceChildren(...(docs.length ? docs : [h('li', {}, t('inq.noDocs'))]));
  const places = (inq.places || []).flatMap((p) => [h('dt', {}, p.name || ''), h('dd', {}, [p.address, p.hours].filter(Boolean).join(' — '))]);
  $('#inq-places').replaceChildren(...places);
}

function openViewer(url) {
  $('#inq-viewer-frame').src = url;
  $('#inq-viewer').hidden = false;
}

async function loadInquiry() {
  const response = await fetch(`/api/v1/inquiries/${inquiryId}/`, { headers: { Accept: 'application/json' } });
  if (!response.ok) {
    $('#inq-status').textContent = t('inq.notFound');
    return false;
  }
  state.inquiry = await response.json();
  renderInquiry();
  return true;
}

// --- the map --------------------------------------------------------------------------------

async function fetchTileJSON(name) {
  try {
    const response = await fetch(`/tiles/${name}.json`);
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

async function initMap() {
  const [zonesDoc, style] = await Promise.all([
    fetchTileJSON('zones'),
    fetchStyle({ origin: location.origin, lang: state.lang, plan: 'draft' })
      // This page draws the observations itself (its own sources, below).
      .then((served) => withoutSources(served, ['observations']))
      .catch(() => blankStyle(location.origin)),
  ]);
  const bounds = zonesDoc?.bounds;
  const view = bounds?.length === 4 ? { bounds, fitBoundsOptions: { padding: 8 } } : { center: DEFAULT_CENTER, zoom: DEFAULT_ZOOM };
  try {
    map = new maplibregl.Map({ container: 'inq-map', style, ...view, minZoom: 7, maxZoom: 19, attributionControl: false, dragRotate: false, pitchWithRotate: false, touchPitch: false });
  } catch (err) {
    console.error(err);
    $('#inq-map').replaceChildren(h('p', { class: 'inq-error', role: 'alert' }, t('inq.noWebGL')));
    return;
  }
  map.touchZoomRotate.disableRotation();
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.AttributionControl({ compact: true }), 'bottom-right');
  map.setMissingStyleImageResolver((id) => {
    const spec = HATCHES[id];
    if (spec && !map.hasImage(id)) {
      const { image, pixelRatio } = hatchImage(spec);
      map.addImage(id, image, { pixelRatio });
    }
  });
  window.euInquiryMap = map;
  map.on('load', () => {
    // The compact attribution starts unfolded, over the map on a phone: fold it.
    map.getContainer().querySelector('.maplibregl-ctrl-attrib')?.classList.remove('maplibregl-compact-show');
    addObservationLayers();
    startDrawing();
    map.on('click', onMapClick);
  });
}

function addObservationLayers() {
  // The heat map comes from the observations tiles (publish.observations), the clusters and
  // points from the published list of this inquiry: both carry only what the public may see.
  map.addSource('observations-tiles', { type: 'vector', url: `${location.origin}/tiles/observations.json` });
  map.addLayer({
    id: 'observations-heat',
    type: 'heatmap',
    source: 'observations-tiles',
    'source-layer': 'observations',
    maxzoom: 16,
    filter: ['==', ['get', 'inquiry_id'], inquiryId],
    paint: {
      // Below z14 the tiles carry clusters: weigh each by its number of observations.
      'heatmap-weight': ['coalesce', ['get', 'point_count'], 1],
      'heatmap-radius': ['interpolate', ['linear'], ['zoom'], 10, 14, 15, 36],
      'heatmap-opacity': ['interpolate', ['linear'], ['zoom'], 12, 0.75, 16, 0],
    },
  });
  addClusteredPoints(map, 'observations', observationPoints(state.published));
}

function startDrawing() {
  draw = new TerraDraw({
    adapter: new TerraDrawMapLibreGLAdapter({ map }),
    modes: [
      new TerraDrawPointMode({ styles: { pointColor: '#1a56db', pointWidth: 7, pointOutlineColor: '#ffffff', pointOutlineWidth: 2 } }),
      new TerraDrawLineStringMode({ styles: { lineStringColor: '#1a56db', lineStringWidth: 4 } }),
      new TerraDrawPolygonMode({ styles: { fillColor: '#1a56db', fillOpacity: 0.25, outlineColor: '#1a56db', outlineWidth: 3 } }),
    ],
  });
  draw.start();
  // One drawing per observation: a new finished shape replaces the previous one.
  draw.on('finish', (id) => {
    const feature = draw.getSnapshotFeature(id);
    const others = draw.getSnapshot().filter((f) => f.id !== id).map((f) => f.id);
    if (others.length) draw.removeFeatures(others);
    state.geometry = feature ? feature.geometry : null;
    renderDrawState();
  });
  window.euInquiryDraw = draw;
}

function setDrawMode(mode) {
  if (!draw) return;
  state.drawMode = state.drawMode === mode ? null : mode;
  draw.setMode(state.drawMode || 'static');
  for (const b of document.querySelectorAll('[data-draw]')) b.setAttribute('aria-pressed', String(b.dataset.draw === state.drawMode));
  renderDrawState();
}

function clearDrawing() {
  draw?.clear();
  state.geometry = null;
  renderDrawState();
}

function renderDrawState() {
  const kinds = { Point: 'inq.drawnPoint', LineString: 'inq.drawnLine', Polygon: 'inq.drawnPolygon' };
  let text = t('inq.drawNone');
  if (state.geometry) text = t(kinds[state.geometry.type]);
  else if (state.drawMode === 'polygon' || state.drawMode === 'linestring') text = t('inq.drawHowTo');
  else if (state.drawMode === 'point') text = t('inq.drawHowToPoint');
  $('#draw-state').textContent = text;
}

async function onMapClick(e) {
  if (state.drawMode) return; // the click belongs to the drawing
  const inq = state.inquiry;
  if (!inq?.compare_with) return;
  const { lng, lat } = e.lngLat;
  const url = `/api/v1/planning/versions/${inq.compare_with}/diff/${inq.version}/at/?lon=${lng.toFixed(6)}&lat=${lat.toFixed(6)}`;
  const response = await fetch(url);
  if (!response.ok) return;
  renderChanges(await response.json());
}

function zoneLabel(zone) {
  if (!zone) return t('inq.noZone');
  const label = state.lang === 'ar' ? zone.label_ar || zone.label_fr : zone.label_fr;
  return `${zone.code} — ${label}`;
}

function renderChanges(diff) {
  const box = $('#inq-changes');
  const rows = Object.entries(diff.changes || {}).map(([rule, c]) => h('li', {}, `${t(`rule.${rule}`)} : ${c.before ?? '—'} → ${c.after ?? '—'}`));
  box.replaceChildren(
    h('h3', {}, t('inq.changesTitle')),
    h('p', {}, h('strong', {}, t('inq.before')), ' ', zoneLabel(diff.before.zone)),
    h('p', {}, h('strong', {}, t('inq.after')), ' ', zoneLabel(diff.after.zone)),
    diff.changed ? h('ul', {}, rows) : h('p', {}, t('inq.unchanged')),
  );
  box.hidden = false;
}

// --- place search (the system's own gazetteer) ----------------------------------------------

let searchTimer = null;
async function search(q) {
  const list = $('#inq-search-results');
  if (q.trim().length < 2) {
    list.replaceChildren();
    return;
  }
  const response = await fetch(`/api/v1/inquiries/gazetteer/?inquiry=${inquiryId}&q=${encodeURIComponent(q.trim())}`);
  if (!response.ok) return;
  const { results } = await response.json();
  list.replaceChildren(
    ...results.map((r) =>
      h(
        'li',
        { role: 'option' },
        h('button', { type: 'button', onclick: () => goTo(r) }, `${state.lang === 'ar' ? r.name_ar || r.name_fr : r.name_fr} (${t(`inq.level.${r.level}`)})`),
      ),
    ),
    ...(results.length ? [] : [h('li', { class: 'inq-hint' }, t('inq.noPlace'))]),
  );
}

function goTo(place) {
  $('#inq-search-results').replaceChildren();
  $('#inq-search-input').value = state.lang === 'ar' ? place.name_ar || place.name_fr : place.name_fr;
  const [w, s, e, n] = place.bbox;
  map?.fitBounds([[w, s], [e, n]], { padding: 16, duration: 0 });
  $('#inq-map').scrollIntoView({ block: 'center' });
}

// --- the observation form and the receipt ---------------------------------------------------

function renderThemes() {
  const select = $('#f-theme');
  const current = select.value;
  select.replaceChildren(...THEMES.map((k) => h('option', { value: k }, t(`theme.${k}`))));
  if (current) select.value = current;
}

function showError(message) {
  const box = $('#inq-error');
  box.textContent = message;
  box.hidden = !message;
  box.classList.remove('inq-notice');
}

function showNotice(message) {
  showError(message);
  $('#inq-error').classList.add('inq-notice');
}

// Refusals the page can explain in the reader's language; the server's (English) detail else.
const KNOWN_REFUSALS = new Set([
  'register_closed', 'register_not_open', 'geometry_outside', 'geometry_invalid', 'geometry_vertices',
  'file_type', 'file_too_big', 'too_many_files', 'rate_limited', 'duplicate', 'consent_required',
  'email_invalid', 'name_required', 'body_empty', 'spam', 'confirm_expired', 'confirm_unknown',
]);

function errorText(body) {
  if (body?.code && KNOWN_REFUSALS.has(body.code)) return t(`inq.err.${body.code}`);
  if (body?.detail) return body.detail;
  if (body && typeof body === 'object') {
    return Object.entries(body).map(([field, msgs]) => `${field}: ${[].concat(msgs).join(' ')}`).join('\n');
  }
  return t('inq.submitFailed');
}

async function submit(event) {
  event.preventDefault();
  showError('');
  const form = $('#inq-form');
  if (!$('#f-consent').checked) {
    showError(t('inq.needConsent'));
    return;
  }
  const data = new FormData(form);
  data.set('consent_publication', 'true');
  data.set('publish_named', $('#f-named').checked ? 'true' : 'false');
  data.delete('attachments');
  for (const file of $('#f-files').files) data.append('attachments', file);
  if (state.geometry) data.set('geometry', JSON.stringify(state.geometry));
  const button = $('#inq-submit');
  button.disabled = true;
  try {
    const response = await fetch(`/api/v1/inquiries/${inquiryId}/observations/`, { method: 'POST', body: data });
    const body = await response.json().catch(() => null);
    if (response.status === 202) {
      // Email verification is on: the entry waits for its author to follow the emailed link.
      form.reset();
      clearDrawing();
      showNotice(t('inq.checkEmail', { expires: dateTime(body.expires_at) }));
      return;
    }
    if (response.status !== 201) {
      showError(errorText(body));
      return;
    }
    await showReceipt(body);
  } catch {
    showError(t('inq.submitFailed'));
  } finally {
    button.disabled = false;
  }
}

async function showReceipt(receipt) {
  state.receipt = receipt;
  history.replaceState(null, '', `?receipt=${receipt.receipt}${state.lang === 'ar' ? '&lang=ar' : ''}`);
  renderReceipt();
  $('#inq-receipt').focus();
  await loadPublished();
}

// The link of the verification email lands here with ?confirm=<token>.
async function confirmEntry(token) {
  const response = await fetch(`/api/v1/inquiries/confirm/${encodeURIComponent(token)}/`, { method: 'POST' });
  const body = await response.json().catch(() => null);
  if (response.status !== 201) {
    showError(errorText(body));
    return;
  }
  await showReceipt(body);
}

function renderReceipt() {
  const r = state.receipt;
  $('#inq-receipt').hidden = !r;
  if (!r) return;
  $('#r-number').textContent = String(r.register_number);
  $('#r-at').textContent = dateTime(r.submitted_at);
  $('#r-hash').textContent = r.content_sha256;
  $('#r-link').href = `?receipt=${r.receipt}`;
}

async function loadReceipt(token) {
  const response = await fetch(`/api/v1/inquiries/receipts/${encodeURIComponent(token)}/`);
  if (!response.ok) return;
  state.receipt = await response.json();
  renderReceipt();
}

// --- published observations -----------------------------------------------------------------

async function loadPublished() {
  const response = await fetch(`/api/v1/inquiries/${inquiryId}/observations/`);
  if (!response.ok) return;
  state.published = await response.json();
  renderPublished();
  map?.getSource('observations')?.setData(observationPoints(state.published));
}

function renderPublished() {
  const fc = state.published;
  if (!fc) return;
  $('#pub-count').textContent = `(${fc.numberMatched})`;
  const items = [...fc.features].reverse().map((f) => {
    const p = f.properties;
    return h(
      'li',
      { 'data-number': p.register_number },
      h('p', { class: 'inq-pub-head' }, h('strong', {}, `n° ${p.register_number}`), ` · ${t(`theme.${p.theme}`)} · ${p.author_display === 'Anonyme' ? t('inq.anonymous') : p.author_display} · ${dateTime(p.submitted_at)}`),
      h('p', { class: 'inq-pub-body' }, p.body),
      p.answer ? h('p', { class: 'inq-pub-answer' }, h('strong', {}, t('inq.answer')), ' ', p.answer) : null,
      f.geometry ? h('button', { type: 'button', class: 'inq-link', onclick: () => showOnMap(f) }, t('inq.showOnMap')) : null,
    );
  });
  $('#inq-published').replaceChildren(...items);
}

function showOnMap(feature) {
  const [lng, lat] = centroid(feature.geometry);
  map?.jumpTo({ center: [lng, lat], zoom: Math.max(map.getZoom(), 16) });
  $('#inq-map').scrollIntoView({ block: 'center' });
}

// --- start ----------------------------------------------------------------------------------

async function init() {
  for (const b of document.querySelectorAll('.lang-switch button')) b.addEventListener('click', () => setLang(b.dataset.lang));
  for (const b of document.querySelectorAll('[data-draw]')) b.addEventListener('click', () => setDrawMode(b.dataset.draw));
  $('#draw-clear').addEventListener('click', clearDrawing);
  $('#inq-viewer-close').addEventListener('click', () => {
    $('#inq-viewer').hidden = true;
    $('#inq-viewer-frame').removeAttribute('src');
  });
  $('#inq-search-input').addEventListener('input', (e) => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => search(e.target.value), 200);
  });
  $('#inq-form').addEventListener('submit', submit);
  setLang(state.lang);
  if (!(await loadInquiry())) return;
  await loadPublished();
  if (params.get('receipt')) await loadReceipt(params.get('receipt'));
  if (params.get('confirm')) await confirmEntry(params.get('confirm'));
  await initMap();
  document.body.dataset.ready = 'true';
}

init();
