"""Optimizers: `SGD` (momentum, Nesterov, weight decay), `Adam` and `AdamW`.

The update rules are PyTorch's documented algorithms, written on the parameters' NumPy
arrays under `no_grad`. A step never writes into a ``.grad`` array, which may share memory
with other tensors' gradients. SGD writes into a parameter's array only when that array is
one the optimizer made itself on an earlier step (the first step builds a new one), so a
user's array passed to ``Tensor(...)`` is never changed; every step ends with ``p.data = ...``,
which gives the parameter a new version stamp (see `Tensor.data`) even after an in-place
update, so a graph that saved the old values still refuses to backward.
"""

from __future__ import annotations

import math
import numbers
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from autograd_lite import Tensor, enable_grad, no_grad

Hyperparameter = float | bool | tuple[float, ...]


class Optimizer:
    """Base class: holds the parameters, per-parameter state and the hyperparameters.

    Subclasses set ``_buffer_names`` (the arrays kept per parameter, or override
    `_buffers` when they depend on the hyperparameters) and implement
    `_update`. ``state[i]`` is the state of the i-th parameter: ``"step"`` (updates done so
    far) and its buffers.

    Raises:
        ValueError: for an empty or repeated parameter list.
        TypeError: for an entry that is not a Tensor, or a Module or single Tensor given as
            ``params`` (pass ``model.parameters()`` or a list).
    """

    _buffer_names: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Tensor], hyperparameters: dict[str, Hyperparameter]):
        name = type(self).__name__
        self.params: list[Tensor] = _parameter_list(name, params)
        if not self.params:
            raise ValueError(f"{name}: got an empty parameter list")
        for index, param in enumerate(self.params):
            if not isinstance(param, Tensor):
                raise TypeError(
                    f"{name}: parameter {index} is a {type(param).__name__}, not a Tensor"
                )
        if len({id(p) for p in self.params}) != len(self.params):
            raise ValueError(f"{name}: a parameter appears more than once in the list")
        # Any: each optimizer knows the type of each of its own entries
        self.hyperparameters: dict[str, Any] = dict(hyperparameters)
        self.state: dict[int, dict[str, Any]] = {}
        #: index -> weak reference to the array this optimizer last gave that parameter
        #: (safe to write into while the parameter still holds it; weak: never kept alive)
        self._made: dict[int, weakref.ref] = {}
        #: dtype -> flat scratch array that in-place updates scale a block of the gradient
        #: into (see `_subtract_scaled`); kept across steps: one block of the largest
        #: parameter, max(_BLOCK_BYTES, its size / _MAX_BLOCKS) at most, per dtype
        self._scratch: dict[np.dtype, np.ndarray] = {}

    @property
    def lr(self) -> float:
        """The learning rate (assignable, e.g. for a schedule)."""
        return float(self.hyperparameters["lr"])

    @lr.setter
    def lr(self, value: float) -> None:
        _non_negative(type(self).__name__, "lr", value)
        self.hyperparameters["lr"] = float(value)

    def _buffers(self, hyperparameters: Mapping[str, Any]) -> tuple[str, ...]:
        """Names of the per-parameter arrays kept under these hyperparameters."""
        return self._buffer_names

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (``.grad = None``)."""
        for param in self.params:
            param.grad = None

    def step(self, closure: Callable[[], Tensor] | None = None) -> Tensor | None:
        """Update every parameter that has a gradient; parameters without one are skipped.

        Args:
            closure: optional function that recomputes the loss (and its gradients); it is
                called first, with graph recording on, and its result returned.

        Returns:
            The closure's loss, or None.

        Example:
            >>> w = Parameter([1.0]); opt = SGD([w], lr=0.1)
            >>> (w * w).sum().backward(); opt.step(); w.numpy()    # 1 - 0.1 * 2
            array([0.8])
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        states, made_arrays = self.state, self._made
        with no_grad():
            for index, param in enumerate(self.params):
                grad_tensor = param.grad
                if grad_tensor is None:
                    continue
                grad, data = grad_tensor.data, param.data
                if grad.shape != data.shape:
                    raise ValueError(
                        f"{type(self).__name__}.step: parameter {index} has shape {data.shape} "
                        f"but its gradient has shape {grad.shape}"
                    )
                state = states.get(index)
                if state is None:
                    state = states[index] = {"step": 0}
                state["step"] += 1
                made = made_arrays.get(index)
                writable = made is not None and made() is data and data.flags.writeable
                new_data = self._update(data, grad, state, writable)
                if new_data is not data:  # updated in place: already the right array, known
                    new_data = np.asarray(new_data, data.dtype)
                    made_arrays[index] = weakref.ref(new_data)
                param.data = new_data  # a new version stamp, also after an in-place update
        return loss

    def _update(
        self, data: np.ndarray, grad: np.ndarray, state: dict[str, Any], writable: bool
    ) -> np.ndarray:
        """The parameter's new values; may be ``data`` itself, updated, when ``writable``."""
        raise NotImplementedError

    # ---------------------------------------------------------------- state
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state: per-parameter buffers and step counts, and hyperparameters.

        Returns:
            ``{"state": {index: {"step": int, buffer: array}}, "hyperparameters": {...}}``
            holding copies.
        """
        state = {
            index: {
                key: (value.copy() if isinstance(value, np.ndarray) else value)
                for key, value in entry.items()
            }
            for index, entry in self.state.items()
        }
        return {"state": state, "hyperparameters": dict(self.hyperparameters)}

    def check_state_dict(self, state_dict: Mapping[str, Any]) -> tuple[dict, dict]:
        """Validate ``state_dict`` against this optimizer without changing anything.

        Returns:
            (state, hyperparameters) converted to the optimizer's own types.

        Raises:
            KeyError: for missing or unknown entries. ValueError: for wrong shapes, dtypes,
            step counts or hyperparameter values.
        """
        name = f"{type(self).__name__}.load_state_dict"
        if set(state_dict) != {"state", "hyperparameters"}:
            raise KeyError(
                f"{name}: expected keys 'state' and 'hyperparameters', got {sorted(state_dict)}"
            )
        hyper_in = state_dict["hyperparameters"]
        if set(hyper_in) != set(self.hyperparameters):
            raise KeyError(
                f"{name}: hyperparameters {sorted(hyper_in)} do not match "
                f"{sorted(self.hyperparameters)}"
            )
        hyper = {
            key: _hyper_value(name, key, hyper_in[key], current)
            for key, current in self.hyperparameters.items()
        }
        state: dict[int, dict[str, Any]] = {}
        for raw_index, entry in state_dict["state"].items():
            index = int(raw_index)
            if not 0 <= index < len(self.params):
                raise KeyError(
                    f"{name}: state for parameter {index}, but there are {len(self.params)}"
                )
            expected = {"step", *self._buffers(hyper)}
            if set(entry) != expected:
                raise KeyError(
                    f"{name}: parameter {index} state has {sorted(entry)}, "
                    f"expected {sorted(expected)}"
                )
            step = np.asarray(entry["step"])
            if step.shape != () or step.dtype.kind not in "iu" or step < 0:
                raise ValueError(
                    f"{name}: parameter {index} step must be a non-negative integer, "
                    f"got {entry['step']!r}"
                )
            converted: dict[str, Any] = {"step": int(step)}
            param = self.params[index]
            for buffer in self._buffers(hyper):
                array = np.asarray(entry[buffer])
                if array.shape != param.shape or array.dtype != param.dtype:
                    raise ValueError(
                        f"{name}: parameter {index} {buffer} has shape {array.shape} and dtype "
                        f"{array.dtype}, the parameter {param.shape} and {param.dtype}"
                    )
                converted[buffer] = array.copy()
            state[index] = converted
        return state, hyper

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a `state_dict()`; everything is checked before anything changes.

        Args:
            state_dict: what `state_dict()` returned (for an optimizer over the same
                parameter shapes, in the same order).

        Raises:
            KeyError: missing or unknown entries. ValueError: wrong shapes, dtypes or values.
        """
        self.state, self.hyperparameters = self.check_state_dict(state_dict)

    def __repr__(self) -> str:
        settings = ", ".join(f"{key}={value}" for key, value in self.hyperparameters.items())
        return f"{type(self).__name__}({len(self.params)} parameters, {settings})"


