// The commission's workspace of one inquiry: conduct (open, close, synthesis), statistics, a
// map of the observations, and the register with moderation, tags, assignment and answers.
// Reads and writes the inquiry API with the signed-in session (CSRF header on writes).

import 'maplibre-gl/dist/maplibre-gl.css';
import '@fontsource/noto-sans/400.css';
import '@fontsource/noto-sans/700.css';
import '@fontsource/noto-sans-arabic/400.css';
import '@fontsource/noto-sans-arabic/700.css';
import '../inquiry/inquiry.css';
import './commission.css';

import * as maplibregl from 'maplibre-gl';
import workerUrl from 'maplibre-gl/dist/maplibre-gl-worker.mjs?url';

import { h } from '../dom.js';
import { initialLang, translate } from '../i18n.js';
import { addClusteredPoints, applyLang, storedLang } from '../page.js';
import { hatchImage } from '../patterns.js';
import { blankStyle, DEFAULT_CENTER, DEFAULT_ZOOM, fetchStyle, HATCHES } from '../style.js';
import { centroid, wallClock } from '../inquiry/geo.js';
import { THEMES } from '../inquiry/themes.js';
import { barRows, transitionsFor } from './workspace.js';

maplibregl.setWorkerUrl(workerUrl);

const $ = (sel) => document.querySelector(sel);
const inquiryId = Number(location.pathname.match(/enquetes\/(\d+)/)?.[1]);
const API = `/api/v1/inquiries/${inquiryId}`;

const state = { lang: 'fr', inquiry: null, stats: null, entries: [] };
const t = (key, p) => translate(state.lang, key, p);
let map = null;

function csrfToken() {
  return document.cookie.split('; ').find((c) => c.startsWith('csrftoken='))?.split('=')[1] || '';
}

async function call(path, { method = 'GET', body } = {}) {
  const init = { method, headers: { Accept: 'application/json' }, credentials: 'same-origin' };
  if (method !== 'GET') {
    init.headers['Content-Type'] = 'application/json';
    init.headers['X-CSRFToken'] = csrfToken();
    init.body = JSON.stringify(body || {});
  }
  const response = await fetch(`${API}${path}`, init);
  const data = await response.json().catch(() => null);
  return { ok: response.ok, status: response.status, data };
}

function showError(message) {
  const box = $('#com-error');
  box.textContent = message || '';
  box.hidden = !message;
}

function refusal(result) {
  return result.data?.detail || t('com.failed', { status: result.status });
}

// --- language -------------------------------------------------------------------------------

function setLang(lang) {
  state.lang = lang;
  applyLang(lang, t);
  renderThemeFilter();
  renderInquiry();
  renderStats();
  renderEntries();
}

// --- the inquiry and its conduct ------------------------------------------------------------

function renderInquiry() {
  const inq = state.inquiry;
  if (!inq) return;
  const title = state.lang === 'ar' ? inq.title_ar || inq.title_fr : inq.title_fr;
  $('#com-title').textContent = title;
  document.title = `${title} — ${t('com.kicker')}`;
  $('#com-status').textContent = t('com.status', {
    status: t(`com.st.${inq.status}`),
    opens: wallClock(inq.opens_at, state.lang),
    closes: wallClock(inq.closes_at, state.lang),
  });
  $('#com-status').dataset.status = inq.status;
  const buttons = transitionsFor(inq.status).map((name) =>
    h('button', { type: 'button', class: 'com-button', 'data-transition': name, onclick: () => transition(name) }, t(`com.tr.${name}`)),
  );
  $('#com-transitions').replaceChildren(...buttons);
  const exports = [
    ['pdf', 'com.exPdf'],
    ['csv', 'com.exCsv'],
    ['gpkg', 'com.exGpkg'],
    ['synthesis', 'com.exSynthesis'],
  ].map(([fmt, key]) => h('li', {}, h('a', { href: `${API}/export/${fmt}/`, download: '' }, t(key))));
  $('#com-exports').replaceChildren(...exports);
}

async function transition(name) {
  if (!window.confirm(t('com.confirm', { action: t(`com.tr.${name}`) }))) return;
  showError('');
  const result = await call(`/transitions/${name}/`, { method: 'POST' });
  if (!result.ok) {
    showError(refusal(result));
    return;
  }
  state.inquiry = result.data;
  renderInquiry();
}

