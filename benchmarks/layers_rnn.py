"""LSTM and GPT training steps (sections ``lstm`` and ``gpt``): autograd_lite against PyTorch.

The two sequence workloads of issue 23, each one full step (zero_grad, forward,
cross-entropy, backward, optimizer step) on a fixed batch, float32 and float64:

- ``lstm``: LSTM(16 -> 64) over 32 time steps, batch 32; the last hidden state goes through
  Linear(64, 10); Adam.
- ``gpt``: a 2-layer GPT: vocabulary 64, context 32, width 64, 4 heads, pre-norm blocks
  (LayerNorm - causal MultiheadAttention - residual, LayerNorm - Linear(64, 256) - GELU -
  Linear(256, 64) - residual), learned token and position embeddings (Embedding), a final
  LayerNorm and Linear(64, 64) to next-token logits at every position; AdamW, batch 16.

The models are written once against a layer library (``nn`` or ``torch.nn``), so both
sides run the same code; PyTorch (one thread, when importable) loads our weights, and its
loss and every gradient are checked against ours before timing. There is no hand-written
NumPy step for these two. Run: ``python -m benchmarks.run --only lstm,gpt [--quick]``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import numpy as np

import nn

from .common import Config, Section, Target, compare, format_bytes, format_time
from .memory import peak_bytes
from .training import check_against_torch, copy_into_torch, engine_step, import_torch, torch_step

CLASSES = 10
#: issue 23's limits (float32): time against PyTorch
LIMITS = {"lstm": 1.3, "gpt": 1.3}


def lstm_model(lib: Any, dtype: Any = None, inputs: int = 16, hidden: int = 64) -> Any:
    """LSTM(inputs -> hidden), its last hidden state through Linear(hidden, 10)."""
    extra = {} if dtype is None else {"dtype": dtype}

    class LSTMClassifier(lib.Module):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.lstm = lib.LSTM(inputs, hidden, **extra)
            self.head = lib.Linear(hidden, CLASSES, **extra)

        def forward(self, x: Any) -> Any:
            _, (h_n, _) = self.lstm(x)
            return self.head(h_n[-1])

    return LSTMClassifier()


def gpt_model(
    lib: Any,
    dtype: Any = None,
    vocab: int = 64,
    context: int = 32,
    width: int = 64,
    heads: int = 4,
    layers: int = 2,
    approximate: str = "none",
) -> Any:
    """A pre-norm GPT from ``lib``: token + position embeddings, ``layers`` blocks, logits.

    ``approximate="tanh"`` swaps the exact GELU for its tanh form (a what-if for the
    profile: the exact one needs erf).
    """
    extra = {} if dtype is None else {"dtype": dtype}
    torch_side = lib is not nn
    if torch_side:
        import torch

        def positions(length: int) -> Any:
            return torch.arange(length)

        def causal(length: int) -> Any:  # True: masked out (MultiheadAttention's convention)
            return torch.ones(length, length, dtype=torch.bool).triu(1)
    else:

        def positions(length: int) -> Any:
            return np.arange(length)

        def causal(length: int) -> Any:
            return np.triu(np.ones((length, length), dtype=bool), 1)

    class Block(lib.Module):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.norm1 = lib.LayerNorm(width, **extra)
            self.attn = lib.MultiheadAttention(width, heads, batch_first=True, **extra)
            self.norm2 = lib.LayerNorm(width, **extra)
            self.mlp = lib.Sequential(
                lib.Linear(width, 4 * width, **extra),
                lib.GELU(approximate=approximate),
                lib.Linear(4 * width, width, **extra),
            )

        def forward(self, x: Any) -> Any:
            h = self.norm1(x)
            mask = causal(x.shape[1])
            x = x + self.attn(h, h, h, attn_mask=mask, need_weights=False, is_causal=True)[0]
            return x + self.mlp(self.norm2(x))

    class GPT(lib.Module):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.tokens = lib.Embedding(vocab, width, **extra)
            self.positions = lib.Embedding(context, width, **extra)
            self.blocks = lib.Sequential(*[Block() for _ in range(layers)])
            self.norm = lib.LayerNorm(width, **extra)
            self.head = lib.Linear(width, vocab, **extra)

        def forward(self, tokens: Any) -> Any:
            x = self.tokens(tokens) + self.positions(positions(tokens.shape[1]))
            return self.head(self.norm(self.blocks(x)))

    return GPT()


# name: (model maker, full shape, quick shape, optimizer, flatten the logits)
CASES: dict[str, tuple[Callable[..., Any], tuple[int, ...], tuple[int, ...], str, bool]] = {
    "lstm": (lstm_model, (32, 32, 16), (6, 4, 16), "Adam", False),  # (L, N, H_in)
    "gpt": (gpt_model, (16, 32), (2, 8), "AdamW", True),  # (B, T) token ids
}


def make_data(name: str, shape: tuple[int, ...], dtype: Any) -> tuple[np.ndarray, np.ndarray]:
    """The fixed batch: LSTM inputs and classes, or GPT tokens and next tokens."""
    rng = np.random.default_rng(1)
    if name == "gpt":
        return rng.integers(0, 64, size=shape), rng.integers(0, 64, size=shape)
    return rng.standard_normal(shape).astype(dtype), rng.integers(0, CLASSES, size=shape[1])


def run_case(name: str, config: Config) -> Section:
    """Time one workload in float32 and float64 (against PyTorch when importable)."""
    maker, full, quick, optimizer_name, flatten = CASES[name]
    shape = quick if config.quick else full
    title = {"lstm": "LSTM training step (LSTM, Linear; Adam)", "gpt": "GPT training step"}
    section = Section(f"{title[name]}, input {'x'.join(map(str, shape))}")
    torch = import_torch(config.threads)
    headers = ["dtype", "autograd_lite"]
    if torch is not None:
        headers += ["PyTorch", "ours / PyTorch", "max rel. diff"]
    headers.append("peak ours")
    rows = []
    for dtype in (np.float32, np.float64):
        nn.manual_seed(0)
        ours = maker(nn, dtype)
        x, targets = make_data(name, shape, dtype)
        optimizer = getattr(nn.optim, optimizer_name)(ours.parameters(), lr=1e-3)
        variants = {"ours": engine_step(ours, optimizer, x, targets, flatten)}
        row = [np.dtype(dtype).name]
        if torch is not None:
            theirs = copy_into_torch(torch, ours, maker(torch.nn), dtype)
            difference = check_against_torch(torch, ours, theirs, x, targets, flatten)
            their_optimizer = getattr(torch.optim, optimizer_name)(theirs.parameters(), lr=1e-3)
            variants["torch"] = torch_step(torch, theirs, their_optimizer, x, targets, flatten)
        timings = compare(variants, config)
        ours_time = timings["ours"].median
        row.append(format_time(ours_time))
        if torch is not None:
            ratio = ours_time / timings["torch"].median
            row += [format_time(timings["torch"].median), f"{ratio:.2f}x", f"{difference:.1e}"]
            if dtype == np.float32 and not config.quick:  # the target is at the full sizes
                section.targets.append(
                    Target(f"{name.upper()} float32 / PyTorch", ratio, LIMITS[name])
                )
        row.append(format_bytes(peak_bytes(variants["ours"])))
        rows.append(row)
    section.tables.append((headers, rows))
    section.notes.append(
        f"median time per step (zero_grad, forward, cross-entropy, backward, {optimizer_name})"
    )
    if torch is None:
        section.notes.append("PyTorch: not importable here, its columns are skipped")
    else:
        section.notes.append(
            f"PyTorch {torch.__version__}, {torch.get_num_threads()} thread(s); loss and every "
            "gradient checked against ours first (max rel. diff)"
        )
    return section


def run_lstm(config: Config) -> Section:
    """The ``lstm`` section."""
    return run_case("lstm", config)


def run_gpt(config: Config) -> Section:
    """The ``gpt`` section."""
    return run_case("gpt", config)


def main(argv: list[str] | None = None) -> int:
    """These two sections through `benchmarks.run` (``python -m benchmarks.layers_rnn``)."""
    from . import run as suite

    return suite.main(["--only", "lstm,gpt", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    raise SystemExit(main())
