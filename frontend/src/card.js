// The zone card: what the zoning lookup (GET /api/v1/lookup/, the same lookup as the OGC
// process zoning-lookup) finds at a place: zone, rules, prescriptions, plan version, legal
// status, and the link to the "note de renseignements urbanistiques" as a PDF.

import { h } from './dom.js';
import { formatNumber, localized, zoneRules } from './format.js';
import { translate, useLabel } from './i18n.js';
import { FAMILY_COLORS } from './style.js';

export class ZoneNotFound extends Error {}

// The note exists in French and Arabic; English readers get the French one.
const NOTE_LANGS = { fr: 'fr', ar: 'ar', en: 'fr' };

/** The query string of a place: {zone} (a zone id) or {lon, lat}, in a plan ('approved'|'draft'). */
export function placeQuery(place, plan) {
  const params = place.zone !== undefined
    ? { zone: String(place.zone) }
    : { lon: place.lon.toFixed(7), lat: place.lat.toFixed(7) };
  if (plan) params.plan = plan;
  return new URLSearchParams(params);
}

/** The URL of the PDF note of a place, in the note language closest to `lang`. */
export function noteUrl(place, plan, lang) {
  const query = placeQuery(place, plan);
  query.set('lang', NOTE_LANGS[lang] || 'fr');
  return `/api/v1/lookup/note.pdf?${query}`;
}

/** The lookup at a place; throws ZoneNotFound on 404 (no published plan there). */
export async function fetchLookup(place, plan, { signal } = {}) {
  const response = await fetch(`/api/v1/lookup/?${placeQuery(place, plan)}`, {
    headers: { Accept: 'application/json' },
    signal,
  });
  if (response.status === 404) throw new ZoneNotFound(JSON.stringify(place));
  if (!response.ok) throw new Error(`lookup: HTTP ${response.status}`);
  return response.json();
}

function list(items, cls) {
  return h('ul', { class: cls }, items.map((item) => h('li', {}, item)));
}

function formatDate(iso, lang) {
  if (!iso) return '—';
  const value = iso.length === 10 ? new Date(`${iso}T12:00:00`) : new Date(iso);
  return new Intl.DateTimeFormat(lang === 'ar' ? 'ar-MA' : lang === 'en' ? 'en-GB' : 'fr-FR', {
    dateStyle: 'long',
    timeZone: 'Africa/Casablanca',
  }).format(value);
}

/** The legal status of the zone's plan version, line by line. */
export function legalLines(zone, lang) {
  const t = (key, params) => translate(lang, key, params);
  const status = zone.legal_status || {};
  const version = zone.plan_version || {};
  const lines = [status[lang] || (status.status === 'approved' ? t('status.approved') : t('status.draft'))];
  if (status.status === 'approved' && (version.approved_on || version.decree_reference)) {
    lines.push(t('card.decree', { date: formatDate(version.approved_on, lang), ref: version.decree_reference || '' }));
  } else if (status.status === 'draft' && version.inquiry_opens_at) {
    lines.push(t('card.inquiry', { opens: formatDate(version.inquiry_opens_at, lang), closes: formatDate(version.inquiry_closes_at, lang) }));
  }
  return lines;
}

/**
 * The card's title and body for a lookup result.
 * @param {object} data  the lookup: {zones: [...], commune, point}
 * @param {object} zone  the zone of `data.zones` to show
 * @param {string} lang
 * @param {string} pdfUrl  the note's URL
 */
