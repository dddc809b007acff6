import test from 'node:test';
import assert from 'node:assert/strict';
import {
  classColors,
  classFillExpression,
  extent,
  legendRows,
  lisaFillExpression,
  lorenzPath,
  moranScatter,
  roundValue,
  scale,
  timeSeries,
} from '../src/dashboard/charts.js';
import { LANGS, MESSAGES } from '../src/i18n.js';

test('one colour per class, light to dark, the darkest last', () => {
  assert.equal(classColors(5).length, 5);
  assert.equal(classColors(9)[8], '#800026');
  assert.equal(classColors(2)[0], '#ffffcc');
});

test('the legend uses the server breaks as they are, lower bound from the minimum', () => {
  const rows = legendRows({ bins: [10, 20, 35], counts: [3, 4, 2], min: 1.5 });
  assert.deepEqual(rows.map((r) => [r.lower, r.upper, r.count]), [[1.5, 10, 3], [10, 20, 4], [20, 35, 2]]);
});

test('features are coloured by the class the server gave them', () => {
  const expr = classFillExpression(3);
  assert.equal(expr[0], 'match');
  assert.deepEqual(expr.slice(2, 8), [0, classColors(3)[0], 1, classColors(3)[1], 2, classColors(3)[2]]);
  assert.equal(lisaFillExpression()[3], '#d7191c');
});

test('the Lorenz curve runs from the origin to the top right corner', () => {
  const d = lorenzPath({ population_share: [0, 0.5, 1], value_share: [0, 0.25, 1] }, 100);
  assert.equal(d, 'M0.0,100.0L50.0,75.0L100.0,0.0');
});

test('the Moran scatter slope is I, through the origin', () => {
  const m = moranScatter({ z: [-1, 0, 1], lag: [-0.5, 0, 0.5] }, 0.5, 200);
  const [[x0, y0], [x1, y1]] = m.line;
  assert.ok(Math.abs((y0 - y1) / (x1 - x0) - 0.5) < 1e-9);
  assert.deepEqual(m.origin, [100, 100]);
  assert.equal(m.points.length, 3);
});

test('time series keep yearly periods, sorted', () => {
  const ts = timeSeries([{ period: '2020', value: 2 }, { period: '2015', value: 1 }, { period: '2014-2024', value: 9 }], 100, 50);
  assert.deepEqual(ts.rows.map((r) => r.period), ['2015', '2020']);
  assert.equal(ts.points[0][0], 0);
  assert.equal(ts.points[1][0], 100);
});

test('scales and extents handle flat data', () => {
  assert.equal(scale([5, 5], [0, 10])(5), 5);
  assert.deepEqual(extent([]), [0, 1]);
  assert.equal(roundValue(null), '–');
  assert.equal(roundValue(0.00001234), '1.23e-5');
});

test('every dashboard message exists in French, Arabic and English', () => {
  const keys = Object.keys(MESSAGES.fr).filter((k) => k.startsWith('dash.'));
  assert.ok(keys.length > 40);
  for (const lang of LANGS) for (const k of keys) assert.ok(MESSAGES[lang][k], `${lang} ${k}`);
});
