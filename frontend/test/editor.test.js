import test from 'node:test';
import assert from 'node:assert/strict';
import { MESSAGES } from '../src/i18n.js';
import {
  bboxOf,
  boxesMeet,
  changedFields,
  commandFor,
  diffFillColor,
  diffLayers,
  editablePolygon,
  etagOf,
  formPayload,
  polygonsOf,
  problemPoints,
  restorable,
  uuid4,
} from '../src/editor/model.js';

const square = [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]];

test('keys map to editor commands, but not while typing in a field', () => {
  assert.equal(commandFor({ key: 'n' }), 'draw');
  assert.equal(commandFor({ key: 'N' }), 'draw');
  assert.equal(commandFor({ key: 'Delete' }), 'remove');
  assert.equal(commandFor({ key: 'n', inField: true }), null);
  assert.equal(commandFor({ key: 's', ctrlKey: true, inField: true }), 'save');
  assert.equal(commandFor({ key: 'Escape', inField: true }), 'cancel');
  assert.equal(commandFor({ key: 'c', ctrlKey: true }), null);
});

test('the ETag is built like the API builds it', () => {
  assert.equal(etagOf({ id: 12, revision: 3 }), '"zone-12-r3"');
});

test('only a single polygon can be reshaped with terra-draw', () => {
  assert.deepEqual(editablePolygon({ type: 'MultiPolygon', coordinates: [square] }), { type: 'Polygon', coordinates: square });
  assert.equal(editablePolygon({ type: 'MultiPolygon', coordinates: [square, square] }), null);
  assert.equal(polygonsOf({ type: 'MultiPolygon', coordinates: [square, square] }).length, 2);
});

test('coordinates are rounded to what terra-draw accepts', () => {
  const fine = { type: 'Polygon', coordinates: [[[-7.123456789012345, 33.1], [0, 0], [-7.123456789012345, 33.1]]] };
  assert.equal(editablePolygon(fine).coordinates[0][0][0], -7.123456789);
});

test('bounding boxes and their overlap', () => {
  assert.deepEqual(bboxOf({ type: 'Polygon', coordinates: square }), [0, 0, 1, 1]);
  assert.ok(boxesMeet([0, 0, 1, 1], [1, 1, 2, 2]));
  assert.ok(!boxesMeet([0, 0, 1, 1], [1.1, 0, 2, 1]));
});

test('form values become numbers or null, with a decimal comma accepted', () => {
  const payload = formPayload({ code: ' R1 ', family: 'villas', label_fr: 'Villas ', max_levels: '2', max_height_m: '8,5', min_lot_area_m2: '' });
  assert.equal(payload.code, 'R1');
  assert.equal(payload.label_fr, 'Villas');
  assert.equal(payload.max_levels, 2);
  assert.equal(payload.max_height_m, 8.5);
  assert.equal(payload.min_lot_area_m2, null);
});

test('located problems become numbered map points', () => {
  const points = problemPoints([
    { code: 'unknown_code', message: 'x', location: null },
    { code: 'overlap', message: 'y', location: { type: 'Point', coordinates: [1, 2] } },
  ]);
  assert.equal(points.features.length, 1);
  assert.equal(points.features[0].properties.n, '2');
});

test('history: changed fields, and only states that existed can be restored', () => {
  const update = { action: 'zone_update', payload: { before: { max_levels: 2 }, after: { max_levels: 3, geom: {} } } };
  assert.deepEqual(changedFields(update), ['geom', 'max_levels']);
  assert.ok(restorable(update));
  assert.ok(!restorable({ action: 'zone_create', payload: { before: null, after: {} } }));
});

test('a diff becomes a colour by zone id and points for removed zones', () => {
  const layers = diffLayers({
    added: [{ zone_id: 5 }],
    modified: [{ new_zone_id: 7 }],
    removed: [{ key: 'k', code: 'R1', location: { type: 'Point', coordinates: [0, 0] } }],
  });
  assert.deepEqual(layers.added, [5]);
  assert.equal(layers.removed.features.length, 1);
  const expr = diffFillColor(layers);
  assert.equal(expr[0], 'match');
  assert.equal(expr[2], 5);
  assert.equal(diffFillColor({ added: [], modified: [] }), 'rgba(0,0,0,0)');
});

test('uuid4 ids are what terra-draw expects', () => {
  assert.match(uuid4(), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('every editor message exists in French, Arabic and English', () => {
  const keys = Object.keys(MESSAGES.fr).filter((k) => k.startsWith('ed.'));
  assert.ok(keys.length > 80);
  for (const lang of ['ar', 'en']) {
    assert.deepEqual(keys.filter((k) => !(k in MESSAGES[lang])), [], lang);
  }
});
