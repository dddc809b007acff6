// The web pages' side of the map style. The style itself (basemap, territories, zones and
// prescriptions) is served by the tile service at /tiles/style.json (tiles/style.py); each page
// loads it and adds its own overlays on top. Here: what the UI needs besides it (legend
// colours, hatch drawings, layer ids), pure data and functions so node's test runner sees them.

export const FONT_REGULAR = ['Noto Sans Regular'];
export const FONT_BOLD = ['Noto Sans Bold'];

export const DEFAULT_CENTER = [-7.62, 33.53];
export const DEFAULT_ZOOM = 12;

// Zone families, in legend order. Conventional planning colours (warm = housing, violet =
// economic, blue = equipment, green = green spaces), chosen to stay distinct for the common
// colour-vision deficiencies at the map's fill opacity. The same table is in tiles/style.py.
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

// Layer ids of the served style that tests and the UI rely on.
export const ZONE_FILL = { approved: 'zones-approved-fill', draft: 'zones-draft-fill' };
export const SELECTED_ZONE_LAYER = 'zones-selected';

/** The URL of the served style: map labels in `lang`, the layers of `plan` shown. */
export function styleUrl({ origin, lang = 'fr', plan = 'approved' }) {
  return `${origin}/tiles/style.json?${new URLSearchParams({ lang, plan })}`;
}

/** The served style (throws when the tile service does not answer). */
export async function fetchStyle({ origin, lang, plan }) {
  const response = await fetch(styleUrl({ origin, lang, plan }), { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`style.json: HTTP ${response.status}`);
  return response.json();
}

/** A blank style with our glyphs: pages whose own overlays matter more than the plan use it
 * when the tile service does not answer. */
export function blankStyle(origin) {
  return {
    version: 8,
    glyphs: `${origin}/static/app/glyphs/{fontstack}/{range}.pbf`,
    sources: {},
    layers: [{ id: 'background', type: 'background', paint: { 'background-color': '#f3f0e8' } }],
  };
}

/** The style without some of its sources (and their layers), for pages that draw their own. */
export function withoutSources(style, names) {
  const drop = new Set(names);
  return {
    ...style,
    sources: Object.fromEntries(Object.entries(style.sources).filter(([name]) => !drop.has(name))),
    layers: style.layers.filter((l) => !drop.has(l.source)),
  };
}

/** id -> text-field of every label layer: what changes when the language changes. */
export function labelFields(style) {
  return Object.fromEntries(
    style.layers.filter((l) => l.layout?.['text-field'] !== undefined).map((l) => [l.id, l.layout['text-field']]),
  );
}

/** Ids of the layers that belong to one plan (shown or hidden together by the plan switch). */
export function planLayerIds(style, plan) {
  return style.layers
    .map((l) => l.id)
    .filter((id) => id.startsWith(`zones-${plan}-`) || id.startsWith(`prescriptions-${plan}-`));
}
