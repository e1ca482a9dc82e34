"""Layers: `Linear`, `Sequential`, `MLP`, the activations, `Dropout` and `Flatten`."""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

import numpy as np

from autograd_lite import ShapeError, Tensor, linear

from . import functional as F
from . import init
from .module import Module, Parameter, _ModuleSequence


class Linear(Module):
    """Affine layer y = x @ W.T + b with W of shape (out_features, in_features), as PyTorch.

    Weight and bias start as U(-1/sqrt(in_features), 1/sqrt(in_features)): PyTorch's default
    (Kaiming uniform with a = sqrt(5) for the weight, the same bound for the bias).

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: add a learnable bias b of shape (out_features,).
        dtype: float64 (default) or float32 parameters.
        generator: draws the initial values (default: the global one, see `nn.manual_seed`).

    Raises:
        TypeError: for a size that is not an integer. ValueError: for non-positive sizes.

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
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight = Parameter(np.zeros((out_features, in_features)), dtype=dtype)
        self.bias: Parameter | None
        init.kaiming_uniform_(self.weight, a=math.sqrt(5.0), generator=generator)
        if bias:
            self.bias = Parameter(np.zeros(out_features), dtype=dtype)
            bound = 1.0 / math.sqrt(in_features)
            init.uniform_(self.bias, -bound, bound, generator)
        else:
            self.bias = None

    def forward(self, x: Tensor) -> Tensor:
        """y = x @ W.T + b for x of shape (..., in_features)."""
        x = x if isinstance(x, Tensor) else Tensor(x)
        shape = x.shape  # read once for both checks: saves a property call per layer
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


class Sequential(_ModuleSequence):
    """Modules applied one after another; the output of each is the input of the next.

    Args:
        *modules: the modules, registered as "0", "1", ...

    Raises:
        TypeError: for an argument that is not a Module.

    Example:
        >>> model = Sequential(Linear(2, 2), Sigmoid(), Linear(2, 1))
        >>> model(Tensor([[0.05, 0.10]])).shape
        (1, 1)
    """

    def __init__(self, *modules: Module) -> None:
        super().__init__()
        for index, module in enumerate(modules):
            self.register_module(str(index), module)

    def forward(self, x: Tensor) -> Tensor:
        """Run every module in order."""
        for module in self._modules.values():
            x = module(x)
        return x


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


class Sigmoid(Module):
    """1 / (1 + exp(-x)) elementwise (the documents' activation)."""

    def forward(self, x: Tensor) -> Tensor:
        return F.sigmoid(x)


class Tanh(Module):
    """tanh(x) elementwise."""

    def forward(self, x: Tensor) -> Tensor:
        return F.tanh(x)


class ReLU(Module):
    """max(x, 0) elementwise; its derivative at 0 is taken as 0."""

    def forward(self, x: Tensor) -> Tensor:
        return F.relu(x)


class LeakyReLU(Module):
    """x for x > 0, negative_slope * x otherwise.

    Args:
        negative_slope: the slope left of zero (PyTorch's default 0.01).
    """

    def __init__(self, negative_slope: float = 0.01) -> None:
        super().__init__()
        self.negative_slope = float(negative_slope)

    def forward(self, x: Tensor) -> Tensor:
        return F.leaky_relu(x, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"


class Softmax(Module):
    """exp(x) / sum(exp(x)) along ``axis`` (default the last).

    Args:
        axis: the axis that sums to one.
    """

    def __init__(self, axis: int = -1) -> None:
        super().__init__()
        self.axis = int(axis)

    def forward(self, x: Tensor) -> Tensor:
        return F.softmax(x, axis=self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class Dropout(Module):
    """Inverted dropout: in training, zero elements with probability p and scale by 1/(1-p).

    In eval mode it returns its input unchanged. Masks come from ``generator`` or, when it is
    None, from the global generator (seeded by `nn.manual_seed`).

    Args:
        p: drop probability in [0, 1].
        generator: a private numpy Generator for the masks.

    Raises:
        ValueError: for p outside [0, 1].

    Example:
        >>> drop = Dropout(0.5, np.random.default_rng(0)).eval()
        >>> drop(Tensor([1.0, 2.0])).numpy()
        array([1., 2.])
    """

    def __init__(self, p: float = 0.5, generator: np.random.Generator | None = None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: p must be in [0, 1], got {p}")
        self.p = float(p)
        self.generator = generator

    def forward(self, x: Tensor) -> Tensor:
        return F.dropout(x, self.p, self.training, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Flatten(Module):
    """Merge axes start_axis..end_axis into one (default: all but the batch axis).

    Args:
        start_axis: first axis merged.
        end_axis: last axis merged (inclusive).
    """

    def __init__(self, start_axis: int = 1, end_axis: int = -1) -> None:
        super().__init__()
        self.start_axis, self.end_axis = int(start_axis), int(end_axis)

    def forward(self, x: Tensor) -> Tensor:
        start = self.start_axis + x.ndim if self.start_axis < 0 else self.start_axis
        end = self.end_axis + x.ndim if self.end_axis < 0 else self.end_axis
        if not 0 <= start <= end < x.ndim:
            raise ShapeError(
                f"Flatten: cannot merge axes {self.start_axis}..{self.end_axis} of shape {x.shape}"
            )
        merged = int(np.prod(x.shape[start : end + 1]))
        return x.reshape(*x.shape[:start], merged, *x.shape[end + 1 :])

    def extra_repr(self) -> str:
        return f"start_axis={self.start_axis}, end_axis={self.end_axis}"
