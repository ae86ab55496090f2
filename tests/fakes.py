"""Test doubles shared across the suite."""


class FakeClock:
    """A clock that never sleeps: `sleep` advances time and remembers how long it was asked to wait."""

    def __init__(self, start: float = 1_800_000_000.0):
        self.now = start
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)
