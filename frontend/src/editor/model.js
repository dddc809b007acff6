// Pure helpers of the zoning editor (no DOM, no map library: they run under node --test).

// The zone attributes of the form, in display order; numbers are sent as numbers or null.
export const TEXT_FIELDS = ['label_fr', 'label_ar'];
export const RULE_FIELDS = [
  'max_levels',
  'max_height_m',
  'ground_coverage_max',
  'floor_area_ratio_max',
  'min_lot_area_m2',
  'setback_road_m',
  'setback_neighbour_m',
];
// The code-list limit that bounds each rule (shown next to the field).
export const RULE_LIMITS = {
  max_levels: 'max_levels_limit',
  max_height_m: 'max_height_m_limit',
  ground_coverage_max: 'ground_coverage_limit',
  floor_area_ratio_max: 'floor_area_ratio_limit',
  min_lot_area_m2: 'min_lot_area_m2_floor',
};

// Keyboard shortcuts (also listed in the page): key → command. Ctrl/Cmd+S saves anywhere.
export const SHORTCUTS = {
  n: 'draw',
  e: 'reshape',
  s: 'split',
  m: 'merge',
  Delete: 'remove',
  h: 'history',
  Escape: 'cancel',
};

/** The editor command a key press asks for, or null (typing in a field is left alone). */
export function commandFor({ key, ctrlKey = false, metaKey = false, altKey = false, inField = false }) {
  if ((ctrlKey || metaKey) && key.toLowerCase() === 's') return 'save';
  if (ctrlKey || metaKey || altKey) return null;
  if (key === 'Escape') return 'cancel';
  if (inField) return null;
  return SHORTCUTS[key.length === 1 ? key.toLowerCase() : key] || null;
}

/** The ETag of a zone as the API gives it (used for If-Match). */
export function etagOf(zone) {
  return `"zone-${zone.id}-r${zone.revision}"`;
}

/** The one polygon of a zone that terra-draw can edit, or null for a multi-part zone. */
export function editablePolygon(geometry) {
  if (!geometry) return null;
  if (geometry.type === 'Polygon') return rounded(geometry);
  if (geometry.type === 'MultiPolygon' && geometry.coordinates.length === 1) {
    return rounded({ type: 'Polygon', coordinates: geometry.coordinates[0] });
  }
  return null;
}

// terra-draw refuses coordinates finer than its precision (9 decimals, about 0.1 mm).
export const COORDINATE_PRECISION = 9;

/** A geometry with its coordinates rounded to `digits` decimals, as terra-draw accepts them. */
export function rounded(geometry, digits = COORDINATE_PRECISION) {
  const factor = 10 ** digits;
  const visit = (c) => (typeof c[0] === 'number' ? c.map((v) => Math.round(v * factor) / factor) : c.map(visit));
  return { ...geometry, coordinates: visit(geometry.coordinates) };
}

/** The polygons of a (multi)polygon, one by one (for the snapping neighbours). */
export function polygonsOf(geometry) {
  if (geometry?.type === 'Polygon') return [rounded(geometry)];
  if (geometry?.type === 'MultiPolygon') return geometry.coordinates.map((c) => rounded({ type: 'Polygon', coordinates: c }));
  return [];
}

/** [west, south, east, north] of a geometry's coordinates. */
export function bboxOf(geometry) {
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  const visit = (c) => {
    if (typeof c[0] === 'number') {
      box[0] = Math.min(box[0], c[0]);
      box[1] = Math.min(box[1], c[1]);
      box[2] = Math.max(box[2], c[0]);
      box[3] = Math.max(box[3], c[1]);
    } else c.forEach(visit);
  };
  visit(geometry.coordinates);
  return box;
}

/** Whether two [w, s, e, n] boxes meet. */
export function boxesMeet(a, b) {
  return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}

/** The form's values as the API wants them: numbers or null, trimmed text. */
export function formPayload(values) {
  const out = { code: String(values.code || '').trim(), family: values.family || '' };
  for (const name of TEXT_FIELDS) out[name] = String(values[name] || '').trim();
  for (const name of RULE_FIELDS) {
    const text = String(values[name] ?? '').trim().replace(',', '.');
    out[name] = text === '' ? null : Number(text);
  }
  return out;
}

/** Validation problems as numbered map points (those that have a location). */
export function problemPoints(problems) {
  const features = (problems || [])
    .map((p, i) => ({ p, n: i + 1 }))
    .filter(({ p }) => p.location && p.location.type === 'Point')
    .map(({ p, n }) => ({
      type: 'Feature',
      geometry: p.location,
      properties: { n: String(n), code: p.code, message: p.message },
    }));
  return { type: 'FeatureCollection', features };
}

/** The fields an event changed (its before/after keys), geometry named `geom`. */
export function changedFields(event) {
  const { before, after } = event.payload || {};
  return [...new Set([...Object.keys(before || {}), ...Object.keys(after || {})])].sort();
}

/** Whether the state before an event can be brought back (a creation has no "before"). */
export function restorable(event) {
  return Boolean(event.payload?.before) && event.action !== 'zone_delete';
}

export const DIFF_COLORS = { added: '#1a9850', modified: '#f0a202', removed: '#c51b1b' };

/** A version diff as data for the map: zone ids of this version by status, removed points. */
export function diffLayers(diff) {
  const added = (diff.added || []).map((z) => z.zone_id);
  const modified = (diff.modified || []).map((z) => z.new_zone_id);
  const removed = {
    type: 'FeatureCollection',
    features: (diff.removed || []).map((z) => ({
      type: 'Feature',
      geometry: z.location,
      properties: { key: z.key, code: z.code },
    })),
  };
  return { added, modified, removed };
}

/** A MapLibre colour expression for the zones: diff colours by id, else transparent. */
export function diffFillColor({ added, modified }) {
  const pairs = [
    ...added.flatMap((id) => [id, DIFF_COLORS.added]),
    ...modified.flatMap((id) => [id, DIFF_COLORS.modified]),
  ];
  if (!pairs.length) return 'rgba(0,0,0,0)';
  return ['match', ['id'], ...pairs, 'rgba(0,0,0,0)'];
}

/** An RFC 4122 version-4 id (terra-draw's default id strategy), without needing a secure context. */
export function uuid4(random = (n) => crypto.getRandomValues(new Uint8Array(n))) {
  const b = random(16);
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
