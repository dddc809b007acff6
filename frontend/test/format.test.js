import test from 'node:test';
import assert from 'node:assert/strict';
import { levelsCode, localized, zoneRules } from '../src/format.js';
import { initialLang, LANGS, MESSAGES, translate, useLabel } from '../src/i18n.js';

const zone = {
  code: 'B2',
  max_height_m: 15.5,
  max_levels: 4,
  ground_coverage_max: 0.6,
  floor_area_ratio_max: 2.4,
  min_lot_area_m2: 300,
  setback_road_m: 5,
  setback_neighbour_m: null,
};

const byKey = (rows) => Object.fromEntries(rows.map((r) => [r.key, r]));

test('levels read R+n, n being the levels above the ground floor', () => {
  assert.equal(levelsCode(4), 'R+4');
  assert.equal(byKey(zoneRules(zone, 'fr')).max_levels.value, 'R+4');
  assert.equal(byKey(zoneRules({ ...zone, max_levels: 0 }, 'fr')).max_levels.value, 'R+0');
});

test('COS is ground coverage and CUS the floor-area ratio, never confused', () => {
  const rows = byKey(zoneRules(zone, 'fr'));
  assert.match(rows.ground_coverage_max.label, /Coefficient d’occupation du sol \(emprise\)/);
  assert.match(rows.ground_coverage_max.label, /COS/);
  assert.equal(rows.ground_coverage_max.value, '0,6');
  assert.match(rows.ground_coverage_max.hint, /60\s?%/);
  assert.match(rows.floor_area_ratio_max.label, /CUS/);
  assert.doesNotMatch(rows.floor_area_ratio_max.label, /COS/);
  assert.equal(rows.floor_area_ratio_max.value, '2,4');
});

test('null means not regulated', () => {
  const rows = byKey(zoneRules(zone, 'fr'));
  assert.equal(rows.setback_neighbour_m.value, null);
  assert.equal(rows.max_height_m.value, '15,5 m');
  assert.equal(rows.min_lot_area_m2.value, '300 m²');
});

test('Arabic rules use Western digits and Arabic units', () => {
  const rows = byKey(zoneRules(zone, 'ar'));
  assert.equal(rows.max_height_m.value, '15,5 م');
  assert.equal(rows.max_levels.value, 'R+4');
});

test('names fall back to the other language', () => {
  assert.equal(localized({ label_fr: 'Villas', label_ar: 'فيلات' }, 'label', 'ar'), 'فيلات');
  assert.equal(localized({ label_fr: 'Villas', label_ar: null }, 'label', 'ar'), 'Villas');
});

test('every language has every key', () => {
  const keys = Object.keys(MESSAGES.fr).sort();
  for (const lang of LANGS) assert.deepEqual(Object.keys(MESSAGES[lang]).sort(), keys, lang);
});

test('the language comes from ?lang=, then storage, then French', () => {
  assert.equal(initialLang('?lang=ar', 'en'), 'ar');
  assert.equal(initialLang('', 'en'), 'en');
  assert.equal(initialLang('?lang=xx', null), 'fr');
  assert.equal(translate('fr', 'card.article', { n: '12' }), 'Article 12');
});

test('land uses read as words, in each language', () => {
  assert.equal(useLabel('fr', 'housing'), 'Habitation');
  assert.equal(useLabel('ar', 'polluting_industry'), 'المؤسسات المضرة أو الملوثة');
  assert.equal(useLabel('en', 'something_new'), 'something_new');
});
