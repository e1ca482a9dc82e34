"""Recurrent and attention layers: one Adam training step, autograd_lite against PyTorch CPU.

Two models, each timed for a full step (zero_grad, forward, cross-entropy, backward, Adam):

- ``lstm``: LSTM(16 -> 64) over 32 time steps, batch 32; the last hidden state goes through
  Linear(64, 10).
- ``gpt``: two pre-norm transformer blocks (E=64, 4 heads, causal self-attention, MLP 4E with
  tanh-GELU), sequence 32, batch 16; the last position goes through Linear(64, 10). The norm
  is a parameter-free layer normalisation written with Tensor ops on both sides.

PyTorch (when importable) runs at one thread with the same weights; before timing, the two
losses and every parameter's gradient are compared, so the timed work is the same work.
Run: ``python -m benchmarks.layers_rnn [--quick] [--threads N]`` (without threadpoolctl,
set OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 first). Not part of the
test suite.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import nn
from autograd_lite import Tensor

from .common import Config, compare, format_table, format_time

CLASSES = 10


# ---------------------------------------------------------------- the models, ours
class LSTMClassifier(nn.Module):
    def __init__(self, dtype: Any) -> None:
        super().__init__()
        self.lstm = nn.LSTM(16, 64, dtype=dtype)
        self.head = nn.Linear(64, CLASSES, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        _, (h_n, _) = self.lstm(x)
        return self.head(h_n[-1])


def norm(x: Tensor, eps: float = 1e-5) -> Tensor:
    """Layer normalisation over the last axis, without scale and shift."""
    centred = x - x.mean(axis=-1, keepdims=True)
    return centred / ((centred * centred).mean(axis=-1, keepdims=True) + eps).sqrt()


class Block(nn.Module):
    def __init__(self, embed: int, heads: int, dtype: Any) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(embed, heads, batch_first=True, dtype=dtype)
        self.mlp = nn.Sequential(
            nn.Linear(embed, 4 * embed, dtype=dtype),
            nn.GELU(approximate="tanh"),
            nn.Linear(4 * embed, embed, dtype=dtype),
        )

    def forward(self, x: Tensor) -> Tensor:
        h = norm(x)
        x = x + self.attn(h, h, h, need_weights=False, is_causal=True)[0]
        return x + self.mlp(norm(x))


class TinyGPT(nn.Module):
    def __init__(self, dtype: Any, embed: int = 64, heads: int = 4) -> None:
        super().__init__()
        self.blocks = nn.Sequential(Block(embed, heads, dtype), Block(embed, heads, dtype))
        self.head = nn.Linear(embed, CLASSES, dtype=dtype)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(norm(self.blocks(x))[:, -1])


# ---------------------------------------------------------------- the same in PyTorch
def torch_models(torch: Any) -> dict[str, Callable[[], Any]]:
    tnn = torch.nn

    class TorchLSTM(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm, self.head = tnn.LSTM(16, 64), tnn.Linear(64, CLASSES)

        def forward(self, x: Any) -> Any:
            return self.head(self.lstm(x)[1][0][-1])

    def torch_norm(x: Any, eps: float = 1e-5) -> Any:
        centred = x - x.mean(dim=-1, keepdim=True)
        return centred / ((centred * centred).mean(dim=-1, keepdim=True) + eps).sqrt()

    class TorchBlock(tnn.Module):
        def __init__(self, embed: int = 64, heads: int = 4) -> None:
            super().__init__()
            self.attn = tnn.MultiheadAttention(embed, heads, batch_first=True)
            self.mlp = tnn.Sequential(
                tnn.Linear(embed, 4 * embed),
                tnn.GELU(approximate="tanh"),
                tnn.Linear(4 * embed, embed),
            )

        def forward(self, x: Any) -> Any:
            h = torch_norm(x)
            length = x.shape[1]
            mask = torch.triu(torch.ones(length, length, dtype=torch.bool), 1)
            x = x + self.attn(h, h, h, need_weights=False, attn_mask=mask, is_causal=True)[0]
            return x + self.mlp(torch_norm(x))

    class TorchGPT(tnn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.blocks = tnn.Sequential(TorchBlock(), TorchBlock())
            self.head = tnn.Linear(64, CLASSES)

        def forward(self, x: Any) -> Any:
            return self.head(torch_norm(self.blocks(x))[:, -1])

    return {"lstm": TorchLSTM, "gpt": TorchGPT}


# ---------------------------------------------------------------- steps
CASES = {
    # name: (model class, input shape (full), input shape (quick))
    "lstm": (LSTMClassifier, (32, 32, 16), (8, 8, 16)),
    "gpt": (TinyGPT, (16, 32, 64), (4, 8, 64)),
}


def make_data(shape: tuple[int, ...], batch: int, dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1)
    return rng.standard_normal(shape).astype(dtype), rng.integers(0, CLASSES, size=batch)


def engine_step(model: nn.Module, x: np.ndarray, y: np.ndarray) -> Callable[[], float]:
    optimizer = nn.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def step() -> float:
        optimizer.zero_grad()
        loss = loss_fn(model(Tensor(x)), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def torch_step(torch: Any, model: Any, x: np.ndarray, y: np.ndarray) -> Callable[[], float]:
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    inputs, labels = torch.from_numpy(x), torch.from_numpy(y)

    def step() -> float:
        optimizer.zero_grad()
        loss = loss_fn(model(inputs), labels)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def check_same_work(
    torch: Any, ours: nn.Module, theirs: Any, x: np.ndarray, y: np.ndarray
) -> float:
    """The largest difference of loss and gradients between the two (one forward/backward)."""
    loss = nn.CrossEntropyLoss()(ours(Tensor(x)), y)
    loss.backward()
    their_loss = torch.nn.CrossEntropyLoss()(theirs(torch.from_numpy(x)), torch.from_numpy(y))
    their_loss.backward()
    worst = abs(loss.item() - their_loss.item())
    for p, q in zip(ours.parameters(), theirs.parameters()):
        worst = max(worst, float(np.abs(p.grad.numpy() - q.grad.numpy()).max()))
    ours.zero_grad()
    theirs.zero_grad()
    return worst


def run(config: Config, only: Sequence[str] = tuple(CASES)) -> list[list[str]]:
    try:
        import torch

        torch.set_num_threads(max(1, config.threads))
        makers = torch_models(torch)
    except ImportError:
        torch, makers = None, {}
    rows = []
    for name in only:
        model_class, full, quick = CASES[name]
        shape = quick if config.quick else full
        for dtype in (np.float32, np.float64):
            nn.manual_seed(0)
            ours = model_class(dtype)
            batch = shape[0] if name == "gpt" else shape[1]  # the LSTM is (L, N, H)
            x, y = make_data(shape, batch, dtype)
            variants = {"autograd_lite": engine_step(ours, x, y)}
            difference = "-"
            if torch is not None:
                theirs = makers[name]().to(torch.float32 if dtype == np.float32 else torch.float64)
                state = {k: torch.from_numpy(np.array(v)) for k, v in ours.state_dict().items()}
                theirs.load_state_dict(state, strict=True)
                difference = f"{check_same_work(torch, ours, theirs, x, y):.1e}"
                variants["PyTorch"] = torch_step(torch, theirs, x, y)
            timings = compare(variants, config)
            ours_time = timings["autograd_lite"].median
            row = [name, "x".join(map(str, shape)), np.dtype(dtype).name, format_time(ours_time)]
            if torch is not None:
                theirs_time = timings["PyTorch"].median
                row += [format_time(theirs_time), f"{ours_time / theirs_time:.2f}x", difference]
            rows.append(row)
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats")
    parser.add_argument("--threads", type=int, default=1, help="BLAS and torch threads")
    parser.add_argument("--only", default=",".join(CASES), help="lstm, gpt or both")
    args = parser.parse_args(argv)
    from .run import describe_blas, pin_threads

    limit, how = pin_threads(args.threads)
    if how.startswith("BLAS threads: NOT") and os.environ.get("OPENBLAS_NUM_THREADS") == str(
        args.threads
    ):
        how = f"BLAS threads: {args.threads} via OPENBLAS_NUM_THREADS set before the start"
    config = Config(quick=args.quick, threads=args.threads)
    if args.quick:
        config.repeats, config.min_time = 3, 0.02
    with limit:
        print(f"threads: {args.threads} ({how}); {describe_blas()}")
        rows = run(config, args.only.split(","))
    headers = ["model", "input", "dtype", "autograd_lite"]
    if rows and len(rows[0]) > 4:
        headers += ["PyTorch", "ours / PyTorch", "max |diff| loss, grads"]
    print(format_table(headers, rows))
    print("one training step: zero_grad, forward, cross-entropy, backward, Adam (median)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
