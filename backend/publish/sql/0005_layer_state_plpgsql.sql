-- publish.layer_state() of 0003, the same query, in PL/pgSQL: a SQL function that cannot be
-- inlined (SECURITY DEFINER, SET) has its body planned again at every call, ~0.3 ms; PL/pgSQL
-- keeps the plan for the session. The OGC API asks for the state in every items statement (its
-- caches key on it) and the tile service on every reload.
CREATE OR REPLACE FUNCTION publish.layer_state()
RETURNS TABLE (layer text, version bigint, epoch bigint, next_change timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, public
AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
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
  FROM publish.layer_version lv, opening o;
END
$$;
