"""Asana's request limits (developers.asana.com/docs/rate-limits).

Per token: 150 requests a minute on a free domain, 1500 on a paid one, reads and writes
alike; requests the limiter refuses still count against the quota. At most 50 reads
(GET) and 15 writes (POST, PUT, PATCH, DELETE) in flight at once. Duplication and
instantiation are limited to 5 concurrent jobs.
"""

from __future__ import annotations

from typing import Final

from sandbox.core import RateWindow

RATE_LIMIT_PAID: Final = 1500
RATE_LIMIT_FREE: Final = 150
RATE_WINDOW: Final = 60.0
MAX_CONCURRENT_READS: Final = 50
MAX_CONCURRENT_WRITES: Final = 15
MAX_CONCURRENT_JOBS: Final = 5
READ_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})


class QuotaWindow(RateWindow):
    """A sliding window where refused hits count too, so ignoring Retry-After keeps a client out."""

    def hit(self, key: str) -> float | None:
        """Record a hit; None if allowed, else the seconds until one would be."""
        now = self.clock()
        hits = self.hits[key]
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        allowed = len(hits) < self.limit
        hits.append(now)
        if allowed:
            return None
        # The next hit is allowed once all but limit-1 of the hits in the window have expired.
        return max(0.001, hits[len(hits) - self.limit] + self.window - now)
