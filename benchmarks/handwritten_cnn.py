"""The benchmark CNN written by hand in NumPy: im2col forward, backward and SGD, no engine.

Conv2d(1, 16, 3, p=1) - ReLU - MaxPool2d(2) - Conv2d(16, 32, 3, p=1) - ReLU - MaxPool2d(2)
- Flatten - Linear(128, 10), softmax cross-entropy (mean), SGD. This is the floor an
engine's CNN step is held against: what someone who knows NumPy would write for this one
network. Each convolution is one window view of the padded (N, C, H, W) input, one copy
into im2col matrices (per sample C*3*3 rows in PyTorch's weight order, H*W columns) and
one batched matrix product whose result is already (N, C_out, H, W); its input gradient
adds the 9 kernel offsets' slices back; 2x2 max pooling is the maximum of four strided
slices, its backward a mask of the maxima.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import nn


class HandwrittenCNN:
    """The CNN's parameters as NumPy arrays (PyTorch's shapes) and its training step."""

    def __init__(self, params: dict[str, np.ndarray], lr: float) -> None:
        self.w1, self.b1 = params["0.weight"].copy(), params["0.bias"].copy()
        self.w2, self.b2 = params["3.weight"].copy(), params["3.bias"].copy()
        self.w3, self.b3 = params["7.weight"].copy(), params["7.bias"].copy()
        self.lr = lr

    @classmethod
    def copy_of(cls, model: nn.Module, lr: float) -> HandwrittenCNN:
        """The same network as the engine's Sequential ``model`` (same weights)."""
        return cls({k: np.array(v) for k, v in model.state_dict().items()}, lr)

    def parameters(self) -> list[np.ndarray]:
        """The arrays in the engine's parameter order."""
        return [self.w1, self.b1, self.w2, self.b2, self.w3, self.b3]

    @staticmethod
    def _columns(x: np.ndarray) -> np.ndarray:
        """im2col of an (N, C, H, W) input, padding 1, 3x3 windows: one (C*9, H*W) matrix
        per sample, rows in the weight's (C, KH, KW) order."""
        n, c, h, w = x.shape
        padded = np.zeros((n, c, h + 2, w + 2), x.dtype)
        padded[:, :, 1:-1, 1:-1] = x
        windows = sliding_window_view(padded, (3, 3), axis=(2, 3))  # (N, C, H, W, 3, 3)
        return windows.transpose(0, 1, 4, 5, 2, 3).reshape(n, c * 9, h * w)  # the one copy

    @staticmethod
    def _add_columns(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """col2im: the gradient of `_columns`' input, each window offset added back."""
        n, c, h, w = shape
        windows = grad.reshape(n, c, 3, 3, h, w)
        padded = np.zeros((n, c, h + 2, w + 2), grad.dtype)
        for u in range(3):
            for v in range(3):
                padded[:, :, u : u + h, v : v + w] += windows[:, :, u, v]
        return padded[:, :, 1:-1, 1:-1]

    @staticmethod
    def _pool(x: np.ndarray) -> np.ndarray:
        """2x2 max pooling of (N, C, H, W): the maximum of the four strided slices that hold
        each window's four offsets (NumPy reduces over small reshaped axes slowly)."""
        top = np.maximum(x[:, :, 0::2, 0::2], x[:, :, 0::2, 1::2])
        return np.maximum(top, np.maximum(x[:, :, 1::2, 0::2], x[:, :, 1::2, 1::2]))

    @staticmethod
    def _unpool(grad: np.ndarray, x: np.ndarray, out: np.ndarray) -> np.ndarray:
        """The gradient of `_pool`: each window's gradient to the elements equal to its
        maximum. A tie gives it to every tied element; the ties here are ReLU's zeros,
        whose gradient ReLU's backward zeroes anyway."""
        d_x = np.empty_like(x)
        for u in (0, 1):
            for v in (0, 1):
                np.multiply(grad, x[:, :, u::2, v::2] == out, out=d_x[:, :, u::2, v::2])
        return d_x

    @staticmethod
    def _conv(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> tuple[Any, Any]:
        """3x3 convolution with padding 1 of (N, C, H, W): the output and the columns."""
        n, _, h, w = x.shape
        columns = HandwrittenCNN._columns(x)
        out = weight.reshape(weight.shape[0], -1) @ columns + bias[:, None]
        return out.reshape(n, weight.shape[0], h, w), columns

    def loss_and_grads(self, x: np.ndarray, targets: np.ndarray) -> tuple[float, list[Any]]:
        """Forward and backward of one batch: the mean loss and the parameters' gradients."""
        n = x.shape[0]
        # forward
        a1, cols1 = self._conv(x, self.w1, self.b1)  # (N, 16, 8, 8)
        r1 = np.maximum(a1, 0)
        p1 = self._pool(r1)  # (N, 16, 4, 4)
        a2, cols2 = self._conv(p1, self.w2, self.b2)  # (N, 32, 4, 4)
        r2 = np.maximum(a2, 0)
        p2 = self._pool(r2)  # (N, 32, 2, 2)
        flat = p2.reshape(n, 128)
        logits = flat @ self.w3.T + self.b3
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        rows = np.arange(n)
        loss = float(np.mean(np.log(total[:, 0]) - shifted[rows, targets]))
        # backward
        d_logits = exp / total
        d_logits[rows, targets] -= 1
        d_logits /= n
        g_w3, g_b3 = d_logits.T @ flat, d_logits.sum(axis=0)
        d_p2 = (d_logits @ self.w3).reshape(p2.shape)
        d_a2 = (self._unpool(d_p2, r2, p2) * (a2 > 0)).reshape(n, 32, 16)
        g_w2 = (d_a2 @ cols2.transpose(0, 2, 1)).sum(axis=0).reshape(self.w2.shape)
        g_b2 = d_a2.sum(axis=(0, 2))
        d_p1 = self._add_columns(self.w2.reshape(32, 144).T @ d_a2, p1.shape)
        d_a1 = (self._unpool(d_p1, r1, p1) * (a1 > 0)).reshape(n, 16, 64)
        g_w1 = (d_a1 @ cols1.transpose(0, 2, 1)).sum(axis=0).reshape(self.w1.shape)
        g_b1 = d_a1.sum(axis=(0, 2))
        return loss, [g_w1, g_b1, g_w2, g_b2, g_w3, g_b3]

    def step(self, x: np.ndarray, targets: np.ndarray) -> float:
        """One SGD step in place (p -= lr * g); returns the loss before it."""
        loss, grads = self.loss_and_grads(x, targets)
        for param, grad in zip(self.parameters(), grads):
            grad *= self.lr
            param -= grad
        return loss
