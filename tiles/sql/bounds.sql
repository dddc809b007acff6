-- Bounds of a layer, in WGS84 (the view name is taken from the layer registry, never a request).
SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)
FROM (SELECT ST_Extent(geom) AS e FROM {view}) s
