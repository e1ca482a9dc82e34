"""Compare a computed number with a number as a document prints it, to its printed digits."""

from __future__ import annotations

from autograd_lite.documents import matches_printed

__all__ = ["assert_printed", "matches_printed"]


def assert_printed(actual: float, printed: str, what: str = "") -> None:
    """Assert that ``actual`` rounds to ``printed``, with a message showing both numbers."""
    assert matches_printed(actual, printed), f"{what}: engine {actual!r} vs document {printed}"
