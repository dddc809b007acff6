// The zone card: the rules of one zone, fetched from GET /api/v1/zones/{id}/.

import { h } from './dom.js';
import { localized, zoneRules } from './format.js';
import { translate, useLabel } from './i18n.js';
import { FAMILY_COLORS } from './style.js';

export class ZoneNotFound extends Error {}

/** Fetch a zone's GeoJSON Feature; throws ZoneNotFound on 404. */
export async function fetchZone(id, { signal } = {}) {
  const response = await fetch(`/api/v1/zones/${encodeURIComponent(id)}/`, {
    headers: { Accept: 'application/json' },
    signal,
  });
  if (response.status === 404) throw new ZoneNotFound(String(id));
  if (!response.ok) throw new Error(`zone ${id}: HTTP ${response.status}`);
  return response.json();
}

function list(items, cls) {
  return h('ul', { class: cls }, items.map((item) => h('li', {}, item)));
}

/** The card's title and body for a loaded zone. */
export function renderZone(feature, lang) {
  const t = (key, params) => translate(lang, key, params);
  const p = feature.properties || {};
  const label = localized(p, 'label', lang);
  const title = [h('bdi', { class: 'zone-code' }, p.code ?? ''), label ? ' — ' : '', label];

  const status = p.status === 'draft' ? 'draft' : 'approved';
  const docName = localized(p.document, 'name', lang);
  const meta = h(
    'div',
    { class: 'card-meta' },
    h('p', { class: 'card-family' },
      h('span', { class: 'swatch', 'aria-hidden': 'true', style: { background: FAMILY_COLORS[p.family] || '#ccc' } }),
      t(`family.${p.family}`)),
    h('p', {}, h('span', { class: `chip chip-${status}` }, t(`status.${status}`))),
    docName || p.document?.code
      ? h('p', { class: 'card-doc' }, h('span', { class: 'muted' }, t('card.document')), ' ',
        docName, p.document?.code ? [' (', h('bdi', {}, p.document.code), ')'] : '')
      : null,
    p.version?.label ? h('p', { class: 'card-doc' }, h('span', { class: 'muted' }, t('card.version')), ' ', p.version.label) : null,
  );

  const rules = h(
    'dl',
    { class: 'rules' },
    zoneRules(p, lang).map((r) =>
      h('div', { class: `rule rule-${r.key}${r.value === null ? ' rule-none' : ''}` },
        h('dt', {}, r.label),
        h('dd', {},
          r.value === null
            ? h('span', { class: 'muted' }, t('rule.none'))
            : h('bdi', { class: 'rule-value', dir: r.ltr ? 'ltr' : null }, r.value),
          r.hint ? h('span', { class: 'rule-hint' }, r.hint) : null)),
    ),
  );

  const sections = [
    meta,
    h('h3', {}, t('card.rules')),
    rules,
  ];
  if (Array.isArray(p.allowed_uses) && p.allowed_uses.length) {
    sections.push(h('h3', {}, t('card.allowed')), list(p.allowed_uses.map((u) => useLabel(lang, u)), 'uses uses-allowed'));
  }
  if (Array.isArray(p.prohibited_uses) && p.prohibited_uses.length) {
    sections.push(h('h3', {}, t('card.prohibited')), list(p.prohibited_uses.map((u) => useLabel(lang, u)), 'uses uses-prohibited'));
  }
  if (Array.isArray(p.articles) && p.articles.length) {
    sections.push(
      h('h3', {}, t('card.articles')),
      list(
        p.articles.map((a) => [
          h('strong', {}, t('card.article', { n: a.number })),
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
