-- Zones of the published plan versions. Filter on the indexed 3857 copy (geom_3857 && env).
WITH env AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS geom)
SELECT ST_AsMVT(t.*, 'zones', 4096, 'geom', 'fid')
FROM (
  SELECT z.id AS fid, z.id, z.code, z.label_fr, z.label_ar, z.family, z.status, z.version_id,
         z.document_code,
         ST_AsMVTGeom(z.geom_3857, env.geom, 4096, 64, true) AS geom
  FROM publish.zones z, env
  WHERE z.geom_3857 && env.geom
) t
WHERE t.geom IS NOT NULL
