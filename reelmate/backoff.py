"""How long to wait before trying again: exponential backoff with jitter, for every retry loop."""
from __future__ import annotations

import random


def jittered(delay: float, *, low: float = 0.5) -> float:
    """`low` to all of `delay`, at random, so that clients failing together retry apart."""
    return round(delay * random.uniform(low, 1.0), 2)


def jittered_backoff(attempt: int, *, base: float, cap: float) -> float:
    """Seconds before retry number ``attempt`` (1, 2, ...): ``base * 2^(attempt-1)`` capped at
    ``cap``, then half to all of it at random, so that clients failing together retry apart."""
    return jittered(min(base * 2 ** max(attempt - 1, 0), cap))
