"""The one backoff formula: how long to wait before retry number N.

Every retry loop in the tool (connecting, lock timeouts, the Neon API, webhook delivery now
and the persisted outbox schedule, the watch loop's database retries, the operator's
requeues) takes its delay from :func:`backoff`, so they all grow, cap and jitter alike.
Pure: no I/O, no sleeping; the caller sleeps (or stores the time, for the outbox).
"""

from __future__ import annotations

import random
from collections.abc import Callable

__all__ = ["backoff"]


def backoff(
    attempt: int,
    *,
    initial: float,
    maximum: float,
    factor: float = 2.0,
    jitter: float = 0.5,
    rand: Callable[[], float] = random.random,
) -> float:
    """Seconds to wait before retry ``attempt`` (0 for the first retry).

    ``initial * factor**attempt``, capped at ``maximum``, then scaled by a random factor in
    ``[1 - jitter, 1]`` (full jitter at 1.0, none at 0), so many clients retrying at once
    spread out instead of arriving together.
    """
    base = min(maximum, initial * factor ** min(max(attempt, 0), 64))
    return base * (1.0 - jitter * rand())