def _parameter_list(owner: str, params: Any) -> list[Tensor]:
    """``list(params)``, with a clear TypeError for a Module, a single Tensor or a non-iterable."""
    if isinstance(params, Tensor):
        raise TypeError(
            f"{owner}: params must be a list of tensors, got a single Tensor of shape "
            f"{params.shape}; pass [tensor]"
        )
    if callable(getattr(params, "parameters", None)):
        raise TypeError(
            f"{owner}: params must be an iterable of Tensors, got the module "
            f"{type(params).__name__}; pass model.parameters()"
        )
    try:
        return list(params)
    except TypeError:
        raise TypeError(
            f"{owner}: params must be an iterable of Tensors, got {type(params).__name__}"
        ) from None


def _is_real(value: Any) -> bool:
    """True for Python and NumPy real numbers (int, float, np.float32, ...), not for bools."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def _non_negative(owner: str, name: str, value: float) -> None:
    if not (_is_real(value) and math.isfinite(value) and value >= 0):
        raise ValueError(f"{owner}: {name} must be a finite number >= 0, got {value!r}")


def _hyper_value(where: str, key: str, value: Any, current: Hyperparameter) -> Hyperparameter:
    array = np.asarray(value)
    if isinstance(current, bool):
        if array.shape != () or array.dtype.kind != "b":
            raise ValueError(f"{where}: hyperparameter {key!r} must be a bool, got {value!r}")
        return bool(array)
    expected_shape = (len(current),) if isinstance(current, tuple) else ()
    if array.shape != expected_shape or array.dtype.kind not in "iuf":
        raise ValueError(
            f"{where}: hyperparameter {key!r} must be numeric of shape {expected_shape}, "
            f"got {value!r}"
        )
    if not np.all(np.isfinite(array)) or np.any(array < 0):
        raise ValueError(f"{where}: hyperparameter {key!r} must be finite and >= 0, got {value!r}")
    if isinstance(current, tuple):
        return tuple(float(v) for v in array)
    return float(array)


#: [fast path: SGD blocks] bytes scaled at a time by `_subtract_scaled`: a parameter is
#: split evenly into blocks of at most this size (at most _MAX_BLOCKS of them), and each
#: block of the gradient is scaled into a scratch array the optimizer keeps across steps
#: (no temporary per block or per step; blocks this size keep the data in cache while
#: making few NumPy calls).
_BLOCK_BYTES = 768 * 1024
#: a large parameter gets blocks of 1/_MAX_BLOCKS of it instead (fewer, longer calls)
_MAX_BLOCKS = 8
#: parameters up to this size are updated in one expression with a temporary: allocating a
#: small array costs less than fetching and slicing a scratch block for it
_SMALL_BYTES = 16 * 1024


def _block_elements(data: np.ndarray) -> int:
    """Elements per block of `_subtract_scaled`: ``data`` split evenly into blocks of at
    most _BLOCK_BYTES, or into _MAX_BLOCKS blocks (e.g. 3 blocks of 523 KiB for a 256x784
    float64 weight, 8 of 1 MiB for a 1024x1024 one)."""
    blocks = min(-(-data.nbytes // _BLOCK_BYTES), _MAX_BLOCKS)
    return -(-data.size // blocks)


def _subtract_scaled(
    data: np.ndarray,
    scale: float,
    direction: np.ndarray,
    scratch: dict[np.dtype, np.ndarray] | None = None,
) -> np.ndarray:
    """data -= scale * direction in place, a block at a time; ``direction`` is not written.

    ``data - scale * direction`` would hold two parameter-sized temporaries at once (the
    product and the new array), the largest part of a training step's peak memory. Here each
    block of ``scale * direction`` is computed into a scratch array and subtracted from the
    block of ``data``: the same products and differences, so the same numbers. A block is
    at most max(_BLOCK_BYTES, data.nbytes / _MAX_BLOCKS) (see `_block_elements`).

    Args:
        data: the array to update (written in place).
        scale: the factor, e.g. the learning rate.
        direction: same shape as ``data``, e.g. the gradient.
        scratch: dtype -> flat array kept by the caller across calls (grown here when too
            small); None allocates one block for this call.

    Returns:
        ``data``.
    """
    if data.nbytes <= _SMALL_BYTES or data.ndim == 0 or direction.dtype != data.dtype:
        # one step (biases, small layers; a gradient of another dtype keeps the promotion
        # of the plain formula): tested first
        data -= scale * direction
        return data
    block = _block_elements(data)
    buffer = None if scratch is None else scratch.get(data.dtype)
    if buffer is None or buffer.size < block:
        buffer = np.empty(block, data.dtype)
        if scratch is not None:
            scratch[data.dtype] = buffer
    if data.flags.f_contiguous and direction.flags.f_contiguous and data.ndim > 1:
        data_c, direction_c = data.T, direction.T  # both C-contiguous views, same order
    else:
        data_c, direction_c = data, direction
    if data_c.flags.c_contiguous and direction_c.flags.c_contiguous:
        # flat views (made once, no copies): blocks of exactly ``block`` elements, also when
        # a single row is longer than a block, e.g. shape (1, 500000)
        flat_data, flat_direction = data_c.reshape(-1), direction_c.reshape(-1)
        for start in range(0, data.size, block):
            target = flat_data[start : start + block]  # a view: writes reach ``data``
            source = flat_direction[start : start + block]
            target -= np.multiply(source, scale, out=buffer[: target.size])
        return data
    # other layouts (rare: mixed orders, strided views): blocks of rows; NumPy may copy a
    # block when its layout differs from the scratch block's
    row = data.size // data.shape[0]
    rows = max(1, block // row)
    fits = rows * row <= buffer.size  # False only for a single row longer than a block
    for start in range(0, data.shape[0], rows):
        target = data[start : start + rows]  # a view along axis 0: writes reach ``data``
        source = direction[start : start + rows]
        if fits:
            target -= np.multiply(source, scale, out=buffer[: target.size].reshape(target.shape))
        else:
            target -= scale * source
    return data


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum, Nesterov momentum and weight decay.

    PyTorch's algorithm, per parameter p with gradient g at step t:
        g <- g + weight_decay * p
        b <- g (t = 1), else momentum * b + (1 - dampening) * g
        g <- g + momentum * b (nesterov), else b        (only when momentum != 0)
        p <- p - lr * g

    Args:
        params: the tensors to train (e.g. ``model.parameters()``).
        lr: learning rate (the documents' eta).
        momentum: momentum factor.
        dampening: dampening of the momentum.
        weight_decay: L2 penalty coefficient.
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening = 0).

    Raises:
        ValueError: for negative settings or an invalid Nesterov setting.

    Example:
        >>> w = Parameter([0.45]); opt = SGD([w], lr=0.4)
        >>> (w * 2.0).sum().backward(); opt.step(); w.numpy()
        array([-0.35])
    """

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        for key, value in (
            ("lr", lr),
            ("momentum", momentum),
            ("dampening", dampening),
            ("weight_decay", weight_decay),
        ):
            _non_negative("SGD", key, value)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(
                f"SGD: nesterov needs momentum > 0 and dampening = 0, got momentum={momentum}, "
                f"dampening={dampening}"
            )
        super().__init__(
            params,
            {
                "lr": float(lr),
                "momentum": float(momentum),
                "dampening": float(dampening),
                "weight_decay": float(weight_decay),
                "nesterov": bool(nesterov),
            },
        )

    def _buffers(self, hyperparameters: Mapping[str, Any]) -> tuple[str, ...]:
        return ("momentum_buffer",) if hyperparameters["momentum"] != 0 else ()

    def _update(
        self, data: np.ndarray, grad: np.ndarray, state: dict[str, Any], writable: bool
    ) -> np.ndarray:
        h = self.hyperparameters
        if h["weight_decay"] != 0:
            grad = grad + h["weight_decay"] * data
        if h["momentum"] != 0:
            if "momentum_buffer" not in state:
                buffer = np.array(grad, dtype=data.dtype)  # a copy: never alias a .grad array
            else:
                buffer = h["momentum"] * state["momentum_buffer"] + (1 - h["dampening"]) * grad
            state["momentum_buffer"] = buffer
            grad = grad + h["momentum"] * buffer if h["nesterov"] else buffer
        if writable:  # no new parameter array, no temporary: see _subtract_scaled
            _subtract_scaled(data, h["lr"], grad, self._scratch)
            return data
        return data - h["lr"] * grad


