"""`Linear`, the affine layer with PyTorch's layout and initialisation, and `MLP`."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

import numpy as np

from autograd_lite import ShapeError, Tensor, linear

from . import init
from .activations import Tanh
from .containers import Sequential
from .module import Module
from .parameter import Parameter, layer_dtype


class Linear(Module):
    """Affine layer y = x @ W.T + b with W of shape (out_features, in_features), as PyTorch.

    Weight and bias start as PyTorch's default: ``kaiming_uniform_(weight, a=sqrt(5))``,
    which is U(-1/sqrt(in_features), 1/sqrt(in_features)), then the bias from the same
    U(-1/sqrt(in_features), 1/sqrt(in_features)), drawn in that order from ``generator``.

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: add a learnable bias b of shape (out_features,).
        dtype: float64 (default) or float32 parameters.
        generator: draws the initial values (default: the global one, see `nn.manual_seed`).

    Raises:
        TypeError: for a size that is not an integer or a dtype other than float32/float64.
            ValueError: for non-positive sizes.

    Example:
        >>> layer = Linear(2, 3)
        >>> layer(Tensor(np.ones((4, 2)))).shape
        (4, 3)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        dtype: np.dtype | type | str = np.float64,
        generator: np.random.Generator | None = None,
    ) -> None:
        super().__init__()
        for name, size in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(size, numbers.Integral) or isinstance(size, (bool, np.bool_)):
                raise TypeError(
                    f"Linear: {name} must be an integer, got {type(size).__name__} {size!r}"
                )
        if in_features < 1 or out_features < 1:
            raise ValueError(
                f"Linear: in_features and out_features must be positive, got {in_features}, "
                f"{out_features}"
            )
        dtype = layer_dtype("Linear", dtype)
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight = Parameter(np.zeros((out_features, in_features)), dtype=dtype)
        self.bias: Parameter | None
        self.bias = Parameter(np.zeros(out_features), dtype=dtype) if bias else None
        self.reset_parameters(generator)

    def reset_parameters(self, generator: np.random.Generator | None = None) -> None:
        """Draw the weight and the bias again from PyTorch's default distributions."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5.0), generator=generator)
        if self.bias is not None:
            fan_in, _ = init.calculate_fans(self.weight)
            bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound, generator)

    def forward(self, x: Tensor) -> Tensor:
        """y = x @ W.T + b for x of shape (..., in_features)."""
        x = x if isinstance(x, Tensor) else Tensor(x)
        shape = x.shape  # read once for both checks
        if not shape or shape[-1] != self.in_features:
            raise ShapeError(
                f"Linear: input shape {x.shape} does not end in in_features={self.in_features} "
                f"(weight shape {self.weight.shape})"
            )
        return linear(x, self.weight, self.bias)  # one fused op: no W.T, no broadcast add

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class MLP(Sequential):
    """Linear layers of the given sizes with ``activation`` after every one but the last.

    Args:
        sizes: layer widths, input first: ``[2, 8, 1]`` is Linear(2, 8), act, Linear(8, 1).
        activation: a Module class, or a zero-argument function returning a Module, called
            once per hidden layer (default `Tanh`).
        bias: give every Linear a bias.
        dtype: float64 (default) or float32 parameters, passed to every `Linear`.

    Raises:
        ValueError: for fewer than two sizes. TypeError: for an activation that is a Module
            instance or does not make a Module.

    Example:
        >>> MLP([2, 4, 1], activation=ReLU)(Tensor(np.ones((3, 2)))).shape
        (3, 1)
    """

    def __init__(
        self,
        sizes: Sequence[int],
        activation: Callable[[], Module] | None = None,
        bias: bool = True,
        dtype: np.dtype | type | str = np.float64,
    ) -> None:
        if len(sizes) < 2:
            raise ValueError(f"MLP: sizes needs an input and an output width, got {list(sizes)}")
        make_activation = Tanh if activation is None else activation
        expected = "MLP: activation must be a Module class or a zero-argument function making one"
        if isinstance(make_activation, Module):
            name = type(make_activation).__name__
            raise TypeError(
                f"{expected}, got the instance {make_activation!r}; pass the class, e.g. "
                f"activation=nn.{name}"
            )
        if not callable(make_activation):
            raise TypeError(f"{expected}, got {type(make_activation).__name__} {make_activation!r}")
        layers: list[Module] = []
        for position, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(Linear(fan_in, fan_out, bias=bias, dtype=dtype))
            if position < len(sizes) - 2:
                module = make_activation()
                if not isinstance(module, Module):
                    raise TypeError(
                        f"{expected}; {make_activation!r} returned {type(module).__name__} "
                        f"{module!r:.60}"
                    )
                layers.append(module)
        super().__init__(*layers)
