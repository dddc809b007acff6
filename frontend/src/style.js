// The MapLibre style of the web map: our own basemap, territories, zones and prescriptions.
// Pure data (no DOM, no maplibre import), so node's test runner can validate it.

export const FONT_REGULAR = ['Noto Sans Regular'];
export const FONT_BOLD = ['Noto Sans Bold'];

export const TILE_LAYERS = ['basemap', 'territories', 'zones', 'prescriptions'];

export const DEFAULT_CENTER = [-7.62, 33.53];
export const DEFAULT_ZOOM = 12;

// Zone families, in legend order. Conventional planning colours (warm = housing, violet =
// economic, blue = equipment, green = green spaces), chosen to stay distinct for the common
// colour-vision deficiencies at the fill opacity used below.
export const FAMILIES = [
  'dense_housing',
  'villas',
  'mixed',
  'economic',
  'tourism',
  'equipment',
  'green',
  'rural',
  'no_build',
];

export const FAMILY_COLORS = {
  dense_housing: '#d6604d',
  villas: '#f4a582',
  mixed: '#c2a5cf',
  economic: '#7b6fb8',
  tourism: '#35978f',
  equipment: '#4393c3',
  green: '#5aae61',
  rural: '#dfc27d',
  no_build: '#9e9e9e',
};

export const PRESCRIPTION_KINDS = [
  'equipment_reservation',
  'road_reservation',
  'green_reservation',
  'easement',
  'no_build_area',
];

export const PRESCRIPTION_COLORS = {
  equipment_reservation: '#1f5f8b',
  road_reservation: '#8c510a',
  green_reservation: '#1b7837',
  easement: '#6a3d9a',
  no_build_area: '#b2182b',
};

// Hatch images for prescriptions (and no-build zones), drawn at run time by patterns.js
// when the map asks for them (no sprite file to serve).
export const HATCHES = {
  'hatch-equipment_reservation': { color: PRESCRIPTION_COLORS.equipment_reservation, angle: 45 },
  'hatch-road_reservation': { color: PRESCRIPTION_COLORS.road_reservation, angle: 0, spacing: 6 },
  'hatch-green_reservation': { color: PRESCRIPTION_COLORS.green_reservation, angle: -45 },
  'hatch-easement': { color: PRESCRIPTION_COLORS.easement, angle: 90, spacing: 8 },
  'hatch-no_build_area': { color: PRESCRIPTION_COLORS.no_build_area, angle: 45, cross: true },
  'hatch-no_build': { color: '#616161', angle: 45, cross: true, spacing: 10 },
};

export const PLANS = ['approved', 'draft'];

// Layer ids that tests and the UI rely on.
export const ZONE_FILL = { approved: 'zones-approved-fill', draft: 'zones-draft-fill' };
export const SELECTED_ZONE_LAYER = 'zones-selected';

const BASE = {
  land: '#f3f0e8',
  sea: '#aed0e6',
  water_line: '#7fb2d4',
  coast: '#5e94bb',
  road: '#ffffff',
  road_casing: '#b9b2a5',
  road_primary: '#fff4d6',
  road_primary_casing: '#c9a86a',
  rail: '#8a8580',
  commune: '#5b3f7a',
  district: '#7d7390',
  text: '#2b2b2b',
  halo: '#ffffff',
};

/** The text-field expression of a label layer in a language ('fr', 'ar' or 'en'). */
export function labelField(kind, lang) {
  const fr = kind === 'name' ? 'name_fr' : 'label_fr';
  const ar = kind === 'name' ? 'name_ar' : 'label_ar';
  const [first, second] = lang === 'ar' ? [ar, fr] : [fr, ar];
  return ['coalesce', ['get', first], ['get', second], ''];
}

/** Zone labels: the code, and the zone's name under it at street zoom. */
export function zoneLabelField(lang) {
  return [
    'step',
    ['zoom'],
    ['to-string', ['get', 'code']],
    17,
    ['format', ['to-string', ['get', 'code']], {}, '\n', {}, labelField('label', lang), { 'font-scale': 0.8, 'text-font': ['literal', FONT_REGULAR] }],
  ];
}

