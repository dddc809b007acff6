-- Communes at every zoom; districts from z10, where they become readable.
WITH env AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS geom)
SELECT ST_AsMVT(t.*, 'territories', 4096, 'geom')
FROM (
  SELECT v.level, v.code, v.name_fr, v.name_ar, v.population,
         ST_AsMVTGeom(v.geom_3857, env.geom, 4096, 64, true) AS geom
  FROM publish.territories v, env
  WHERE v.geom_3857 && env.geom AND (v.level = 'commune' OR %(z)s >= 10)
  LIMIT %(limit)s
) t
WHERE t.geom IS NOT NULL
