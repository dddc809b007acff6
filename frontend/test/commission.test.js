import test from 'node:test';
import assert from 'node:assert/strict';
import { barRows, transitionsFor } from '../src/commission/workspace.js';
import { MESSAGES } from '../src/i18n.js';

test('bars are scaled to the largest count', () => {
  const rows = barRows([{ theme: 'a', count: 8 }, { theme: 'b', count: 2 }, { theme: 'c', count: 0 }], (r) => r.theme);
  assert.deepEqual(rows.map((r) => r.share), [100, 25, 0]);
  assert.deepEqual(barRows([], (r) => r), []);
});

test('the commission is offered only the next step of the inquiry it conducts', () => {
  assert.deepEqual(transitionsFor('open'), ['close']);
  assert.deepEqual(transitionsFor('closed'), ['synthesis']);
  assert.deepEqual(transitionsFor('approved'), []);
});

test('every workspace message exists in French, Arabic and English', () => {
  const keys = Object.keys(MESSAGES.fr).filter((k) => k.startsWith('com.'));
  assert.ok(keys.length > 30);
  for (const lang of ['ar', 'en']) {
    assert.deepEqual(keys.filter((k) => !(k in MESSAGES[lang])), [], lang);
  }
});
