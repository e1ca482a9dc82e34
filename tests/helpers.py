"""Small things several test files share: a custom Function and the example-script loader."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

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
