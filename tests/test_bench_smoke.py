"""The benchmark's modules load (a syntax slip there would only show when someone runs it)."""

from __future__ import annotations

import importlib

import pytest


@pytest.mark.parametrize("module", ["bench.__main__", "bench.slack", "bench.alerts", "bench.book"])
def test_bench_modules_import(module: str) -> None:
    """Each bench module imports and exposes its entry point."""
    loaded = importlib.import_module(module)
    assert any(
        callable(getattr(loaded, name, None)) for name in ("main", "slash_to_card", "webhook_to_post", "home_for_200")
    )
