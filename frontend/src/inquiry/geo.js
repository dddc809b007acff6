// Small helpers of the portal (no map library needed, so they run under node --test).

/** A representative [lng, lat] of a GeoJSON Point, LineString or Polygon (vertex average). */
export function centroid(geometry) {
  let coords = geometry.coordinates;
  if (geometry.type === 'Point') return coords;
  if (geometry.type === 'Polygon') coords = coords[0].slice(0, -1);
  const n = coords.length;
  const sum = coords.reduce((acc, [x, y]) => [acc[0] + x, acc[1] + y], [0, 0]);
  return [sum[0] / n, sum[1] / n];
}

/** Published observations as points, for the clustered map layer. */
export function observationPoints(collection) {
  const features = (collection?.features || [])
    .filter((f) => f.geometry)
    .map((f) => ({
      type: 'Feature',
      id: f.id,
      geometry: { type: 'Point', coordinates: centroid(f.geometry) },
      properties: { register_number: f.properties.register_number, theme: f.properties.theme },
    }));
  return { type: 'FeatureCollection', features };
}

// The API gives instants in Casablanca time with their offset ("…T10:00:00+01:00"): show those
// wall-clock figures as they are, since browsers' time-zone data for Morocco is not reliable.
export function wallClock(iso, lang = 'fr') {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(iso || '');
  if (!m) return iso || '';
  const wall = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5]));
  return new Intl.DateTimeFormat(lang === 'ar' ? 'ar-MA' : 'fr-FR', {
    dateStyle: 'long',
    timeStyle: 'short',
    timeZone: 'UTC',
    numberingSystem: 'latn',
  }).format(wall);
}
