"""Small pieces the Slack emulator's parts share: the error type, a clock, rate windows."""

from __future__ import annotations

from typing import Any

from sandbox.core import RateWindow


class SlackError(Exception):
    """A Web API failure: `{"ok": false, "error": error, **extra}` with an HTTP status."""

    def __init__(self, error: str, status: int = 200, *, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.status = status
        self.headers = headers or {}
        self.extra = extra


def invalid(error: str, messages: list[str]) -> SlackError:
    """An error carrying `response_metadata.messages`, as Slack explains invalid payloads."""
    return SlackError(error, response_metadata={"messages": messages})


class FakeClock:
    """A monotonic clock tests move by hand: `clock.advance(3.1)`."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


Window = RateWindow  # the sandbox's sliding window, with its injectable clock


def truthy(value: Any) -> bool:
    """A boolean argument as Slack reads it from JSON or a form ("true", "1")."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)
