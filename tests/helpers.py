"""Small things several test files share: a custom Function, the example-script loader, and a
whole-model gradient check for the examples' tests."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from autograd_lite import Function

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


class Square(Function):
    """y = x * x;  dy/dx = 2x — a correct custom Function."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 2 * x * grad_output


def load_example(filename: str) -> ModuleType:
    """Import an example script as a module without running its ``__main__`` block."""
    spec = importlib.util.spec_from_file_location(filename.removesuffix(".py"), EXAMPLES / filename)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def directional_derivative_gap(
    parameters: list[Any], loss_of: Callable[[], Any], seed: int = 0, eps: float = 1e-6
) -> float:
    """Relative gap between backward()'s and a central difference's derivative of ``loss_of()``
    along one random direction through all ``parameters`` (float64 ones, for a tight check).

    One number for a whole model: a wrong gradient anywhere in it shows as a gap far above
    the finite difference's error (about 1e-8 here). ``loss_of`` must be deterministic (set
    the seed of any dropout inside it).
    """
    rng = np.random.default_rng(seed)
    directions = [rng.standard_normal(p.shape) for p in parameters]
    norm = np.sqrt(sum(float((d * d).sum()) for d in directions))
    directions = [d / norm for d in directions]  # a unit step: eps moves the weights by eps
    for p in parameters:
        p.grad = None
    loss_of().backward()
    by_backward = sum(float((p.grad.numpy() * d).sum()) for p, d in zip(parameters, directions))
    originals = [p.numpy().copy() for p in parameters]

    def moved(step: float) -> float:
        for p, original, direction in zip(parameters, originals, directions):
            p.data = original + step * direction
        return float(loss_of().item())

    by_difference = (moved(eps) - moved(-eps)) / (2 * eps)
    for p, original in zip(parameters, originals):
        p.data = original
    return abs(by_backward - by_difference) / max(abs(by_difference), 1e-12)


def execute_notebook(path: Path) -> Any:
    """Run the notebook at ``path`` top to bottom in a real Jupyter kernel, with the
    notebook's folder as its working directory, and return it with its outputs (skips when
    the `notebooks` extra is missing). A failing cell raises CellExecutionError."""
    nbformat = pytest.importorskip("nbformat", reason='pip install -e ".[notebooks]"')
    nbclient = pytest.importorskip("nbclient", reason='pip install -e ".[notebooks]"')
    pytest.importorskip("ipykernel", reason='pip install -e ".[notebooks]"')
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return notebook
