// The citizen web map: plan d'aménagement zones on our own tiles, zone cards, FR/AR/EN.
// Everything (tiles, glyphs, fonts, worker, API) comes from this page's origin.

import 'maplibre-gl/dist/maplibre-gl.css';
import '@fontsource/noto-sans/400.css';
import '@fontsource/noto-sans/700.css';
import '@fontsource/noto-sans-arabic/400.css';
import '@fontsource/noto-sans-arabic/700.css';
import './app.css';

import * as maplibregl from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';

import { fetchLookup, noteUrl, renderLookup, renderMessage, ZoneNotFound } from './card.js';
import { h } from './dom.js';
import { localized } from './format.js';
import { initialLang, LANGS, RTL_LANGS, translate } from './i18n.js';
import { hatchImage } from './patterns.js';
import {
  DEFAULT_CENTER,
  DEFAULT_ZOOM,
  FAMILIES,
  FAMILY_COLORS,
  fetchStyle,
  HATCHES,
  labelFields,
  PLANS,
  planLayerIds,
  PRESCRIPTION_COLORS,
  PRESCRIPTION_KINDS,
  SELECTED_ZONE_LAYER,
  ZONE_FILL,
} from './style.js';

// Arabic labels: MapLibre 6 shapes Arabic and orders bidirectional text itself (its
// setRTLTextPlugin is deprecated), so no RTL plugin is loaded.
maplibregl.setWorkerUrl(workerUrl);

const LANG_KEY = 'eu.lang';
const PHONE = window.matchMedia('(max-width: 767px)');
const MAX_LISTED = 40;
const $ = (sel) => document.querySelector(sel);

function storedLang() {
  try {
    return localStorage.getItem(LANG_KEY);
  } catch {
    return null; // storage can be disabled; the choice is then only per page view
  }
}

const params = new URLSearchParams(location.search);
const state = {
  lang: initialLang(location.search, storedLang()),
  plan: PLANS.includes(params.get('plan')) ? params.get('plan') : 'approved',
  // The open card: the place looked up ({zone} or {lon, lat}), the plan it was looked up in,
  // the zone clicked (id, when known) and the lookup's result.
  zone: null, // {place, plan, id?, data?, status: 'loading'|'ok'|'notFound'|'error'}
  returnFocus: null,
  listIds: '',
};
const t = (key, p) => translate(state.lang, key, p);

let map = null;
let style = null;
let navControl = null;
let attribution = null;
let scale = null;
let cardAbort = null;

// --- language -------------------------------------------------------------------------------

function applyStaticTexts() {
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-aria-label]')) el.setAttribute('aria-label', t(el.dataset.i18nAriaLabel));
  for (const el of document.querySelectorAll('[data-i18n-title]')) el.setAttribute('title', t(el.dataset.i18nTitle));
  document.title = `${t('app.title')} — ${t('app.brand')}`;
  for (const button of document.querySelectorAll('.lang-switch button')) {
    button.setAttribute('aria-pressed', String(button.dataset.lang === state.lang));
  }
}

function setLang(lang, { remember = true } = {}) {
  if (!LANGS.includes(lang)) return;
  const dirChanged = RTL_LANGS.has(lang) !== RTL_LANGS.has(state.lang);
  state.lang = lang;
  const root = document.documentElement;
  root.lang = lang;
  root.dir = RTL_LANGS.has(lang) ? 'rtl' : 'ltr';
  if (remember) {
    try {
      localStorage.setItem(LANG_KEY, lang);
    } catch {
      /* storage disabled */
    }
    const url = new URL(location.href);
    if (url.searchParams.has('lang')) {
      url.searchParams.set('lang', lang);
      history.replaceState(history.state, '', url);
    }
  }
  applyStaticTexts();
  renderLegend();
  state.listIds = '';
  updateZoneList();
  renderCard();
  if (map) {
    relabel(lang);
    localizeControls();
    if (dirChanged) placeControls();
  }
}

// Map labels follow the language: the served style in that language gives each label layer's
// text.
async function relabel(lang) {
  let fields;
  try {
    fields = labelFields(await fetchStyle({ origin: location.origin, lang, plan: state.plan }));
  } catch (err) {
    console.warn('map labels:', err.message);
    return;
  }
  if (lang !== state.lang || !map) return; // another switch came first
  for (const [id, field] of Object.entries(fields)) {
    if (map.getLayer(id)) map.setLayoutProperty(id, 'text-field', field);
  }
}

