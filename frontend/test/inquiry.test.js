import test from 'node:test';
import assert from 'node:assert/strict';
import { centroid, observationPoints, wallClock } from '../src/inquiry/geo.js';
import { MESSAGES } from '../src/i18n.js';
import { THEMES } from '../src/inquiry/themes.js';

test('a Casablanca instant is shown with its own wall-clock figures', () => {
  assert.equal(wallClock('2026-12-14T10:00:00+01:00', 'fr'), '14 décembre 2026 à 10:00');
  assert.match(wallClock('2026-12-14T10:00:00+01:00', 'ar'), /10:00/);
});

test('observations become points for the clustered layer', () => {
  const square = { type: 'Polygon', coordinates: [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]] };
  assert.deepEqual(centroid(square), [1, 1]);
  const fc = observationPoints({
    features: [
      { id: 1, geometry: square, properties: { register_number: 1, theme: 'green' } },
      { id: 2, geometry: null, properties: { register_number: 2, theme: 'other' } },
    ],
  });
  assert.equal(fc.features.length, 1);
  assert.deepEqual(fc.features[0].geometry, { type: 'Point', coordinates: [1, 1] });
});

test('every theme of the register has a label in each language', () => {
  for (const lang of ['fr', 'ar', 'en']) {
    for (const theme of THEMES) assert.ok(MESSAGES[lang][`theme.${theme}`], `${lang} ${theme}`);
  }
});
