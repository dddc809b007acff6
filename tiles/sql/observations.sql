-- Published observations of the public inquiries: publish.observations is already moderated
-- and anonymised as each author chose; no identity column exists there to leak.
WITH env AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS geom)
SELECT ST_AsMVT(t.*, 'observations', 4096, 'geom', 'fid')
FROM (
  SELECT o.id AS fid, o.id, o.inquiry_id, o.register_number, o.theme, o.channel,
         o.zone_code, o.author_display, to_char(o.submitted_at, 'YYYY-MM-DD') AS submitted_on,
         ST_AsMVTGeom(o.geom_3857, env.geom, 4096, 64, true) AS geom
  FROM publish.observations o, env
  WHERE o.geom_3857 && env.geom
  ORDER BY o.register_number
  LIMIT %(limit)s
) t
WHERE t.geom IS NOT NULL
