-- Urban watch in the `publish` schema: the indicator catalogue and the indicator values with
-- the geometry of their unit. Only territory geometry and computed aggregates: nothing personal.
INSERT INTO publish.layer_version (layer) VALUES ('indicators') ON CONFLICT DO NOTHING;

CREATE TRIGGER bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON watch_indicatorvalue
  FOR EACH STATEMENT EXECUTE FUNCTION publish.bump_layers('indicators');
CREATE TRIGGER bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON watch_indicator
  FOR EACH STATEMENT EXECUTE FUNCTION publish.bump_layers('indicators');

CREATE VIEW publish.indicators AS
SELECT i.id, i.code, i.name_fr, i.name_ar, i.name_en, i.formula, i.unit, i.source,
       i.method_version, i.higher_is_better, i.population_weighted
FROM watch_indicator i;

-- One row per unit, period and dimension; the unit's parents make the Theil decomposition
-- across the hierarchy possible from the view alone.
CREATE VIEW publish.indicator_values AS
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
)
SELECT v.id, i.code AS indicator, i.name_fr AS indicator_fr, i.name_ar AS indicator_ar,
       i.name_en AS indicator_en, i.unit, v.level, v.unit_code, u.name_fr, u.name_ar,
       v.period, v.dimension, v.value, v.population, v.method_version, v.computed_at,
       u.commune_code, u.province_code, u.region_code, u.geom
FROM watch_indicatorvalue v
JOIN watch_indicator i ON i.id = v.indicator_id
JOIN units u ON u.level = v.level AND u.code = v.unit_code;
