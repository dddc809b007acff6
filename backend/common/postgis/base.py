"""GeoDjango's PostGIS backend, checking a pooled connection only once it has been idle.

With CONN_HEALTH_CHECKS, Django has its pool check every connection it hands out with an empty
query: a round trip to PostgreSQL for every request, 3.5 % of a submission's Python in the
last-day rush (bench/RESULTS.md, issue 4). Here the pool has no check (settings.py turns
CONN_HEALTH_CHECKS off when pooling), and this backend checks a connection when it leaves the
pool unless the last request handed it back less than FRESH_SECONDS ago, when it was working. A
connection that fails its check is handed back, the pool drops it, and another is taken.

So after a restart of PostgreSQL, which takes longer than FRESH_SECONDS, no request uses a
dead connection unchecked. A connection cut while fresh (pg_terminate_backend) costs the one
request that uses it a 503 that says nothing was recorded; the pool then drops it.
"""

from __future__ import annotations

import math
import time

import psycopg
from django.contrib.gis.db.backends.postgis import base

FRESH_SECONDS = 1.0


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        if not self.pool:
            return super().get_new_connection(conn_params)
        for attempt in range(self.pool.max_size + 1):
            connection = super().get_new_connection(conn_params)
            if time.monotonic() - getattr(connection, "handed_back", -math.inf) < FRESH_SECONDS:
                return connection
            try:
                self.pool.check_connection(connection)
                return connection
            except psycopg.Error:
                self.pool.putconn(connection)  # broken: the pool drops it, opens another
                if attempt == self.pool.max_size:
                    raise

    def _close(self):
        if self.pool and self.connection is not None:
            self.connection.handed_back = time.monotonic()
        return super()._close()
