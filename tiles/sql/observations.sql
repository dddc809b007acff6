-- Published observations of the public inquiries: publish.observations is already moderated
-- and anonymised as each author chose; no identity column exists there to leak.
-- Below the clustering zoom (cluster_m > 0), observations are grouped on a grid of cluster_m
-- metres per inquiry and drawn as one point with point_count (a lone one keeps its details);
-- from that zoom on, each observation is drawn with its own point, line or polygon.
WITH env AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS geom),
detail AS (
  SELECT o.id AS fid, o.id, o.inquiry_id, o.register_number, o.theme, o.channel, o.zone_code,
         o.author_display, to_char(o.submitted_at, 'YYYY-MM-DD') AS submitted_on,
         1 AS point_count,
         ST_AsMVTGeom(o.geom_3857, env.geom, 4096, 64, true) AS geom
  FROM publish.observations o, env
  WHERE %(cluster_m)s = 0 AND o.geom_3857 && env.geom
  ORDER BY o.register_number
  LIMIT %(limit)s
),
located AS (
  SELECT o.*, ST_PointOnSurface(o.geom_3857) AS pt
  FROM publish.observations o, env
  WHERE %(cluster_m)s > 0 AND o.geom_3857 && env.geom
),
clusters AS (
  SELECT min(l.id) AS fid,
         CASE WHEN count(*) = 1 THEN min(l.id) END AS id,
         l.inquiry_id,
         CASE WHEN count(*) = 1 THEN min(l.register_number) END AS register_number,
         CASE WHEN count(*) = 1 THEN min(l.theme) END AS theme,
         CASE WHEN count(*) = 1 THEN min(l.channel) END AS channel,
         CASE WHEN count(*) = 1 THEN min(l.zone_code) END AS zone_code,
         CASE WHEN count(*) = 1 THEN min(l.author_display) END AS author_display,
         CASE WHEN count(*) = 1 THEN to_char(min(l.submitted_at), 'YYYY-MM-DD') END
           AS submitted_on,
         count(*)::int AS point_count,
         ST_AsMVTGeom(ST_Centroid(ST_Collect(l.pt)), env.geom, 4096, 64, true) AS geom
  FROM located l, env
  GROUP BY l.inquiry_id, ST_SnapToGrid(l.pt, %(cluster_m)s), env.geom
  LIMIT %(limit)s
)
SELECT ST_AsMVT(t.*, 'observations', 4096, 'geom', 'fid')
FROM (SELECT * FROM detail UNION ALL SELECT * FROM clusters) t
WHERE t.geom IS NOT NULL
