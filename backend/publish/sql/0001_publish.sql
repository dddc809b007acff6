-- The public face of the database. pygeoapi and the tile service read these views only,
-- through a role that cannot read the private tables (ARCHITECTURE.md, contract 2).

-- Spatial indexes on the stored EPSG:3857 copies, which the tile queries filter on.
CREATE INDEX IF NOT EXISTS territory_region_geom_3857_idx ON territory_region USING gist (geom_3857);
CREATE INDEX IF NOT EXISTS territory_province_geom_3857_idx ON territory_province USING gist (geom_3857);
CREATE INDEX IF NOT EXISTS territory_commune_geom_3857_idx ON territory_commune USING gist (geom_3857);
CREATE INDEX IF NOT EXISTS territory_district_geom_3857_idx ON territory_district USING gist (geom_3857);
CREATE INDEX IF NOT EXISTS territory_equipment_geom_3857_idx ON territory_equipment USING gist (geom_3857);
CREATE INDEX IF NOT EXISTS territory_basefeature_geom_3857_idx ON territory_basefeature USING gist (geom_3857);
CREATE INDEX IF NOT EXISTS planning_zone_geom_3857_idx ON planning_zone USING gist (geom_3857);
CREATE INDEX IF NOT EXISTS planning_prescription_geom_3857_idx ON planning_prescription USING gist (geom_3857);

-- A frozen version (submitted to inquiry, or approved) is read-only, whatever Python does.
CREATE OR REPLACE FUNCTION planning_refuse_frozen_write() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  vid bigint := CASE WHEN TG_OP = 'DELETE' THEN OLD.version_id ELSE NEW.version_id END;
BEGIN
  IF EXISTS (SELECT 1 FROM planning_planversion WHERE id = vid AND frozen_at IS NOT NULL)
     OR (TG_OP = 'UPDATE' AND EXISTS (
           SELECT 1 FROM planning_planversion WHERE id = OLD.version_id AND frozen_at IS NOT NULL))
  THEN
    RAISE EXCEPTION 'plan version % is frozen (submitted to inquiry or approved): it is read-only', vid
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END $$;

CREATE TRIGGER zone_frozen_guard BEFORE INSERT OR UPDATE OR DELETE ON planning_zone
  FOR EACH ROW EXECUTE FUNCTION planning_refuse_frozen_write();
CREATE TRIGGER prescription_frozen_guard BEFORE INSERT OR UPDATE OR DELETE ON planning_prescription
  FOR EACH ROW EXECUTE FUNCTION planning_refuse_frozen_write();
CREATE TRIGGER article_frozen_guard BEFORE INSERT OR UPDATE OR DELETE ON planning_regulationarticle
  FOR EACH ROW EXECUTE FUNCTION planning_refuse_frozen_write();

CREATE SCHEMA IF NOT EXISTS publish;

