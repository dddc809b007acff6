WITH env AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS geom)
SELECT ST_AsMVT(t.*, 'basemap', 4096, 'geom')
FROM (
  SELECT b.kind, b.name_fr, b.name_ar,
         ST_AsMVTGeom(b.geom_3857, env.geom, 4096, 64, true) AS geom
  FROM publish.basemap b, env
  WHERE b.geom_3857 && env.geom
  LIMIT %(limit)s
) t
WHERE t.geom IS NOT NULL