// --- statistics -----------------------------------------------------------------------------

function bars(target, rows) {
  const items = rows.map(({ label, count, share }) =>
    h(
      'li',
      {},
      h('span', { class: 'com-bar-label' }, label),
      h('span', { class: 'com-bar-track' }, h('span', { class: 'com-bar', style: { inlineSize: `${share}%` } })),
      h('span', { class: 'com-bar-count' }, String(count)),
    ),
  );
  $(target).replaceChildren(...items);
}

function renderStats() {
  const s = state.stats;
  if (!s) return;
  $('#com-totals').textContent = t('com.totals', { total: s.total, hidden: s.hidden, answered: s.answered });
  bars('#com-by-theme', barRows(s.by_theme, (r) => t(`theme.${r.theme}`)));
  bars('#com-by-zone', barRows(s.by_zone.slice(0, 10), (r) => r.zone_code || t('com.noZone')));
  bars('#com-by-commune', barRows(s.by_commune, (r) => r.commune || t('com.noZone')));
}

async function loadStats() {
  const result = await call('/stats/');
  if (result.ok) {
    state.stats = result.data;
    renderStats();
  }
}

// --- the register ---------------------------------------------------------------------------

function renderThemeFilter() {
  const select = $('#com-f-theme');
  const current = select.value;
  select.replaceChildren(h('option', { value: '' }, t('com.all')), ...THEMES.map((k) => h('option', { value: k }, t(`theme.${k}`))));
  select.value = current;
}

async function act(entry, action, body) {
  const result = await call(`/register/${entry.register_number}/${action}/`, { method: 'POST', body });
  if (!result.ok) {
    showEntryError(entry, refusal(result));
    return;
  }
  await Promise.all([loadEntries(), loadStats()]);
}

function showEntryError(entry, message) {
  const box = document.querySelector(`[data-number="${entry.register_number}"] .inq-error`);
  if (box) {
    box.textContent = message;
    box.hidden = false;
  }
}

function entryActions(entry) {
  const members = state.stats?.members || [];
  const assign = h(
    'select',
    { 'aria-label': t('com.assign'), onchange: (e) => act(entry, 'assign', { username: e.target.value || null }) },
    h('option', { value: '' }, t('com.nobody')),
    ...members.map((m) => h('option', { value: m, selected: m === entry.assigned_to }, m)),
  );
  const tags = h('input', { value: entry.tags.join(', '), 'aria-label': t('com.tags'), placeholder: t('com.tagsHint') });
  const answer = h('textarea', { rows: 3, 'aria-label': t('com.answer') }, entry.answer || '');
  const moderation = entry.hidden
    ? h('button', { type: 'button', class: 'com-button', onclick: () => act(entry, 'unhide', {}) }, t('com.unhide'))
    : h('button', { type: 'button', class: 'com-button com-danger', onclick: () => hide(entry) }, t('com.hide'));
  return h(
    'div',
    { class: 'com-entry-actions' },
    h('label', {}, t('com.assign'), ' ', assign),
    h(
      'form',
      { class: 'com-inline', onsubmit: (e) => (e.preventDefault(), act(entry, 'tag', { tags: tags.value.split(',').map((s) => s.trim()).filter(Boolean) })) },
      tags,
      h('button', { type: 'submit', class: 'com-button' }, t('com.saveTags')),
    ),
    h(
      'form',
      { class: 'com-answer', onsubmit: (e) => (e.preventDefault(), act(entry, 'answer', { answer: answer.value })) },
      answer,
      h('button', { type: 'submit', class: 'com-button' }, t('com.saveAnswer')),
    ),
    moderation,
    h('p', { class: 'inq-error', role: 'alert', hidden: true }),
  );
}

function hide(entry) {
  const reason = window.prompt(t('com.hideReason'));
  if (reason === null) return;
  act(entry, 'hide', { reason });
}

