"""Login throttling: after too many failures in a window, further attempts are refused.

Pure and in-process (one server process serves a station); keyed by client address and by
username so neither guessing many passwords for one account nor spraying one password
across accounts gets far.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from typing import Callable


class LoginThrottle:
    def __init__(self, max_failures: int = 5, window_seconds: float = 300, clock: Callable[[], float] = time.monotonic):
        self.max_failures = max_failures
        self.window = window_seconds
        self.clock = clock
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str) -> deque[float]:
        q = self._failures[key]
        cutoff = self.clock() - self.window
        while q and q[0] <= cutoff:
            q.popleft()
        return q

    def blocked(self, *keys: str) -> bool:
        return any(len(self._recent(k)) >= self.max_failures for k in keys)

    def failed(self, *keys: str) -> None:
        now = self.clock()
        for k in keys:
            self._recent(k).append(now)

    def succeeded(self, *keys: str) -> None:
        for k in keys:
            self._failures.pop(k, None)
