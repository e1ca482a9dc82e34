"""The docstring examples of autograd_lite and nn run as tests (issue 24, item 8).

pyproject.toml adds ``--doctest-modules`` and the two packages to the test paths, so a
plain ``python -m pytest`` (what ``bash scripts/quickstart.sh test`` runs) collects every
example; conftest.py at the root gives them the names a reader assumes are imported.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_plain_pytest_run_collects_the_docstring_examples() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    collected = set(result.stdout.splitlines())
    for example in (
        # the example that would have caught a forward difference in gradcheck (item 6)
        "autograd_lite/checking/jacobian.py::autograd_lite.checking.jacobian.numerical_jacobian",
        "autograd_lite/tensor.py::autograd_lite.tensor.Tensor",
        "nn/optim/sgd.py::nn.optim.sgd.SGD",
        "nn/serialization.py::nn.serialization.load",
    ):
        assert example in collected, example
    assert sum("::" in line and ".py::autograd_lite." in line for line in collected) >= 20
    assert sum(line.startswith("nn/") for line in collected) >= 20