// --- legend ---------------------------------------------------------------------------------

function renderLegend() {
  const swatch = (cls, style) => h('span', { class: `swatch ${cls}`, 'aria-hidden': 'true', style });
  const hatch = (color) => ({
    background: `repeating-linear-gradient(45deg, ${color} 0 2px, transparent 2px 6px), ${color}22`,
    borderColor: color,
  });
  $('#legend').replaceChildren(
    h('h3', {}, t('legend.zones')),
    h('ul', { class: 'legend-list' },
      FAMILIES.map((f) => h('li', {}, swatch('swatch-fill', { background: FAMILY_COLORS[f] }), t(`family.${f}`)))),
    h('h3', {}, t('legend.prescriptions')),
    h('ul', { class: 'legend-list' },
      PRESCRIPTION_KINDS.map((k) => h('li', {}, swatch('swatch-hatch', hatch(PRESCRIPTION_COLORS[k])), t(`kind.${k}`)))),
    h('h3', {}, t('legend.boundaries')),
    h('ul', { class: 'legend-list' },
      h('li', {}, swatch('swatch-line swatch-commune'), t('legend.commune')),
      h('li', {}, swatch('swatch-line swatch-district'), t('legend.district'))),
  );
}

// --- plan switch ----------------------------------------------------------------------------

function setPlan(plan) {
  if (!PLANS.includes(plan)) return;
  state.plan = plan;
  for (const input of document.querySelectorAll('input[name="plan"]')) input.checked = input.value === plan;
  $('#draft-notice').hidden = plan !== 'draft';
  if (map && style) {
    for (const p of PLANS) {
      for (const id of planLayerIds(style, p)) {
        if (map.getLayer(id)) map.setLayoutProperty(id, 'visibility', p === plan ? 'visible' : 'none');
      }
    }
  }
  state.listIds = '';
  updateZoneList();
}

// --- zone list (the keyboard and screen-reader way to reach zones) ---------------------------

function visibleZones() {
  if (!map || !map.getLayer(ZONE_FILL[state.plan])) return [];
  const seen = new Map();
  for (const f of map.queryRenderedFeatures({ layers: [ZONE_FILL[state.plan]] })) {
    const id = f.properties.id;
    if (id !== undefined && !seen.has(id)) seen.set(id, f.properties);
  }
  return [...seen.values()].sort((a, b) =>
    String(a.code).localeCompare(String(b.code), undefined, { numeric: true }) || a.id - b.id);
}

function updateZoneList() {
  const zones = visibleZones();
  const ids = `${state.lang}|${state.plan}|${zones.map((z) => z.id).join(',')}`;
  if (ids === state.listIds) return; // unchanged: keep the DOM (and keyboard focus) as is
  state.listIds = ids;
  const list = $('#zone-list');
  const focusedId = document.activeElement?.closest?.('#zone-list') ? document.activeElement.dataset.zoneId : null;
  list.replaceChildren(
    ...zones.slice(0, MAX_LISTED).map((z) =>
      h('li', {},
        h('button', { type: 'button', class: 'zone-item', 'data-zone-id': z.id, onclick: (e) => openPlace({ zone: z.id }, e.currentTarget) },
          h('span', { class: 'swatch swatch-fill', 'aria-hidden': 'true', style: { background: FAMILY_COLORS[z.family] || '#ccc' } }),
          h('bdi', { class: 'zone-code' }, z.code),
          h('span', { class: 'zone-label' }, localized(z, 'label', state.lang))))),
  );
  $('#zone-count').textContent = zones.length ? `(${zones.length})` : '';
  $('#zone-list-note').textContent = zones.length === 0
    ? t('list.empty')
    : zones.length > MAX_LISTED ? t('list.more', { n: zones.length - MAX_LISTED }) : '';
  if (focusedId) list.querySelector(`[data-zone-id="${CSS.escape(focusedId)}"]`)?.focus();
}

// --- zone card ------------------------------------------------------------------------------

function renderCard() {
  const card = $('#zone-card');
  if (!state.zone) {
    card.hidden = true;
    return;
  }
  const { status, data, place, plan } = state.zone;
  const content = status === 'ok'
    ? renderLookup(data, shownZone(), state.lang, noteUrl(place, plan, state.lang))
    : renderMessage(status, state.lang, () => openPlace(place));
  $('#card-title').replaceChildren(...content.title.flat().map((c) => (c instanceof Node ? c : document.createTextNode(c))));
  $('#card-body').replaceChildren(...content.body);
  $('#card-body').setAttribute('aria-busy', String(status === 'loading'));
  card.hidden = false;
}