export function renderLookup(data, zone, lang, pdfUrl) {
  const t = (key, params) => translate(lang, key, params);
  const label = localized(zone, 'label', lang);
  const title = [h('bdi', { class: 'zone-code' }, zone.code ?? ''), label ? ' — ' : '', label];

  const status = zone.legal_status?.status === 'draft' ? 'draft' : 'approved';
  const version = zone.plan_version || {};
  const docName = lang === 'ar' ? version.title_ar || version.title : version.title;
  const meta = h(
    'div',
    { class: 'card-meta' },
    h('p', { class: 'card-family' },
      h('span', { class: 'swatch', 'aria-hidden': 'true', style: { background: FAMILY_COLORS[zone.family] || '#ccc' } }),
      t(`family.${zone.family}`)),
    h('p', {}, h('span', { class: `chip chip-${status}` }, t(`status.${status}`))),
    docName || version.document_code
      ? h('p', { class: 'card-doc' }, h('span', { class: 'muted' }, t('card.document')), ' ',
        docName || '', version.document_code ? [' (', h('bdi', {}, version.document_code), ')'] : '')
      : null,
    data.commune
      ? h('p', { class: 'card-doc' }, h('span', { class: 'muted' }, t('card.commune')), ' ', localized(data.commune, 'name', lang))
      : null,
  );

  const rules = h(
    'dl',
    { class: 'rules' },
    zoneRules(zone.rules || {}, lang).map((r) =>
      h('div', { class: `rule rule-${r.key}${r.value === null ? ' rule-none' : ''}` },
        h('dt', {}, r.label),
        h('dd', {},
          r.value === null
            ? h('span', { class: 'muted' }, t('rule.none'))
            : h('bdi', { class: 'rule-value', dir: r.ltr ? 'ltr' : null }, r.value),
          r.hint ? h('span', { class: 'rule-hint' }, r.hint) : null)),
    ),
  );

  const download = h(
    'p',
    { class: 'card-note' },
    h('a', { class: 'button button-note', href: pdfUrl, download: '', 'data-note': '' }, t('card.note')),
    h('span', { class: 'muted small' }, t('card.noteHint', { lang: t('card.noteLang') })),
  );

  const sections = [
    meta,
    h('h3', {}, t('card.legal')),
    list(legalLines(zone, lang), `legal legal-${status}`),
    download,
    h('h3', {}, t('card.rules')),
    rules,
  ];
  const uses = zone.rules || {};
  if (Array.isArray(uses.allowed_uses) && uses.allowed_uses.length) {
    sections.push(h('h3', {}, t('card.allowed')), list(uses.allowed_uses.map((u) => useLabel(lang, u)), 'uses uses-allowed'));
  }
  if (Array.isArray(uses.prohibited_uses) && uses.prohibited_uses.length) {
    sections.push(h('h3', {}, t('card.prohibited')), list(uses.prohibited_uses.map((u) => useLabel(lang, u)), 'uses uses-prohibited'));
  }
  const prescriptions = zone.prescriptions || [];
  sections.push(
    h('h3', {}, t('card.prescriptions')),
    prescriptions.length
      ? list(
        prescriptions.map((p) => {
          const name = localized(p, 'label', lang);
          const width = p.width_m ? ` (${formatNumber(p.width_m, lang)} m)` : '';
          return [h('strong', {}, t(`kind.${p.kind}`)), name ? ` — ${name}` : '', width];
        }),
        'prescriptions',
      )
      : h('p', { class: 'muted' }, t('card.noPrescription')),
  );
  if (Array.isArray(zone.articles) && zone.articles.length) {
    sections.push(
      h('h3', {}, t('card.articles')),
      list(
        zone.articles.map((a) => [
          h('strong', {}, t('card.article', { n: String(a.number).replace(/^Art\.\s*/, '') })),
          localized(a, 'title', lang) ? ` — ${localized(a, 'title', lang)}` : '',
        ]),
        'articles',
      ),
    );
  }
  return { title, body: sections };
}

/** The card's title and body while loading, or after an error. */
export function renderMessage(kind, lang, onRetry) {
  const t = (key) => translate(lang, key);
  if (kind === 'loading') {
    return { title: [t('card.label')], body: [h('p', { class: 'card-message' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), t('card.loading'))] };
  }
  const body = [h('p', { class: 'card-message card-error', role: 'alert' }, t(kind === 'notFound' ? 'card.notFound' : 'card.error'))];
  if (kind === 'error' && onRetry) body.push(h('button', { type: 'button', class: 'button', onclick: onRetry }, t('card.retry')));
  return { title: [t('card.label')], body };
}
