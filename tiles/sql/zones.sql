-- Zones of the published plan versions. Filter on the indexed 3857 copy (geom_3857 && env);
-- at low zoom, sub-pixel zones are left out before the costly ST_AsMVTGeom (min_area, in m²).
WITH env AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS geom)
SELECT ST_AsMVT(t.*, 'zones', 4096, 'geom', 'fid')
FROM (
  SELECT z.id AS fid, z.id, z.code, z.label_fr, z.label_ar, z.family, z.status, z.version_id,
         z.document_code,
         ST_AsMVTGeom(z.geom_3857, env.geom, 4096, 64, true) AS geom
  FROM publish.zones z, env
  WHERE z.geom_3857 && env.geom
    AND (%(document)s::text IS NULL OR z.document_code = %(document)s)
    AND (%(min_area)s = 0 OR ST_Area(z.geom_3857) >= %(min_area)s)
  LIMIT %(limit)s
) t
WHERE t.geom IS NOT NULL