class Adam(Optimizer):
    """Adam (Kingma & Ba) with bias correction; weight decay is an L2 term added to g.

    PyTorch's algorithm, per parameter p with gradient g at step t:
        g <- g + weight_decay * p
        m <- beta1 * m + (1 - beta1) * g
        v <- beta2 * v + (1 - beta2) * g**2
        p <- p - lr * (m / (1 - beta1**t)) / (sqrt(v / (1 - beta2**t)) + eps)

    Args:
        params: the tensors to train.
        lr: learning rate.
        betas: decay rates (beta1, beta2) of the first and second moment estimates.
        eps: added to the denominator.
        weight_decay: L2 penalty coefficient.

    Raises:
        ValueError: for negative settings or betas outside [0, 1).
        TypeError: for betas that are not a pair of numbers.

    Example:
        >>> w = Parameter([1.0]); opt = Adam([w], lr=0.1)
        >>> (w * w).sum().backward(); opt.step(); round(w.item(), 6)   # first step moves lr
        0.9
    """

    _buffer_names = ("exp_avg", "exp_avg_sq")
    _decoupled = False

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        name = type(self).__name__
        for key, value in (("lr", lr), ("eps", eps), ("weight_decay", weight_decay)):
            _non_negative(name, key, value)
        if not isinstance(betas, (tuple, list, np.ndarray)) or not all(map(_is_real, betas)):
            raise TypeError(
                f"{name}: betas must be a pair (beta1, beta2) of numbers, e.g. (0.9, 0.999), "
                f"got {betas!r}"
            )
        if len(betas) != 2 or not all(0.0 <= beta < 1.0 for beta in betas):
            raise ValueError(f"{name}: betas must be two numbers in [0, 1), got {betas!r}")
        super().__init__(
            params,
            {
                "lr": float(lr),
                "betas": (float(betas[0]), float(betas[1])),
                "eps": float(eps),
                "weight_decay": float(weight_decay),
            },
        )

    def _update(
        self, data: np.ndarray, grad: np.ndarray, state: dict[str, Any], writable: bool
    ) -> np.ndarray:
        h = self.hyperparameters
        lr, (beta1, beta2), eps, weight_decay = h["lr"], h["betas"], h["eps"], h["weight_decay"]
        if weight_decay != 0:
            if self._decoupled:
                data = data * (1 - lr * weight_decay)  # AdamW: shrink p, keep g as it is
            else:
                grad = grad + weight_decay * data  # Adam: L2 term in the gradient
        exp_avg = state.get("exp_avg", np.zeros_like(data))
        exp_avg_sq = state.get("exp_avg_sq", np.zeros_like(data))
        exp_avg = beta1 * exp_avg + (1 - beta1) * grad
        exp_avg_sq = beta2 * exp_avg_sq + (1 - beta2) * grad * grad
        state["exp_avg"], state["exp_avg_sq"] = exp_avg, exp_avg_sq
        step = state["step"]
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        # grouped as PyTorch's implementation: (sqrt(v) / sqrt(bc2) + eps), lr / bc1
        denominator = np.sqrt(exp_avg_sq) / math.sqrt(bias_correction2) + eps
        return data - (lr / bias_correction1) * (exp_avg / denominator)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter).

    PyTorch's algorithm: p <- p - lr * weight_decay * p, then the Adam step without an L2
    term in g.

    Args:
        params: the tensors to train.
        lr: learning rate.
        betas: decay rates of the moment estimates.
        eps: added to the denominator.
        weight_decay: decoupled decay coefficient (PyTorch's default 0.01).

    Raises:
        ValueError: for negative settings or betas outside [0, 1).
        TypeError: for betas that are not a pair of numbers.

    Example:
        >>> w = Parameter([1.0]); opt = AdamW([w], lr=0.1, weight_decay=0.0)
    """

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
    ) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
