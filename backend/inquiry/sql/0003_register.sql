-- The register of observations has legal value: what was submitted can never change, and the
-- public sees it only through publish.observations (moderated, anonymised as each author chose).

-- The gazetteer matches place names with and without accents.
CREATE EXTENSION IF NOT EXISTS unaccent;

-- Once written, an entry's legal content is immutable, whatever Python does. Only moderation
-- and the commission's work (hidden, tags, assignment, answer) may change; a correction is a
-- new entry linked to the old one. Deleting needs the explicit purge switch (test teardown,
-- erasure ordered by a court), set with SET LOCAL eurbanisme.register_purge = 'on'.
-- No TRUNCATE guard: TRUNCATE is an owner's operation, and `load_demo --replace` relies on it.
CREATE OR REPLACE FUNCTION inquiry_guard_observation() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  mutable text[] := ARRAY['hidden', 'hidden_reason', 'tags', 'assigned_to_id', 'answer',
                          'answered_at', 'geom', 'geom_3857'];
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF coalesce(current_setting('eurbanisme.register_purge', true), '') = 'on' THEN
      RETURN OLD;
    END IF;
    RAISE EXCEPTION 'entry n° % of the register of inquiry % cannot be deleted: the register is a legal record',
      OLD.register_number, OLD.inquiry_id USING ERRCODE = 'check_violation';
  END IF;
  IF (to_jsonb(NEW) - mutable) IS DISTINCT FROM (to_jsonb(OLD) - mutable)
     OR ST_AsEWKB(NEW.geom) IS DISTINCT FROM ST_AsEWKB(OLD.geom) THEN
    RAISE EXCEPTION 'entry n° % of the register of inquiry % is immutable: record a correction as a new entry linked to it',
      OLD.register_number, OLD.inquiry_id USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$;

CREATE TRIGGER observation_immutable BEFORE UPDATE OR DELETE ON inquiry_observation
  FOR EACH ROW EXECUTE FUNCTION inquiry_guard_observation();

CREATE OR REPLACE FUNCTION inquiry_guard_attachment() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND coalesce(current_setting('eurbanisme.register_purge', true), '') = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'the attachments of a register entry are immutable' USING ERRCODE = 'check_violation';
END $$;

CREATE TRIGGER attachment_immutable BEFORE UPDATE OR DELETE ON inquiry_attachment
  FOR EACH ROW EXECUTE FUNCTION inquiry_guard_attachment();

CREATE INDEX IF NOT EXISTS inquiry_observation_geom_3857_idx
  ON inquiry_observation USING gist (geom_3857);

-- Layer version of the observations: bumped by any write on the register, and by inquiry
-- changes (answers become public when the inquiry closes).
INSERT INTO publish.layer_version (layer) VALUES ('observations') ON CONFLICT DO NOTHING;
CREATE TRIGGER bump AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON inquiry_observation
  FOR EACH STATEMENT EXECUTE FUNCTION publish.bump_layers('observations');
CREATE TRIGGER bump_observations AFTER UPDATE OR DELETE OR TRUNCATE ON inquiry_inquiry
  FOR EACH STATEMENT EXECUTE FUNCTION publish.bump_layers('observations');

-- The published observations: consented to publication and not hidden by moderation. No email,
-- ID number or IP; the author's name only if they chose named publication. The commission's
-- answer appears once the inquiry is closed.
CREATE VIEW publish.observations AS
SELECT o.id,
       o.inquiry_id,
       o.register_number,
       o.theme,
       o.channel,
       'published'::text AS status,
       o.submitted_at,
       CASE WHEN o.publish_named THEN o.author_name ELSE 'Anonyme' END AS author_display,
       o.body,
       z.code AS zone_code,
       c.code AS commune_code,
       (SELECT p.register_number FROM inquiry_observation p WHERE p.id = o.corrects_id)
         AS corrects_register_number,
       CASE WHEN i.status IN ('closed', 'synthesis', 'deliberated', 'approved')
            THEN nullif(o.answer, '') END AS answer,
       o.geom,
       o.geom_3857
FROM inquiry_observation o
JOIN inquiry_inquiry i ON i.id = o.inquiry_id
LEFT JOIN planning_zone z ON z.id = o.zone_id
LEFT JOIN territory_commune c ON c.id = o.commune_id
WHERE NOT o.hidden AND o.consent_publication AND i.status <> 'draft';