// Layers whose text follows the language switch: id -> (lang) => text-field.
export const LABEL_LAYERS = {
  'basemap-sea-label': (lang) => labelField('name', lang),
  'basemap-road-label': (lang) => labelField('name', lang),
  'territories-district-label': (lang) => labelField('name', lang),
  'territories-commune-label': (lang) => labelField('name', lang),
  'zones-approved-label': zoneLabelField,
  'zones-draft-label': zoneLabelField,
  'prescriptions-approved-label': (lang) => labelField('label', lang),
  'prescriptions-draft-label': (lang) => labelField('label', lang),
};

const kindIs = (kind) => ['==', ['get', 'kind'], kind];
const statusIs = (status) => ['==', ['get', 'status'], status];
const geomIn = (...types) => ['in', ['geometry-type'], ['literal', types]];
const POLYGON = ['Polygon', 'MultiPolygon'];
const LINE = ['LineString', 'MultiLineString'];
const POINT = ['Point', 'MultiPoint'];

function familyColor() {
  const expr = ['match', ['get', 'family']];
  for (const f of FAMILIES) expr.push(f, FAMILY_COLORS[f]);
  expr.push('#cccccc');
  return expr;
}

function kindColor() {
  const expr = ['match', ['get', 'kind']];
  for (const k of PRESCRIPTION_KINDS) expr.push(k, PRESCRIPTION_COLORS[k]);
  expr.push('#555555');
  return expr;
}

const textHalo = { 'text-color': BASE.text, 'text-halo-color': BASE.halo, 'text-halo-width': 1.5 };

function zoneLayers(plan, lang, visible) {
  const visibility = visible ? 'visible' : 'none';
  const src = { source: 'zones', 'source-layer': 'zones' };
  return {
    fill: [
      {
        id: ZONE_FILL[plan],
        type: 'fill',
        ...src,
        filter: statusIs(plan),
        layout: { visibility },
        paint: {
          'fill-color': familyColor(),
          'fill-opacity': ['interpolate', ['linear'], ['zoom'], 10, 0.7, 16, 0.5],
        },
      },
      {
        id: `zones-${plan}-hatch`,
        type: 'fill',
        ...src,
        filter: ['all', statusIs(plan), ['==', ['get', 'family'], 'no_build']],
        layout: { visibility },
        paint: { 'fill-pattern': 'hatch-no_build', 'fill-opacity': 0.6 },
      },
    ],
    line: [
      {
        id: `zones-${plan}-line`,
        type: 'line',
        ...src,
        filter: statusIs(plan),
        layout: { visibility, 'line-join': 'round' },
        paint: {
          'line-color': '#4a4036',
          'line-opacity': ['interpolate', ['linear'], ['zoom'], 10, 0.35, 15, 0.8],
          'line-width': ['interpolate', ['linear'], ['zoom'], 10, 0.4, 14, 0.9, 18, 2],
          // The draft under inquiry is drawn with dashed outlines, so a screenshot of it
          // cannot be mistaken for the plan in force.
          ...(plan === 'draft' ? { 'line-dasharray': [3, 2] } : {}),
        },
      },
    ],
    label: [
      {
        id: `zones-${plan}-label`,
        type: 'symbol',
        ...src,
        minzoom: 14,
        filter: statusIs(plan),
        layout: {
          visibility,
          'text-field': zoneLabelField(lang),
          'text-font': FONT_BOLD,
          'text-size': ['interpolate', ['linear'], ['zoom'], 14, 11, 18, 15],
          'text-max-width': 9,
          'text-padding': 4,
        },
        paint: { ...textHalo, 'text-color': '#1a1a1a', 'text-halo-width': 1.8 },
      },
    ],
  };
}

