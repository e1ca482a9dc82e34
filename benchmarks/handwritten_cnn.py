"""The benchmark CNN written by hand in NumPy: im2col forward, backward and SGD, no engine.

Conv2d(1, 16, 3, p=1) - ReLU - MaxPool2d(2) - Conv2d(16, 32, 3, p=1) - ReLU - MaxPool2d(2)
- Flatten - Linear(128, 10), softmax cross-entropy (mean), SGD. This is the floor an
engine's CNN step is held against: what someone who knows NumPy would write for this one
network. Activations are kept channels-last (N, H, W, C), so each convolution is one
window view, one copy into the im2col matrix (N*H*W rows, C*3*3 columns in PyTorch's
weight order) and one matrix product; its input gradient adds the 9 kernel offsets' slices
back; max pooling is a reshape and a max, its backward a mask of the first maximum.
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
        """im2col of a channels-last (N, H, W, C) input, padding 1, 3x3 windows:
        (N*H*W, C*9) with columns in the weight's (C, KH, KW) order."""
        n, h, w, c = x.shape
        padded = np.zeros((n, h + 2, w + 2, c), x.dtype)
        padded[:, 1:-1, 1:-1] = x
        windows = sliding_window_view(padded, (3, 3), axis=(1, 2))  # (N, H, W, C, 3, 3)
        return windows.reshape(n * h * w, c * 9)  # the one copy

    @staticmethod
    def _add_columns(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        """col2im: the gradient of `_columns`' input, each window offset added back."""
        n, h, w, c = shape
        windows = grad.reshape(n, h, w, c, 3, 3)
        padded = np.zeros((n, h + 2, w + 2, c), grad.dtype)
        for u in range(3):
            for v in range(3):
                padded[:, u : u + h, v : v + w] += windows[..., u, v]
        return padded[:, 1:-1, 1:-1]

    @staticmethod
    def _pool(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """2x2 max pooling of (N, H, W, C): the result and the mask of each window's first
        maximum (in row-major order, as PyTorch picks it), shaped (N, H/2, 2, W/2, 2, C)."""
        n, h, w, c = x.shape
        blocks = x.reshape(n, h // 2, 2, w // 2, 2, c).transpose(0, 1, 3, 5, 2, 4)
        blocks = blocks.reshape(n, h // 2, w // 2, c, 4)
        first = blocks.argmax(axis=-1)
        mask = np.arange(4) == first[..., None]  # (N, H/2, W/2, C, 4)
        mask = mask.reshape(n, h // 2, w // 2, c, 2, 2).transpose(0, 1, 4, 2, 5, 3)
        return np.take_along_axis(blocks, first[..., None], -1)[..., 0], mask

    def loss_and_grads(self, x: np.ndarray, targets: np.ndarray) -> tuple[float, list[Any]]:
        """Forward and backward of one batch: the mean loss and the parameters' gradients."""
        n = x.shape[0]
        # forward
        cols1 = self._columns(x.reshape(n, 8, 8, 1))
        a1 = cols1 @ self.w1.reshape(16, 9).T + self.b1  # (N*64, 16)
        r1 = np.maximum(a1, 0).reshape(n, 8, 8, 16)
        p1, mask1 = self._pool(r1)  # (N, 4, 4, 16)
        cols2 = self._columns(p1)
        a2 = cols2 @ self.w2.reshape(32, 144).T + self.b2  # (N*16, 32)
        r2 = np.maximum(a2, 0).reshape(n, 4, 4, 32)
        p2, mask2 = self._pool(r2)  # (N, 2, 2, 32)
        flat = p2.transpose(0, 3, 1, 2).reshape(n, 128)  # PyTorch's (C, H, W) order
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
        d_p2 = (d_logits @ self.w3).reshape(n, 32, 2, 2).transpose(0, 2, 3, 1)
        d_r2 = (mask2 * d_p2[:, :, None, :, None, :]).reshape(n * 16, 32)
        d_a2 = d_r2 * (a2 > 0)
        g_w2, g_b2 = (d_a2.T @ cols2).reshape(self.w2.shape), d_a2.sum(axis=0)
        d_p1 = self._add_columns(d_a2 @ self.w2.reshape(32, 144), p1.shape)
        d_r1 = (mask1 * d_p1[:, :, None, :, None, :]).reshape(n * 64, 16)
        d_a1 = d_r1 * (a1 > 0)
        g_w1, g_b1 = (d_a1.T @ cols1).reshape(self.w1.shape), d_a1.sum(axis=0)
        return loss, [g_w1, g_b1, g_w2, g_b2, g_w3, g_b3]

    def step(self, x: np.ndarray, targets: np.ndarray) -> float:
        """One SGD step in place (p -= lr * g); returns the loss before it."""
        loss, grads = self.loss_and_grads(x, targets)
        for param, grad in zip(self.parameters(), grads):
            grad *= self.lr
            param -= grad
        return loss
