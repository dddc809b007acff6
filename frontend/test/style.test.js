import test from 'node:test';
import assert from 'node:assert/strict';
// validateStyleMin is the package's whole-style validator (its `validate` export is the low-level,
// per-value function it is built on).
import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec';
import {
  buildStyle,
  LABEL_LAYERS,
  PLANS,
  planLayerIds,
  sameOriginTiles,
  SELECTED_ZONE_LAYER,
  ZONE_FILL,
} from '../src/style.js';

const origin = 'http://127.0.0.1:8000';

function errorsOf(style) {
  return validateStyleMin(style).map((e) => e.message);
}

for (const lang of ['fr', 'ar', 'en']) {
  for (const plan of PLANS) {
    test(`the style is valid (lang=${lang}, plan=${plan})`, () => {
      assert.deepEqual(errorsOf(buildStyle({ origin, lang, plan })), []);
    });
  }
}

test('the style is valid with TileJSON documents', () => {
  const tilejson = {
    zones: { tilejson: '3.0.0', tiles: ['/tiles/zones/{z}/{x}/{y}.pbf?v=7'], minzoom: 6, maxzoom: 15, bounds: [-7.8, 33.4, -7.4, 33.7] },
  };
  const style = buildStyle({ origin, tilejson });
  assert.deepEqual(errorsOf(style), []);
  assert.deepEqual(style.sources.zones.tiles, [`${origin}/tiles/zones/{z}/{x}/{y}.pbf?v=7`]);
  assert.equal(style.sources.zones.maxzoom, 15);
  assert.deepEqual(style.sources.zones.bounds, [-7.8, 33.4, -7.4, 33.7]);
});

test('every URL in the style is on the page origin', () => {
  const style = buildStyle({ origin, tilejson: { basemap: { tiles: ['http://elsewhere.example/tiles/basemap/{z}/{x}/{y}.pbf'] } } });
  assert.ok(style.glyphs.startsWith(`${origin}/static/app/glyphs/`));
  for (const source of Object.values(style.sources)) {
    for (const url of source.tiles) {
      assert.ok(url.startsWith(`${origin}/tiles/`), url);
      assert.ok(url.includes('{z}/{x}/{y}'), url);
    }
  }
});

test('tile templates keep their placeholders', () => {
  assert.equal(sameOriginTiles('/tiles/zones/{z}/{x}/{y}.pbf', origin), `${origin}/tiles/zones/{z}/{x}/{y}.pbf`);
});

test('approved and draft zones are separate layers filtered on status, one plan visible', () => {
  const style = buildStyle({ origin, plan: 'approved' });
  const byId = Object.fromEntries(style.layers.map((l) => [l.id, l]));
  for (const plan of PLANS) {
    const fill = byId[ZONE_FILL[plan]];
    assert.equal(fill['source-layer'], 'zones');
    assert.deepEqual(fill.filter, ['==', ['get', 'status'], plan]);
  }
  assert.equal(byId[ZONE_FILL.approved].layout.visibility, 'visible');
  assert.equal(byId[ZONE_FILL.draft].layout.visibility, 'none');
  for (const id of planLayerIds(style, 'draft')) assert.equal(byId[id].layout.visibility, 'none', id);
  assert.ok(byId[SELECTED_ZONE_LAYER]);
});

test('every label layer follows the language, in Arabic too', () => {
  const style = buildStyle({ origin, lang: 'ar' });
  const ids = new Set(style.layers.map((l) => l.id));
  for (const id of Object.keys(LABEL_LAYERS)) assert.ok(ids.has(id), id);
  const commune = style.layers.find((l) => l.id === 'territories-commune-label');
  assert.deepEqual(commune.layout['text-field'], ['coalesce', ['get', 'name_ar'], ['get', 'name_fr'], '']);
});
