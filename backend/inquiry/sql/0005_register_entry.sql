-- Writing one entry in an inquiry's register, in one call (inquiry.services.observation_submit).
--
-- The inquiry row lock serialises the entries of one register and its closing, so numbers are
-- gap-free and nothing is written after the closing. Everything that needs no lock is checked in
-- Python first; this function holds the lock only for its own statements and, called alone in
-- autocommit, for the commit that follows, with no round trip to the web server in between.
-- Each statement reads a fresh snapshot (READ COMMITTED), so the entries committed while we
-- waited for the lock are seen by the duplicate check and the numbering.
--
-- outcome: 'ok'; 'window' (not receiving at `entry_at`; Python words the refusal); 'duplicate'
-- (`entry_number` is the earlier entry's). The receipt's SHA-256 is computed here, on the canonical
-- content Python sent with two slots, filled with the number and the instant given under the lock.
CREATE OR REPLACE FUNCTION inquiry_register_entry(
  p_inquiry bigint,
  p_statuses text[],            -- the statuses that receive this channel
  p_until_closing boolean,      -- web entries: only before closes_at
  p_template text,              -- canonical content with "register_number":0, "submitted_at":"@"
  p_token uuid,
  p_channel text,
  p_theme text,
  p_body text,
  p_geom bytea,
  p_zone bigint,
  p_commune bigint,
  p_context jsonb,
  p_author_name text,
  p_author_email text,
  p_author_id_number text,
  p_ip inet,
  p_publish_named boolean,
  p_consent boolean,
  p_corrects bigint,
  p_transcribed_by bigint,
  p_file_names text[],
  p_file_types text[],
  p_file_sizes integer[],
  p_file_sha256 text[],
  p_file_contents bytea[],
  p_file_scans boolean[]
) RETURNS TABLE (
  outcome text, entry_id bigint, entry_number integer, entry_at timestamptz, entry_sha256 text
)
LANGUAGE plpgsql AS $$
DECLARE
  v_inquiry inquiry_inquiry%ROWTYPE;
  v_iso text;
BEGIN
  SELECT * INTO v_inquiry FROM inquiry_inquiry WHERE id = p_inquiry FOR UPDATE;
  entry_at := clock_timestamp();
  IF NOT (v_inquiry.status = ANY (p_statuses) AND v_inquiry.opens_at <= entry_at
          AND (NOT p_until_closing OR entry_at < v_inquiry.closes_at)) THEN
    outcome := 'window';
    RETURN NEXT;
    RETURN;
  END IF;
  IF p_author_email <> '' THEN
    SELECT o.register_number INTO entry_number FROM inquiry_observation o
    WHERE o.inquiry_id = p_inquiry AND o.author_email = p_author_email AND o.body = p_body
    LIMIT 1;
    IF FOUND THEN
      outcome := 'duplicate';
      RETURN NEXT;
      RETURN;
    END IF;
  END IF;
  SELECT coalesce(max(o.register_number), 0) + 1 INTO entry_number
  FROM inquiry_observation o WHERE o.inquiry_id = p_inquiry;
  -- Python's datetime.isoformat() in UTC: microseconds only when there are some.
  v_iso := to_char(entry_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS')
    || CASE WHEN extract(microseconds FROM entry_at)::bigint % 1000000 = 0 THEN ''
            ELSE to_char(entry_at AT TIME ZONE 'UTC', '.US') END
    || '+00:00';
  entry_sha256 := encode(sha256(convert_to(
    replace(replace(p_template,
      '"register_number":0', '"register_number":' || entry_number),
      '"submitted_at":"@"', '"submitted_at":"' || v_iso || '"'),
    'UTF8')), 'hex');
  INSERT INTO inquiry_observation (
    inquiry_id, register_number, receipt_token, channel, theme, body, geom, zone_id, commune_id,
    context, author_name, author_email, author_id_number, ip, publish_named,
    consent_publication, submitted_at, content_sha256, corrects_id, transcribed_by_id,
    hidden, hidden_reason, tags, answer)
  VALUES (
    p_inquiry, entry_number, p_token, p_channel, p_theme, p_body, ST_GeomFromEWKB(p_geom), p_zone,
    p_commune, p_context, p_author_name, p_author_email, p_author_id_number, p_ip,
    p_publish_named, p_consent, entry_at, entry_sha256, p_corrects, p_transcribed_by,
    false, '', '{}', '')
  RETURNING id INTO entry_id;
  INSERT INTO inquiry_attachment (
    observation_id, position, name, content_type, size, sha256, content, is_scan)
  SELECT entry_id, f.position, f.name, f.content_type, f.size, f.sha256, f.content, f.is_scan
  FROM unnest(p_file_names, p_file_types, p_file_sizes, p_file_sha256, p_file_contents,
              p_file_scans) WITH ORDINALITY
       AS f(name, content_type, size, sha256, content, is_scan, position);
  outcome := 'ok';
  RETURN NEXT;
END $$;
