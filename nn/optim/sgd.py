"""`SGD`: stochastic gradient descent with momentum, Nesterov momentum and weight decay.

PyTorch's algorithm, written on the parameters' NumPy arrays. SGD writes into a parameter's
array only when that array is one the optimizer made itself on an earlier step (the first
step builds a new one), so a user's array passed to ``Tensor(...)`` is never changed; the
in-place update goes a block at a time through `_subtract_scaled` ([fast path: SGD
blocks]).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from . import hyperparameters as check
from .optimizer import Optimizer

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

    PyTorch's algorithm, per parameter p with gradient g (per group's settings):
        g <- -g (maximize)
        g <- g + weight_decay * p
        b <- g (first step), else momentum * b + (1 - dampening) * g   (momentum != 0)
        g <- g + momentum * b (nesterov), else b                        (momentum != 0)
        p <- p - lr * g
    State: ``momentum_buffer`` (only with momentum).

    Args:
        params: the tensors to train (e.g. ``model.parameters()``) or parameter groups.
        lr: learning rate (PyTorch's default 1e-3).
        momentum: momentum factor.
        dampening: dampening of the momentum.
        weight_decay: L2 penalty coefficient.
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening = 0).
        maximize: climb the objective instead of descending.

    Raises:
        ValueError: for negative settings or an invalid Nesterov setting.

    Example:
        >>> w = Parameter([0.45]); opt = optim.SGD([w], lr=0.4)
        >>> (w * 2.0).sum().backward(); opt.step(); w.numpy()
        array([-0.35])
    """

    _state_names = ("momentum_buffer",)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _check_hyperparameters(self, hyper: dict[str, Any], where: str) -> dict[str, Any]:
        checked = {
            key: check.non_negative(where, key, hyper[key])
            for key in ("lr", "momentum", "dampening", "weight_decay")
        }
        checked["nesterov"] = check.flag(where, "nesterov", hyper["nesterov"])
        checked["maximize"] = check.flag(where, "maximize", hyper["maximize"])
        if checked["nesterov"] and (checked["momentum"] <= 0 or checked["dampening"] != 0):
            raise ValueError(
                f"{where}: nesterov needs momentum > 0 and dampening = 0, got "
                f"momentum={hyper['momentum']}, dampening={hyper['dampening']}"
            )
        return checked

    def _update(
        self,
        data: np.ndarray,
        grad: np.ndarray,
        state: dict[str, Any],
        group: dict[str, Any],
        writable: bool,
    ) -> np.ndarray:
        if group["maximize"]:
            grad = -grad
        weight_decay, momentum = group["weight_decay"], group["momentum"]
        if weight_decay != 0:
            grad = grad + weight_decay * data
        if momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = np.array(grad, dtype=data.dtype)  # a copy: never alias a .grad array
            else:
                buffer = momentum * buffer + (1 - group["dampening"]) * grad
            state["momentum_buffer"] = buffer
            grad = grad + momentum * buffer if group["nesterov"] else buffer
        if writable:  # no new parameter array, no temporary: see _subtract_scaled
            _subtract_scaled(data, group["lr"], grad, self._scratch)
            return data
        return data - group["lr"] * grad

    def _required_state(self, group: Mapping[str, Any]) -> tuple[str, ...]:
        return ("momentum_buffer",) if group["momentum"] != 0 else ()