// The zone of the lookup that the card shows: the one clicked, else the first one found.
function shownZone() {
  const zones = state.zone?.data?.zones || [];
  return zones.find((z) => z.id === state.zone.id) || zones[0];
}

function selectZone(id) {
  if (map && map.getLayer(SELECTED_ZONE_LAYER)) {
    map.setFilter(SELECTED_ZONE_LAYER, ['==', ['get', 'id'], id ?? -1]);
  }
}

/** Open the card of a place: {zone: id} (from the list) or {lon, lat} (a click on the map). */
async function openPlace(place, opener, zoneId) {
  if (!state.zone) state.returnFocus = opener || document.activeElement;
  else if (opener) state.returnFocus = opener;
  cardAbort?.abort();
  const abort = new AbortController();
  cardAbort = abort;
  const plan = state.plan;
  const id = zoneId ?? place.zone;
  state.zone = { place, plan, id: id === undefined ? undefined : Number(id), status: 'loading' };
  selectZone(state.zone.id);
  renderCard();
  try {
    const data = await fetchLookup(place, plan, { signal: abort.signal });
    if (abort.signal.aborted) return;
    state.zone = { ...state.zone, status: data.zones.length ? 'ok' : 'notFound', data };
    renderCard();
    const zone = shownZone();
    if (zone) {
      selectZone(zone.id);
      $('#announcer').textContent = t('card.opened', { code: zone.code ?? '' });
    }
  } catch (err) {
    if (abort.signal.aborted) return;
    state.zone = { ...state.zone, status: err instanceof ZoneNotFound ? 'notFound' : 'error' };
    renderCard();
  }
  $('#card-title').focus({ preventScroll: true });
}

function closeCard() {
  if (!state.zone) return;
  cardAbort?.abort();
  state.zone = null;
  selectZone(null);
  renderCard();
  $('#announcer').textContent = t('card.closed');
  let back = state.returnFocus;
  state.returnFocus = null;
  if (back && !document.contains(back) && back.dataset?.zoneId) {
    // The list was redrawn while the card was open (the map got narrower): same zone's item.
    back = $(`#zone-list [data-zone-id="${CSS.escape(back.dataset.zoneId)}"]`) || $('#zone-list button');
  }
  if (back && document.contains(back)) back.focus();
  else map?.getCanvas().focus();
}

// --- map ------------------------------------------------------------------------------------

