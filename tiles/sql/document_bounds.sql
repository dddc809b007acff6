-- WGS84 bounds of one published plan's zones (the plan a PMTiles export covers).
SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
FROM (SELECT ST_Extent(geom) AS e FROM publish.zones WHERE document_code = %(document)s) s
