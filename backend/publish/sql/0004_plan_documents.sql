-- The catalogue of planning documents (OGC API Records): one record per plan version the public
-- may see (publish.plan_versions decides, so a draft appears only once its inquiry has opened),
-- with the document's legal references and its files. No uploader: only each file's path under
-- /ogc/files/ (which serves exactly the files listed here), its title, type, size and SHA-256.
CREATE VIEW publish.plan_documents AS
SELECT pv.id,
       pv.document_code,
       d.name_fr || ' — ' || pv.label AS title,
       d.name_ar AS title_ar,
       CASE WHEN pv.status = 'approved'
            THEN 'Document approuvé et opposable aux tiers.'
            ELSE 'Projet soumis à enquête publique : non opposable.' END AS description,
       'planning-document'::text AS type,
       pv.doc_type,
       pv.stage,
       pv.status,
       d.status AS document_status,
       d.approved_on,
       d.decree_reference,
       d.bulletin_officiel_date,
       (SELECT min(i.opens_at) FROM inquiry_inquiry i
         WHERE i.version_id = pv.id AND i.status NOT IN ('draft', 'abandoned')) AS inquiry_opens_at,
       (SELECT max(i.closes_at) FROM inquiry_inquiry i
         WHERE i.version_id = pv.id AND i.status NOT IN ('draft', 'abandoned')) AS inquiry_closes_at,
       coalesce((SELECT json_agg(json_build_object(
                   'rel', 'enclosure', 'title', f.title, 'type', f.content_type,
                   'length', f.size, 'href', '/ogc/files/' || f.file,
                   'file:checksum', '1220' || f.sha256) ORDER BY f.id)
                 FROM planning_attachedfile f
                 WHERE f.document_id = d.id AND (f.version_id IS NULL OR f.version_id = pv.id)),
                '[]'::json) AS links,
       d.perimeter AS geom,
       ST_Transform(d.perimeter, 3857) AS geom_3857
FROM publish.plan_versions pv
JOIN planning_planningdocument d ON d.code = pv.document_code;
