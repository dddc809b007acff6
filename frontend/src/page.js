// What the staff and citizen pages share: the language switch (remembered, with RTL) and the
// clustered point layers of observations.

import { RTL_LANGS } from './i18n.js';
import { FONT_BOLD } from './style.js';

const LANG_KEY = 'eu.lang';
const ACCENT = '#c2410c';

/** The language the reader chose last time on this device, if storage allows. */
export function storedLang() {
  try {
    return localStorage.getItem(LANG_KEY);
  } catch {
    return null;
  }
}

/** Switch the page to `lang`: remember it, set dir, translate every data-i18n element. */
export function applyLang(lang, t) {
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
}

/** A clustered GeoJSON point source `id` with its layers: clusters, their counts, points. */
export function addClusteredPoints(map, id, data, pointColor = ACCENT) {
  map.addSource(id, { type: 'geojson', data, cluster: true, clusterRadius: 40 });
  map.addLayer({
    id: `${id}-clusters`,
    type: 'circle',
    source: id,
    filter: ['has', 'point_count'],
    paint: { 'circle-color': ACCENT, 'circle-opacity': 0.85, 'circle-radius': ['step', ['get', 'point_count'], 14, 10, 18, 50, 24], 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 },
  });
  map.addLayer({
    id: `${id}-count`,
    type: 'symbol',
    source: id,
    filter: ['has', 'point_count'],
    layout: { 'text-field': ['get', 'point_count_abbreviated'], 'text-font': FONT_BOLD, 'text-size': 12 },
    paint: { 'text-color': '#fff' },
  });
  map.addLayer({
    id: `${id}-points`,
    type: 'circle',
    source: id,
    filter: ['!', ['has', 'point_count']],
    paint: { 'circle-color': pointColor, 'circle-radius': 7, 'circle-stroke-color': '#fff', 'circle-stroke-width': 2 },
  });
}
