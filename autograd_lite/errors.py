"""Exception types that say which operation failed and why."""

from __future__ import annotations


class DomainError(ValueError):
    """An operation got a value outside its mathematical domain, e.g. log(-1)."""


class OverflowDomainError(DomainError, OverflowError):
    """A result does not fit in a float, e.g. exp(1000); also a ValueError."""


class ZeroDivisionDomainError(DomainError, ZeroDivisionError):
    """Division by zero; also a ValueError so one `except ValueError` catches every domain fault."""


class ShapeError(ValueError):
    """Operands whose shapes do not fit the operation (names the op and both shapes)."""


class GraphFreedError(RuntimeError):
    """A backward pass reached a part of the graph whose saved buffers were already freed."""


class InplaceModificationError(RuntimeError):
    """A value saved for backward was changed in place before the backward pass used it."""


class AnomalyError(RuntimeError):
    """Under `detect_anomaly`, an operation produced NaN or inf (names the op and its call site)."""
