WITH env AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS geom)
SELECT ST_AsMVT(t.*, 'prescriptions', 4096, 'geom', 'fid')
FROM (
  SELECT p.id AS fid, p.id, p.kind, p.label_fr, p.label_ar, p.status, p.version_id,
         to_char(p.expires_on, 'YYYY-MM-DD') AS expires_on,
         ST_AsMVTGeom(p.geom_3857, env.geom, 4096, 64, true) AS geom
  FROM publish.prescriptions p, env
  WHERE p.geom_3857 && env.geom
    AND (%(document)s::text IS NULL OR p.document_code = %(document)s)
  LIMIT %(limit)s
) t
WHERE t.geom IS NOT NULL
