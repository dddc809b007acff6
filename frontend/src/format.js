// How a zone's rules read on its card. Pure functions, tested with node --test.
//
// Moroccan règlements (DOMAIN.md): COS is the ground coverage (share of the lot built on,
// 0..1) and CUS the floor-area ratio. The API names them ground_coverage_max and
// floor_area_ratio_max; they are labelled as such here and never merged.

import { NUMBER_LOCALES, translate } from './i18n.js';

export function formatNumber(value, lang, options = {}) {
  return new Intl.NumberFormat(NUMBER_LOCALES[lang] || 'fr-FR', { maximumFractionDigits: 2, ...options }).format(value);
}

/** "R+n": the ground floor plus n levels (max_levels is n, see planning.Zone). */
export function levelsCode(n) {
  return `R+${n}`;
}

const isSet = (v) => v !== null && v !== undefined && v !== '';

/**
 * The rows of the rules table, in reading order: {key, label, value, hint, ltr}.
 * `value` is null when the rule is not regulated (the API sends null).
 */
export function zoneRules(props, lang) {
  const t = (key, params) => translate(lang, key, params);
  const num = (v, opts) => formatNumber(v, lang, opts);
  const rows = [];
  const row = (key, value, hint = null, ltr = false) =>
    rows.push({ key, label: t(`rule.${key}`), value, hint, ltr });

  const levels = props.max_levels;
  row(
    'max_levels',
    isSet(levels) ? levelsCode(levels) : null,
    isSet(levels) ? (levels === 0 ? t('hint.levels0') : t('hint.levels', { n: num(levels) })) : null,
    true,
  );
  const height = props.max_height_m;
  row('max_height_m', isSet(height) ? t('unit.m', { v: num(height) }) : null);
  const cos = props.ground_coverage_max;
  row(
    'ground_coverage_max',
    isSet(cos) ? num(cos) : null,
    isSet(cos) ? t('hint.cos', { pct: num(cos, { style: 'percent' }) }) : null,
  );
  const cus = props.floor_area_ratio_max;
  row('floor_area_ratio_max', isSet(cus) ? num(cus) : null, isSet(cus) ? t('hint.cus', { v: num(cus) }) : null);
  const lot = props.min_lot_area_m2;
  row('min_lot_area_m2', isSet(lot) ? t('unit.m2', { v: num(lot, { maximumFractionDigits: 0 }) }) : null);
  const road = props.setback_road_m;
  row('setback_road_m', isSet(road) ? t('unit.m', { v: num(road) }) : null);
  const neighbour = props.setback_neighbour_m;
  row('setback_neighbour_m', isSet(neighbour) ? t('unit.m', { v: num(neighbour) }) : null);
  return rows;
}

/** The zone's name in the chosen language, falling back to the other one. */
export function localized(obj, base, lang) {
  if (!obj) return '';
  const order = lang === 'ar' ? ['ar', 'fr'] : ['fr', 'ar'];
  for (const suffix of order) {
    const v = obj[`${base}_${suffix}`];
    if (isSet(v)) return v;
  }
  return '';
}
