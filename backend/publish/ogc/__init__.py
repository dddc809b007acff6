"""The OGC API of e-urbanisme: pygeoapi mounted at /ogc/, fed by the `publish` views only.

- `config`: generates pygeoapi's configuration by introspecting the `publish` schema.
- `provider`: our pygeoapi feature/record provider (GeoJSON built in SQL, bound parameters).
- `cql`: CQL2 (pygeofilter AST) to SQL with bound parameters.
- `crs`: CRS URIs to SRIDs and axis order.
- `process`: the zoning-lookup process ("note de renseignements urbanistiques").
- `mount`: the ASGI mount used by eurbanisme.asgi.
"""