-- Layer versions: every write that changes a published layer bumps its version in the same
-- transaction; caches key on it and listeners hear of it on the channel `layer_version`.
CREATE TABLE publish.layer_version (
  layer text PRIMARY KEY,
  version bigint NOT NULL DEFAULT 1,
  changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO publish.layer_version (layer)
VALUES ('zones'), ('prescriptions'), ('territories'), ('equipment'), ('basemap');

CREATE OR REPLACE FUNCTION publish.bump_layers() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  l text;
BEGIN
  FOREACH l IN ARRAY TG_ARGV LOOP
    UPDATE publish.layer_version SET version = version + 1, changed_at = now() WHERE layer = l;
    PERFORM pg_notify('layer_version', l);
  END LOOP;
  RETURN NULL;
END $$;

-- Statement-level, so a bulk load bumps once, not once a row.
CREATE TRIGGER bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON planning_zone
  FOR EACH STATEMENT EXECUTE FUNCTION publish.bump_layers('zones');
CREATE TRIGGER bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON planning_prescription
  FOR EACH STATEMENT EXECUTE FUNCTION publish.bump_layers('prescriptions');
CREATE TRIGGER bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON planning_planversion
  FOR EACH STATEMENT EXECUTE FUNCTION publish.bump_layers('zones', 'prescriptions');
CREATE TRIGGER bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON planning_planningdocument
  FOR EACH STATEMENT EXECUTE FUNCTION publish.bump_layers('zones', 'prescriptions');
CREATE TRIGGER bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON inquiry_inquiry
  FOR EACH STATEMENT EXECUTE FUNCTION publish.bump_layers('zones', 'prescriptions');
CREATE TRIGGER bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON territory_commune
  FOR EACH STATEMENT EXECUTE FUNCTION publish.bump_layers('territories');
CREATE TRIGGER bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON territory_district
  FOR EACH STATEMENT EXECUTE FUNCTION publish.bump_layers('territories');
CREATE TRIGGER bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON territory_province
  FOR EACH STATEMENT EXECUTE FUNCTION publish.bump_layers('territories');
CREATE TRIGGER bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON territory_equipment
  FOR EACH STATEMENT EXECUTE FUNCTION publish.bump_layers('equipment');
CREATE TRIGGER bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON territory_basefeature
  FOR EACH STATEMENT EXECUTE FUNCTION publish.bump_layers('basemap');

-- The plan versions the public may see: approved (in force) versions, and a draft from the
-- moment its inquiry opens, judged on the database clock so no scheduled job is needed.
CREATE VIEW publish.plan_versions AS
SELECT v.id,
       d.code AS document_code,
       d.name_fr AS document_name_fr,
       d.name_ar AS document_name_ar,
       d.doc_type,
       v.label,
       v.stage,
       CASE WHEN v.stage = 'approved' THEN 'approved' ELSE 'draft' END AS status
FROM planning_planversion v
JOIN planning_planningdocument d ON d.id = v.document_id
WHERE (v.stage = 'approved' AND d.status IN ('03', '07', '08'))
   OR (v.stage = 'inquiry' AND EXISTS (
         SELECT 1 FROM inquiry_inquiry i
         WHERE i.version_id = v.id
           AND i.status NOT IN ('draft', 'abandoned')
           AND i.opens_at <= now()));

CREATE VIEW publish.zones AS
SELECT z.id, z.version_id, pv.document_code, pv.status, z.key, z.code, z.label_fr, z.label_ar,
       z.family, z.max_height_m, z.max_levels, z.ground_coverage_max, z.floor_area_ratio_max,
       z.min_lot_area_m2, z.setback_road_m, z.setback_neighbour_m, z.allowed_uses,
       z.prohibited_uses, z.geom, z.geom_3857
FROM planning_zone z
JOIN publish.plan_versions pv ON pv.id = z.version_id;

CREATE VIEW publish.prescriptions AS
SELECT p.id, p.version_id, pv.document_code, pv.status, p.key, p.kind, p.label_fr, p.label_ar,
       p.equipment_type, p.width_m, p.expires_on, p.geom, p.geom_3857
FROM planning_prescription p
JOIN publish.plan_versions pv ON pv.id = p.version_id;

CREATE VIEW publish.regulation_articles AS
SELECT a.id, a.version_id, a.zone_code, a.number, a.position, a.title_fr, a.title_ar,
       a.body_fr, a.body_ar
FROM planning_regulationarticle a
JOIN publish.plan_versions pv ON pv.id = a.version_id;

-- Communes and districts in one layer; a commune's population is the sum of its districts.
CREATE VIEW publish.territories AS
SELECT 'commune:' || c.code AS id, 'commune' AS level, c.code, c.name_fr, c.name_ar,
       (SELECT sum(d.population) FROM territory_district d WHERE d.commune_id = c.id)::bigint
         AS population,
       p.code AS parent_code, c.geom, c.geom_3857
FROM territory_commune c JOIN territory_province p ON p.id = c.province_id
UNION ALL
SELECT 'district:' || d.code, 'district', d.code, d.name_fr, d.name_ar, d.population::bigint,
       c.code, d.geom, d.geom_3857
FROM territory_district d JOIN territory_commune c ON c.id = d.commune_id;

CREATE VIEW publish.equipment AS
SELECT e.id, e.kind, e.name_fr, e.name_ar, c.code AS commune_code, e.geom, e.geom_3857
FROM territory_equipment e JOIN territory_commune c ON c.id = e.commune_id;

CREATE VIEW publish.basemap AS
SELECT id, kind, name_fr, name_ar, geom, geom_3857 FROM territory_basefeature;
