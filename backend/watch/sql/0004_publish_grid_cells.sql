-- Grid cells join the units of publish.indicator_values (same columns, one more branch).
CREATE OR REPLACE VIEW publish.indicator_values AS
WITH units AS (
  SELECT 'region'::text AS level, r.code, r.name_fr, r.name_ar, NULL::text AS commune_code,
         NULL::text AS province_code, r.code AS region_code, r.geom
  FROM territory_region r
  UNION ALL
  SELECT 'province', p.code, p.name_fr, p.name_ar, NULL, p.code, r.code, p.geom
  FROM territory_province p JOIN territory_region r ON r.id = p.region_id
  UNION ALL
  SELECT 'commune', c.code, c.name_fr, c.name_ar, c.code, p.code, r.code, c.geom
  FROM territory_commune c
  JOIN territory_province p ON p.id = c.province_id
  JOIN territory_region r ON r.id = p.region_id
  UNION ALL
  SELECT 'district', d.code, d.name_fr, d.name_ar, c.code, p.code, r.code, d.geom
  FROM territory_district d
  JOIN territory_commune c ON c.id = d.commune_id
  JOIN territory_province p ON p.id = c.province_id
  JOIN territory_region r ON r.id = p.region_id
  UNION ALL
  SELECT 'cell', g.code, g.code::varchar(200), g.code::varchar(200), c.code, p.code, r.code,
         ST_Multi(g.geom)::geometry(MultiPolygon, 4326)
  FROM watch_gridcell g
  JOIN territory_district d ON d.code = g.district_code
  JOIN territory_commune c ON c.id = d.commune_id
  JOIN territory_province p ON p.id = c.province_id
  JOIN territory_region r ON r.id = p.region_id
)
SELECT v.id, i.code AS indicator, i.name_fr AS indicator_fr, i.name_ar AS indicator_ar,
       i.name_en AS indicator_en, i.unit, v.level, v.unit_code, u.name_fr, u.name_ar,
       v.period, v.dimension, v.value, v.population, v.method_version, v.computed_at,
       u.commune_code, u.province_code, u.region_code, u.geom
FROM watch_indicatorvalue v
JOIN watch_indicator i ON i.id = v.indicator_id
JOIN units u ON u.level = v.level AND u.code = v.unit_code;
