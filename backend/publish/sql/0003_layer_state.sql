-- What the tile cache keys on. A layer's content changes on a write (its version, bumped by the
-- triggers of 0001) and, for the plan layers, without any write: a draft becomes public the
-- instant its inquiry opens (publish.plan_versions compares opens_at with now()). `epoch` is the
-- last such instant already passed and `next_change` the next one to come, so a cache can key on
-- (version, epoch) and knows when to look again. SECURITY DEFINER: the reader role sees only
-- these two instants, never the inquiry rows.
CREATE OR REPLACE FUNCTION publish.layer_state()
RETURNS TABLE (layer text, version bigint, epoch bigint, next_change timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
  WITH opening AS (
    SELECT max(i.opens_at) FILTER (WHERE i.opens_at <= now()) AS passed,
           min(i.opens_at) FILTER (WHERE i.opens_at > now()) AS coming
    FROM inquiry_inquiry i
    WHERE i.status NOT IN ('draft', 'abandoned')
  )
  SELECT lv.layer, lv.version,
         CASE WHEN lv.layer IN ('zones', 'prescriptions', 'observations')
              THEN coalesce(floor(extract(epoch FROM o.passed) * 1000)::bigint, 0) ELSE 0 END,
         CASE WHEN lv.layer IN ('zones', 'prescriptions', 'observations') THEN o.coming END
  FROM publish.layer_version lv, opening o
$$;

REVOKE ALL ON FUNCTION publish.layer_state() FROM PUBLIC;