function prescriptionLayers(plan, lang, visible) {
  const visibility = visible ? 'visible' : 'none';
  const src = { source: 'prescriptions', 'source-layer': 'prescriptions' };
  return {
    area: [
      {
        id: `prescriptions-${plan}-fill`,
        type: 'fill',
        ...src,
        filter: ['all', statusIs(plan), geomIn(...POLYGON)],
        layout: { visibility },
        paint: {
          'fill-pattern': ['concat', 'hatch-', ['get', 'kind']],
          'fill-opacity': ['interpolate', ['linear'], ['zoom'], 11, 0.45, 15, 0.9],
        },
      },
      {
        id: `prescriptions-${plan}-outline`,
        type: 'line',
        ...src,
        filter: ['all', statusIs(plan), geomIn(...POLYGON)],
        layout: { visibility, 'line-join': 'round' },
        paint: {
          'line-color': kindColor(),
          'line-width': ['interpolate', ['linear'], ['zoom'], 11, 0.6, 16, 2],
          'line-opacity': ['interpolate', ['linear'], ['zoom'], 11, 0.6, 15, 1],
          'line-dasharray': [4, 2],
        },
      },
      {
        id: `prescriptions-${plan}-line`,
        type: 'line',
        ...src,
        filter: ['all', statusIs(plan), geomIn(...LINE)],
        layout: { visibility, 'line-cap': 'butt', 'line-join': 'round' },
        paint: {
          'line-color': kindColor(),
          'line-width': ['interpolate', ['exponential', 1.6], ['zoom'], 11, 1.5, 18, 10],
          'line-opacity': 0.8,
          'line-dasharray': [2, 1],
        },
      },
    ],
    point: [
      {
        id: `prescriptions-${plan}-point`,
        type: 'circle',
        ...src,
        filter: ['all', statusIs(plan), geomIn(...POINT)],
        layout: { visibility },
        paint: {
          'circle-color': kindColor(),
          'circle-radius': ['interpolate', ['linear'], ['zoom'], 11, 3, 17, 8],
          'circle-stroke-color': '#ffffff',
          'circle-stroke-width': 1.5,
        },
      },
    ],
    label: [
      {
        id: `prescriptions-${plan}-label`,
        type: 'symbol',
        ...src,
        minzoom: 15,
        filter: statusIs(plan),
        layout: {
          visibility,
          'text-field': labelField('label', lang),
          'text-font': FONT_REGULAR,
          'text-size': 11,
          'text-max-width': 8,
          'text-offset': [0, 1.1],
          'text-optional': true,
        },
        paint: { ...textHalo, 'text-color': kindColor() },
      },
    ],
  };
}

