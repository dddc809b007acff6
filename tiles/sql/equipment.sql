WITH env AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS geom)
SELECT ST_AsMVT(t.*, 'equipment', 4096, 'geom', 'fid')
FROM (
  SELECT e.id AS fid, e.id, e.kind, e.name_fr, e.name_ar,
         ST_AsMVTGeom(e.geom_3857, env.geom, 4096, 64, true) AS geom
  FROM publish.equipment e, env
  WHERE e.geom_3857 && env.geom
  LIMIT %(limit)s
) t
WHERE t.geom IS NOT NULL
