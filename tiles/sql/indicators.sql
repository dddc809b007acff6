-- Indicator values on their territorial units: communes at every zoom, districts from z10 (as
-- the territories layer). `publish.indicator_latest` holds, per unit, one key per indicator
-- ("<code>", or "<code>.<dimension>" for a breakdown) with the value of its latest period;
-- ST_AsMVT turns that jsonb into the feature's attributes (absent values are left out).
WITH env AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS geom)
SELECT ST_AsMVT(t.*, 'indicators', 4096, 'geom')
FROM (
  SELECT u.level, u.code, u.name_fr, u.name_ar,
         -- A correlated subquery, so the view is aggregated for the tile's units only (index
         -- on level, unit_code), never for every unit of the territory.
         coalesce((SELECT l."values" FROM publish.indicator_latest l
                   WHERE l.level = u.level AND l.unit_code = u.code), '{}') AS "values",
         ST_AsMVTGeom(u.geom_3857, env.geom, 4096, 64, true) AS geom
  FROM publish.territories u, env
  WHERE u.geom_3857 && env.geom AND (u.level = 'commune' OR %(z)s >= 10)
  LIMIT %(limit)s
) t
WHERE t.geom IS NOT NULL