function basemapLayers(lang) {
  const src = { source: 'basemap', 'source-layer': 'basemap' };
  const roadWidth = (z10, z18) => ['interpolate', ['exponential', 1.5], ['zoom'], 10, z10, 18, z18];
  return {
    water: [
      { id: 'basemap-sea', type: 'fill', ...src, filter: kindIs('sea'), paint: { 'fill-color': BASE.sea } },
    ],
    lines: [
      {
        id: 'basemap-river',
        type: 'line',
        ...src,
        filter: kindIs('river'),
        layout: { 'line-cap': 'round', 'line-join': 'round' },
        paint: { 'line-color': BASE.water_line, 'line-width': roadWidth(1, 5) },
      },
      {
        id: 'basemap-coastline',
        type: 'line',
        ...src,
        filter: kindIs('coastline'),
        paint: { 'line-color': BASE.coast, 'line-width': ['interpolate', ['linear'], ['zoom'], 8, 0.8, 16, 2] },
      },
      {
        id: 'basemap-road-secondary-casing',
        type: 'line',
        ...src,
        minzoom: 11,
        filter: kindIs('road_secondary'),
        layout: { 'line-cap': 'round', 'line-join': 'round' },
        paint: { 'line-color': BASE.road_casing, 'line-width': roadWidth(1.6, 14) },
      },
      {
        id: 'basemap-road-primary-casing',
        type: 'line',
        ...src,
        filter: kindIs('road_primary'),
        layout: { 'line-cap': 'round', 'line-join': 'round' },
        paint: { 'line-color': BASE.road_primary_casing, 'line-width': roadWidth(2.6, 22) },
      },
      {
        id: 'basemap-road-secondary',
        type: 'line',
        ...src,
        filter: kindIs('road_secondary'),
        layout: { 'line-cap': 'round', 'line-join': 'round' },
        paint: { 'line-color': BASE.road, 'line-width': roadWidth(0.8, 11) },
      },
      {
        id: 'basemap-road-primary',
        type: 'line',
        ...src,
        filter: kindIs('road_primary'),
        layout: { 'line-cap': 'round', 'line-join': 'round' },
        paint: { 'line-color': BASE.road_primary, 'line-width': roadWidth(1.6, 18) },
      },
      {
        id: 'basemap-rail',
        type: 'line',
        ...src,
        filter: kindIs('rail'),
        paint: { 'line-color': BASE.rail, 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 1, 16, 3] },
      },
      {
        id: 'basemap-rail-ties',
        type: 'line',
        ...src,
        minzoom: 13,
        filter: kindIs('rail'),
        paint: {
          'line-color': BASE.rail,
          'line-width': ['interpolate', ['linear'], ['zoom'], 13, 4, 16, 7],
          'line-dasharray': [0.15, 1.5],
        },
      },
    ],
    labels: [
      {
        id: 'basemap-road-label',
        type: 'symbol',
        ...src,
        minzoom: 13,
        filter: ['in', ['get', 'kind'], ['literal', ['road_primary', 'road_secondary']]],
        layout: {
          'symbol-placement': 'line',
          'text-field': labelField('name', lang),
          'text-font': FONT_REGULAR,
          'text-size': ['interpolate', ['linear'], ['zoom'], 13, 10, 18, 14],
          'text-padding': 8,
        },
        paint: { ...textHalo, 'text-color': '#4d4d4d' },
      },
      {
        id: 'basemap-sea-label',
        type: 'symbol',
        ...src,
        filter: ['all', kindIs('sea'), ['has', 'name_fr']],
        layout: {
          'text-field': labelField('name', lang),
          'text-font': FONT_REGULAR,
          'text-size': 14,
          'text-letter-spacing': 0.15,
          'text-max-width': 8,
        },
        paint: { 'text-color': '#2f6690', 'text-halo-color': 'rgba(255,255,255,0.6)', 'text-halo-width': 1 },
      },
    ],
  };
}

function territoryLayers(lang) {
  const src = { source: 'territories', 'source-layer': 'territories' };
  const level = (l) => ['==', ['get', 'level'], l];
  return {
    lines: [
      {
        id: 'territories-district-line',
        type: 'line',
        ...src,
        minzoom: 12,
        filter: level('district'),
        paint: {
          'line-color': BASE.district,
          'line-width': ['interpolate', ['linear'], ['zoom'], 12, 0.8, 17, 1.6],
          'line-dasharray': [1, 2],
        },
      },
      {
        id: 'territories-commune-casing',
        type: 'line',
        ...src,
        filter: level('commune'),
        paint: {
          'line-color': '#ffffff',
          'line-opacity': 0.8,
          'line-width': ['interpolate', ['linear'], ['zoom'], 8, 2.5, 16, 6],
        },
      },
      {
        id: 'territories-commune-line',
        type: 'line',
        ...src,
        filter: level('commune'),
        layout: { 'line-join': 'round' },
        paint: {
          'line-color': BASE.commune,
          'line-width': ['interpolate', ['linear'], ['zoom'], 8, 1.2, 16, 3],
          'line-dasharray': [5, 2, 1, 2],
        },
      },
    ],
    labels: [
      {
        id: 'territories-district-label',
        type: 'symbol',
        ...src,
        minzoom: 13,
        filter: level('district'),
        layout: {
          'text-field': labelField('name', lang),
          'text-font': FONT_REGULAR,
          'text-size': 12,
          'text-max-width': 8,
          'text-padding': 10,
        },
        paint: { ...textHalo, 'text-color': '#4e4366' },
      },
      {
        id: 'territories-commune-label',
        type: 'symbol',
        ...src,
        // Polygon labels repeat in every tile a commune covers: stop before they crowd.
        maxzoom: 13,
        filter: level('commune'),
        layout: {
          'text-field': labelField('name', lang),
          'text-font': FONT_BOLD,
          'text-size': ['interpolate', ['linear'], ['zoom'], 9, 12, 14, 17],
          'text-transform': 'uppercase',
          'text-letter-spacing': 0.08,
          'text-max-width': 10,
          'text-padding': 20,
        },
        paint: { ...textHalo, 'text-color': BASE.commune, 'text-halo-width': 2 },
      },
    ],
  };
}

