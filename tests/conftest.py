"""Shared test set-up: Hypothesis profiles and a guard against leaked grad mode."""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from autograd_lite import is_grad_enabled, set_grad_enabled

settings.register_profile("dev", max_examples=30, deadline=None)
settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("thorough", max_examples=500, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture(autouse=True)
def _grad_mode_restored():
    """Fail a test that leaves graph recording switched off (and switch it back on)."""
    yield
    if not is_grad_enabled():
        set_grad_enabled(True)
        pytest.fail("the test left grad mode disabled")
