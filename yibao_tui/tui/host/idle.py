"""An idle timer with an injectable clock (tests move the clock, never the wall time).

``IdleTimer.state()`` answers from the clock alone: ``active`` until ``timeout`` seconds passed
since the last ``touch()``, then ``warning`` for ``countdown`` seconds (the kiosk's 10-second
countdown; the counter uses none), then ``expired``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Clock = Callable[[], float]
State = Literal["active", "warning", "expired"]


@dataclass
class IdleTimer:
    """Seconds since the last input, compared with a timeout and an optional countdown."""

    timeout: float
    countdown: float = 0.0
    clock: Clock = time.monotonic

    def __post_init__(self) -> None:
        self.last = self.clock()

    def touch(self) -> None:
        """Input happened: start counting again."""
        self.last = self.clock()

    def idle_for(self) -> float:
        """Seconds since the last input."""
        return max(0.0, self.clock() - self.last)

    def state(self) -> State:
        """``active``, ``warning`` (counting down) or ``expired``."""
        idle = self.idle_for()
        if idle >= self.timeout + self.countdown:
            return "expired"
        if idle >= self.timeout:
            return "warning"
        return "active"

    def remaining(self) -> int:
        """Whole seconds left of the countdown (0 when expired)."""
        left = self.timeout + self.countdown - self.idle_for()
        return max(0, math.ceil(left))


class FakeClock:
    """A clock for tests and demos: ``advance(seconds)`` moves it."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock forward."""
        self.now += seconds
