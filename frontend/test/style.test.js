import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
// validateStyleMin is the package's whole-style validator (its `validate` export is the low-level,
// per-value function it is built on).
import { validateStyleMin } from '@maplibre/maplibre-gl-style-spec';
import {
  blankStyle,
  FAMILY_COLORS,
  HATCHES,
  labelFields,
  PLANS,
  planLayerIds,
  PRESCRIPTION_COLORS,
  PRESCRIPTION_KINDS,
  styleUrl,
  withoutSources,
} from '../src/style.js';

// The style itself is served by tiles/style.py (validated by tests/tiles/test_metadata.py); a
// small one of the same shape stands for it here.
const origin = 'http://127.0.0.1:8000';
const served = {
  version: 8,
  glyphs: `${origin}/static/app/glyphs/{fontstack}/{range}.pbf`,
  sources: {
    zones: { type: 'vector', url: `${origin}/tiles/zones.json` },
    basemap: { type: 'vector', url: `${origin}/tiles/basemap.json` },
  },
  layers: [
    { id: 'background', type: 'background' },
    { id: 'basemap-sea', type: 'fill', source: 'basemap', 'source-layer': 'basemap' },
    { id: 'zones-approved-fill', type: 'fill', source: 'zones', 'source-layer': 'zones', layout: { visibility: 'visible' } },
    { id: 'zones-draft-fill', type: 'fill', source: 'zones', 'source-layer': 'zones', layout: { visibility: 'none' } },
    { id: 'zones-selected', type: 'line', source: 'zones', 'source-layer': 'zones' },
    {
      id: 'zones-approved-label',
      type: 'symbol',
      source: 'zones',
      'source-layer': 'zones',
      layout: { 'text-field': ['get', 'code'], 'text-font': ['Noto Sans Bold'] },
    },
  ],
};

test('the served style is asked for in a language and a plan, on the page origin', () => {
  assert.equal(styleUrl({ origin, lang: 'ar', plan: 'draft' }), `${origin}/tiles/style.json?lang=ar&plan=draft`);
  assert.equal(styleUrl({ origin }), `${origin}/tiles/style.json?lang=fr&plan=approved`);
});

test('the plan switch finds the layers of each plan, and never the shared ones', () => {
  assert.deepEqual(planLayerIds(served, 'approved'), ['zones-approved-fill', 'zones-approved-label']);
  assert.deepEqual(planLayerIds(served, 'draft'), ['zones-draft-fill']);
  for (const plan of PLANS) assert.ok(!planLayerIds(served, plan).includes('zones-selected'));
});

test('the language switch takes every label text from the style', () => {
  assert.deepEqual(labelFields(served), { 'zones-approved-label': ['get', 'code'] });
});

test('a page can drop the sources it draws itself, with their layers', () => {
  const style = withoutSources(served, ['zones']);
  assert.deepEqual(Object.keys(style.sources), ['basemap']);
  assert.deepEqual(style.layers.map((l) => l.id), ['background', 'basemap-sea']);
  assert.deepEqual(validateStyleMin(style).map((e) => e.message), []);
  assert.equal(served.layers.length, 6); // the served style itself is left as it was
});

test('the blank fallback style is valid and stays on the origin', () => {
  const style = blankStyle(origin);
  assert.deepEqual(validateStyleMin(style).map((e) => e.message), []);
  assert.ok(style.glyphs.startsWith(`${origin}/static/app/glyphs/`));
});

test('every prescription kind has a hatch drawing', () => {
  for (const kind of PRESCRIPTION_KINDS) assert.ok(HATCHES[`hatch-${kind}`], kind);
  assert.ok(HATCHES['hatch-no_build']);
});

test('the legend colours are the served style colours (tiles/style.py)', () => {
  const python = readFileSync(new URL('../../tiles/style.py', import.meta.url), 'utf8');
  for (const [key, color] of Object.entries({ ...FAMILY_COLORS, ...PRESCRIPTION_COLORS })) {
    assert.ok(python.includes(`"${key}": "${color}"`), `${key} ${color}`);
  }
});