async function fetchTileJSON(name) {
  try {
    const response = await fetch(`/tiles/${name}.json`, { headers: { Accept: 'application/json' } });
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

function localizeControls() {
  const container = map.getContainer();
  const set = (sel, key) => {
    const el = container.querySelector(sel);
    if (el) {
      el.title = t(key);
      el.setAttribute('aria-label', t(key));
    }
  };
  set('.maplibregl-ctrl-zoom-in', 'map.zoomIn');
  set('.maplibregl-ctrl-zoom-out', 'map.zoomOut');
  set('.maplibregl-ctrl-compass', 'map.compass');
  map.getCanvas().setAttribute('aria-label', t('map.label'));
}

function placeControls() {
  const rtl = RTL_LANGS.has(state.lang);
  for (const c of [navControl, attribution, scale]) if (c && map.hasControl(c)) map.removeControl(c);
  map.addControl(navControl, rtl ? 'top-left' : 'top-right');
  map.addControl(attribution, rtl ? 'bottom-left' : 'bottom-right');
  map.addControl(scale, rtl ? 'bottom-left' : 'bottom-right');
  localizeControls();
  foldAttribution();
}

// The compact attribution starts unfolded, over the panels on a phone: fold it (the (i)
// button unfolds it).
function foldAttribution() {
  map.getContainer().querySelector('.maplibregl-ctrl-attrib')?.classList.remove('maplibregl-compact-show');
}

function zoneAt(point) {
  const features = map.queryRenderedFeatures(point, { layers: [ZONE_FILL[state.plan]] });
  return features.length ? features[0].properties.id : null;
}

async function initMap() {
  let zonesDoc;
  try {
    [zonesDoc, style] = await Promise.all([
      fetchTileJSON('zones'),
      fetchStyle({ origin: location.origin, lang: state.lang, plan: state.plan }),
    ]);
  } catch (err) {
    console.error(err);
    $('#map').replaceChildren(h('p', { class: 'map-error', role: 'alert' }, t('map.loadError')));
    return;
  }

  const view = {};
  if (zonesDoc && Array.isArray(zonesDoc.bounds) && zonesDoc.bounds.length === 4) {
    view.bounds = zonesDoc.bounds;
    view.fitBoundsOptions = { padding: 16 };
  } else if (zonesDoc && Array.isArray(zonesDoc.center) && zonesDoc.center.length >= 2) {
    view.center = zonesDoc.center.slice(0, 2);
    view.zoom = zonesDoc.center[2] ?? DEFAULT_ZOOM;
  } else {
    view.center = DEFAULT_CENTER;
    view.zoom = DEFAULT_ZOOM;
  }

  try {
    map = new maplibregl.Map({
      container: 'map',
      style,
      ...view,
      minZoom: 7,
      maxZoom: 19,
      hash: 'map',
      attributionControl: false,
      dragRotate: false,
      pitchWithRotate: false,
      touchPitch: false,
      keyboard: true,
      cooperativeGestures: false,
    });
  } catch (err) {
    console.error(err);
    $('#map').replaceChildren(h('p', { class: 'map-error', role: 'alert' }, t('map.loadError')));
    return;
  }
  map.touchZoomRotate.disableRotation();
  window.euMap = map;

  navControl = new maplibregl.NavigationControl({ showCompass: false });
  attribution = new maplibregl.AttributionControl({ compact: true });
  scale = new maplibregl.ScaleControl({ unit: 'metric', maxWidth: 100 });
  placeControls();

  // Hatches are drawn on demand, the first time a layer needs one (no sprite to serve).
  map.setMissingStyleImageResolver((id) => {
    const spec = HATCHES[id];
    if (spec && !map.hasImage(id)) {
      const { image, pixelRatio } = hatchImage(spec);
      map.addImage(id, image, { pixelRatio });
    }
  });
  map.on('error', (e) => console.warn('map:', e.error?.message || e));

  map.on('click', (e) => {
    const id = zoneAt(e.point);
    if (id === null) return;
    openPlace({ lon: e.lngLat.lng, lat: e.lngLat.lat }, map.getCanvas(), id);
    // On a phone the card is a bottom sheet: slide the map so the tapped place stays in view.
    const height = map.getContainer().clientHeight;
    if (PHONE.matches && e.point.y > height * 0.35) map.panBy([0, e.point.y - height * 0.22]);
  });
  map.on('mousemove', (e) => {
    map.getCanvas().style.cursor = zoneAt(e.point) !== null ? 'pointer' : '';
  });
  map.getCanvas().addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      const { width, height } = map.getContainer().getBoundingClientRect();
      const id = zoneAt([width / 2, height / 2]);
      const { lng, lat } = map.getCenter();
      if (id !== null) openPlace({ lon: lng, lat }, map.getCanvas(), id);
    }
  });
  map.once('load', foldAttribution);
  map.on('idle', updateZoneList);
  map.on('moveend', updateZoneList);
}

// --- wiring ---------------------------------------------------------------------------------

function init() {
  for (const button of document.querySelectorAll('.lang-switch button')) {
    button.addEventListener('click', () => setLang(button.dataset.lang));
  }
  for (const input of document.querySelectorAll('input[name="plan"]')) {
    input.addEventListener('change', () => input.checked && setPlan(input.value));
  }
  $('#card-close').addEventListener('click', closeCard);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && state.zone) {
      e.preventDefault();
      closeCard();
    }
  });
  // Skip links: straight to the map's canvas (keyboard-driven), or to the list of zones.
  $('.skip-link[href="#map"]').addEventListener('click', (e) => {
    if (!map) return;
    e.preventDefault();
    map.getCanvas().focus();
  });
  $('.skip-link[href="#zone-list-panel"]').addEventListener('click', (e) => {
    e.preventDefault();
    const panel = $('#zone-list-panel');
    panel.open = true;
    ($('#zone-list button') || panel.querySelector('summary')).focus();
  });
  // Phones start with the panels folded so the map gets the screen.
  if (PHONE.matches) {
    $('#legend-panel').open = false;
    $('#zone-list-panel').open = false;
  }
  setLang(state.lang, { remember: false });
  setPlan(state.plan);
  initMap();
}

init();
