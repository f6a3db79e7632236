"""Django's PostgreSQL backend, with a health check that costs no round trip while a
connection is in steady use.

Django's health check (CONN_HEALTH_CHECKS) sends `SELECT 1` before the first query of
every request that reuses a connection, so a connection the server dropped in between
(a restart, a failover, an idle timeout) is replaced instead of failing the request. That
is one round trip more on every request, about a tenth of what the workbench's `next` or
`submit` costs. Here a connection that served a request within the last QUIET_SECONDS is
checked by looking at its socket instead: between requests the server sends nothing
unless it is closing the connection, so a socket with nothing to read is alive. Anything
waiting on it, or a longer pause (which a silently dropped connection needs), gets
Django's `SELECT 1`.
"""

import select
import time

from django.db.backends.postgresql import base

QUIET_SECONDS = 5.0


class DatabaseWrapper(base.DatabaseWrapper):
    quiet_seconds = QUIET_SECONDS
    _checked_at = 0.0

    def get_new_connection(self, conn_params):
        connection = super().get_new_connection(conn_params)
        self._checked_at = time.monotonic()
        return connection

    def close_if_health_check_failed(self):
        if self.connection is None or not self.health_check_enabled or self.health_check_done or self.pool:
            return super().close_if_health_check_failed()
        now = time.monotonic()
        recently, self._checked_at = now - self._checked_at < self.quiet_seconds, now
        if recently and self._nothing_arrived():
            self.health_check_done = True
            return None
        return super().close_if_health_check_failed()

    def _nothing_arrived(self) -> bool:
        connection = self.connection
        if connection.closed or connection.broken:
            return False
        try:
            poller = select.poll()
            poller.register(connection.pgconn.socket, select.POLLIN)
            return not poller.poll(0)
        except (OSError, ValueError, self.Database.Error):
            return False