/** Make a tile URL template absolute and same-origin (the product never leaves its origin). */
export function sameOriginTiles(template, origin) {
  const url = new URL(template, origin);
  return origin + decodeURI(url.pathname) + url.search;
}

/** A vector source from a TileJSON document (or from defaults when it could not be read). */
export function vectorSource(name, origin, tilejson) {
  const tiles = (tilejson && Array.isArray(tilejson.tiles) && tilejson.tiles.length
    ? tilejson.tiles
    : [`/tiles/${name}/{z}/{x}/{y}.pbf`]
  ).map((t) => sameOriginTiles(t, origin));
  const source = { type: 'vector', tiles, minzoom: 0, maxzoom: 14 };
  if (tilejson) {
    if (Number.isInteger(tilejson.minzoom)) source.minzoom = tilejson.minzoom;
    if (Number.isInteger(tilejson.maxzoom)) source.maxzoom = tilejson.maxzoom;
    if (Array.isArray(tilejson.bounds) && tilejson.bounds.length === 4) source.bounds = tilejson.bounds;
  }
  return source;
}

/**
 * The whole style.
 * @param {object} opts
 * @param {string} opts.origin  e.g. location.origin; tiles and glyphs are fetched from it only
 * @param {string} [opts.lang]  'fr' | 'ar' | 'en': the language of map labels
 * @param {string} [opts.plan]  'approved' | 'draft': which plan is shown
 * @param {object} [opts.tilejson]  TileJSON documents by tile layer name
 */
export function buildStyle({ origin, lang = 'fr', plan = 'approved', tilejson = {} }) {
  const sources = {};
  for (const name of TILE_LAYERS) sources[name] = vectorSource(name, origin, tilejson[name]);
  sources.zones.attribution = 'Agence urbaine — e-urbanisme';
  sources.basemap.attribution = 'Fond de plan e-urbanisme';

  const base = basemapLayers(lang);
  const terr = territoryLayers(lang);
  const zones = Object.fromEntries(PLANS.map((p) => [p, zoneLayers(p, lang, p === plan)]));
  const presc = Object.fromEntries(PLANS.map((p) => [p, prescriptionLayers(p, lang, p === plan)]));
  const each = (byPlan, part) => PLANS.flatMap((p) => byPlan[p][part]);

  const layers = [
    { id: 'background', type: 'background', paint: { 'background-color': BASE.land } },
    ...base.water,
    ...each(zones, 'fill'),
    ...base.lines,
    ...each(presc, 'area'),
    ...each(zones, 'line'),
    ...terr.lines,
    {
      id: SELECTED_ZONE_LAYER,
      type: 'line',
      source: 'zones',
      'source-layer': 'zones',
      filter: ['==', ['get', 'id'], -1],
      layout: { 'line-join': 'round' },
      paint: { 'line-color': '#0b3c5d', 'line-width': 4 },
    },
    ...each(presc, 'point'),
    ...base.labels,
    ...terr.labels,
    ...each(presc, 'label'),
    ...each(zones, 'label'),
  ];

  return {
    version: 8,
    name: 'e-urbanisme',
    glyphs: `${origin}/static/app/glyphs/{fontstack}/{range}.pbf`,
    sources,
    layers,
  };
}

/** Ids of the layers that belong to one plan (shown or hidden together by the plan switch). */
export function planLayerIds(style, plan) {
  return style.layers
    .map((l) => l.id)
    .filter((id) => id.startsWith(`zones-${plan}-`) || id.startsWith(`prescriptions-${plan}-`));
}
