-- The latest value of every indicator on each unit, as one jsonb object per unit: what the
-- `indicators` tile layer carries on the territories' geometry. Keys are "<code>" or
-- "<code>.<dimension>"; the latest period is taken per indicator and level (the index on
-- (indicator, level, period) answers it), so every unit of a level shows the same period.
-- Aggregates only, nothing personal.
CREATE VIEW publish.indicator_latest AS
SELECT v.level, v.unit_code,
       jsonb_object_agg(
         CASE WHEN v.dimension = '' THEN i.code ELSE i.code || '.' || v.dimension END, v.value
       ) AS "values"
FROM watch_indicatorvalue v
JOIN watch_indicator i ON i.id = v.indicator_id
WHERE v.value IS NOT NULL
  AND v.period = (SELECT max(w.period) FROM watch_indicatorvalue w
                  WHERE w.indicator_id = v.indicator_id AND w.level = v.level)
GROUP BY v.level, v.unit_code;

-- The tile layer draws values on the units' geometry and names: a change to a commune or a
-- district changes its tiles too (the values' own tables already bump it, 0002).
CREATE TRIGGER bump_indicators AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON territory_commune
  FOR EACH STATEMENT EXECUTE FUNCTION publish.bump_layers('indicators');
CREATE TRIGGER bump_indicators AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON territory_district
  FOR EACH STATEMENT EXECUTE FUNCTION publish.bump_layers('indicators');
