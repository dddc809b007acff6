import test from 'node:test';
import assert from 'node:assert/strict';
import { legalLines, noteUrl, placeQuery } from '../src/card.js';

test('a clicked place asks for the lookup at its coordinates, in the plan shown', () => {
  const query = placeQuery({ lon: -7.6, lat: 33.55 }, 'draft');
  assert.equal(query.toString(), 'lon=-7.6000000&lat=33.5500000&plan=draft');
  assert.equal(placeQuery({ zone: 12 }).toString(), 'zone=12');
});

test('the note is asked for in French or Arabic (English readers get the French one)', () => {
  assert.match(noteUrl({ zone: 3 }, 'approved', 'ar'), /^\/api\/v1\/lookup\/note\.pdf\?zone=3&plan=approved&lang=ar$/);
  assert.match(noteUrl({ zone: 3 }, 'approved', 'en'), /lang=fr$/);
});

test('the legal status names the decree of an approved plan and the inquiry of a draft', () => {
  const approved = {
    legal_status: { status: 'approved', fr: 'Plan approuvé, opposable aux tiers', ar: 'تصميم مصادق عليه' },
    plan_version: { approved_on: '2014-09-04', decree_reference: 'Décret n° 2-14-318' },
  };
  const [status, decree] = legalLines(approved, 'fr');
  assert.equal(status, 'Plan approuvé, opposable aux tiers');
  assert.match(decree, /Décret n° 2-14-318/);
  assert.match(decree, /2014/);
  assert.equal(legalLines(approved, 'ar')[0], 'تصميم مصادق عليه');
  const draft = {
    legal_status: { status: 'draft', fr: 'Projet soumis à enquête publique, non opposable' },
    plan_version: { inquiry_opens_at: '2026-11-21T09:00:00+01:00', inquiry_closes_at: '2026-12-21T17:00:00+01:00' },
  };
  assert.match(legalLines(draft, 'fr')[1], /^Enquête publique du 21 novembre 2026 au 21 décembre 2026$/);
});