function renderEntries() {
  $('#com-count').textContent = `(${state.entries.length})`;
  const items = state.entries.map((e) =>
    h(
      'li',
      { class: e.hidden ? 'com-entry is-hidden' : 'com-entry', 'data-number': e.register_number },
      h(
        'p',
        { class: 'inq-pub-head' },
        h('strong', {}, `n° ${e.register_number}`),
        ` · ${wallClock(e.submitted_at, state.lang)} · ${t(`com.ch.${e.channel}`)} · ${t(`theme.${e.theme}`)}`,
        e.zone_code ? ` · ${t('com.zone')} ${e.zone_code}` : '',
        e.corrects_number ? ` · ${t('com.corrects', { n: e.corrects_number })}` : '',
      ),
      h('p', { class: 'com-identity' }, `${e.author_name}${e.author_email ? ` <${e.author_email}>` : ''}`, e.author_id_number ? ` · ${e.author_id_number}` : '', ' · ', e.publish_named ? t('com.named') : t('com.anonymous')),
      h('p', { class: 'inq-pub-body' }, e.body),
      e.attachments.length
        ? h('ul', { class: 'com-files' }, ...e.attachments.map((a) => h('li', {}, h('a', { href: `${API}/register/${e.register_number}/attachments/${a.position}/` }, a.name))))
        : null,
      e.hidden ? h('p', { class: 'com-hidden-note' }, t('com.hiddenBecause', { reason: e.hidden_reason })) : null,
      entryActions(e),
    ),
  );
  $('#com-entries').replaceChildren(...items);
}

async function loadEntries() {
  const params = new URLSearchParams([...new FormData($('#com-filters'))].filter(([, v]) => v));
  const result = await call(`/register/?${params}`);
  if (!result.ok) {
    showError(refusal(result));
    return;
  }
  state.entries = result.data;
  renderEntries();
  map?.getSource('entries')?.setData(entryPoints());
}

// --- the map --------------------------------------------------------------------------------

function entryPoints() {
  const features = state.entries
    .filter((e) => e.geometry)
    .map((e) => ({
      type: 'Feature',
      id: e.register_number,
      geometry: { type: 'Point', coordinates: centroid(e.geometry) },
      properties: { register_number: e.register_number, hidden: e.hidden },
    }));
  return { type: 'FeatureCollection', features };
}

async function fetchTileJSON(name) {
  const response = await fetch(`/tiles/${name}.json`).catch(() => null);
  return response?.ok ? response.json() : null;
}

async function initMap() {
  const [zonesDoc, style] = await Promise.all([
    fetchTileJSON('zones'),
    fetchStyle({ origin: location.origin, lang: state.lang, plan: 'draft' }).catch(() => blankStyle(location.origin)),
  ]);
  const bounds = zonesDoc?.bounds;
  const view = bounds?.length === 4 ? { bounds, fitBoundsOptions: { padding: 8 } } : { center: DEFAULT_CENTER, zoom: DEFAULT_ZOOM };
  try {
    map = new maplibregl.Map({ container: 'com-map', style, ...view, attributionControl: false });
  } catch {
    $('#com-map').replaceChildren(h('p', { class: 'inq-error', role: 'alert' }, t('inq.noWebGL')));
    return;
  }
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.setMissingStyleImageResolver((id) => {
    const spec = HATCHES[id];
    if (spec && !map.hasImage(id)) {
      const { image, pixelRatio } = hatchImage(spec);
      map.addImage(id, image, { pixelRatio });
    }
  });
  window.euCommissionMap = map;
  map.on('load', () => {
    addClusteredPoints(map, 'entries', entryPoints(), ['case', ['get', 'hidden'], '#9ca3af', '#c2410c']);
    map.on('click', 'entries-points', (e) => {
      const number = e.features[0]?.properties.register_number;
      const item = document.querySelector(`[data-number="${number}"]`);
      item?.scrollIntoView({ block: 'center' });
      item?.focus?.();
    });
  });
}

// --- start ----------------------------------------------------------------------------------

async function init() {
  for (const b of document.querySelectorAll('.lang-switch button')) b.addEventListener('click', () => setLang(b.dataset.lang));
  let timer = null;
  $('#com-filters').addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(loadEntries, 250);
  });
  $('#com-filters').addEventListener('submit', (e) => e.preventDefault());
  setLang(initialLang(location.search, storedLang()) === 'ar' ? 'ar' : 'fr');
  const inquiry = await fetch(`${API}/`, { headers: { Accept: 'application/json' } });
  if (inquiry.ok) state.inquiry = await inquiry.json();
  renderInquiry();
  await Promise.all([loadStats(), loadEntries()]);
  await initMap();
  document.body.dataset.ready = 'true';
}

init();
