"""Example 11: a transformer that learns an algorithm: sorting short digit sequences.

A GPT learns to continue text; here the "text" is a digit sequence followed by the same
digits in sorted order, and the network has to learn the sorting algorithm from examples
alone. With length n = 6 and digits 0-9, one training example is the 12 tokens

    input  3 1 4 1 5 9   sorted  1 1 3 4 5 9

The model is a decoder-only transformer (GPT-style) reading the tokens left to right. It
sees the 11 tokens `3 1 4 1 5 9 1 1 3 4 5` and at every position predicts the next one,
but only the last six predictions are scored: the positions holding the last input digit
and the sorted digits so far must predict `1 1 3 4 5 9`. Predicting the input digits
themselves would be guessing random numbers; those positions carry no loss (minGPT's
sorting demo uses the same layout).

The network (all `nn` layers):

    token embedding E[x_t] + position embedding P[t]              (N, T, d)
    2 pre-norm blocks:  x = x + attention(LayerNorm(x))          causal, 4 heads
                        x = x + MLP(LayerNorm(x))                 d -> 4d -> d, GELU
    LayerNorm, then a Linear layer to 10 logits per position

Causal self-attention lets position t look at positions <= t only. In one head,

    weights = softmax(q_t . k_s / sqrt(head_dim)) over s <= t,     out_t = sum_s weights_ts v_s

so a query can *search* the input: "find the smallest digit greater than the one I just
wrote, which I have not written yet". To see whether it does, the script measures for
every head how much of the scored positions' attention falls on the input position(s)
holding the digit they must write next (1 for a head that does only that), and draws the
pattern of the head that scores highest on one held-out sequence of distinct digits (rows:
the query, the position predicting; columns: the keys it attends to; red boxes: where the
next digit sits), beside a bar chart of every head's score. The second block's heads score
about twice the first block's: the search happens mostly there.

The loss is the cross-entropy of the 6 scored positions, minimised with AdamW in
mini-batches of fresh random sequences, with the learning rate decaying linearly to zero.
A fixed set of held-out sequences is drawn first and never used for training: every
training batch is drawn from the sequences not in that set (the script checks the
overlap is empty). At the end the model writes the sorted part itself, greedily (the most
likely digit at each step, fed back as the next input), and a sequence counts as right
only when all six digits are right (exact match).

Needs matplotlib for the picture:  pip install -e ".[examples]"
(without it the script stops with exit status 2 before training).

Run:  python examples/11_sorting_transformer.py [--quick] [--out DIR]
Quick mode (also AUTOGRAD_LITE_QUICK=1) trains 100 steps instead of 600 and holds out 500
sequences instead of 5,000, for the test suite.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

import nn
from autograd_lite import Tensor, no_grad

OUT_DIR = Path(__file__).resolve().parent.parent / "out"
INSTALL_HINT = 'pip install -e ".[examples]"'
DTYPE = np.float32  # half the memory traffic of float64; plenty for this task


class Block(nn.Module):
    """A pre-norm transformer block: x + attention(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, width: int, heads: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(width, dtype=DTYPE)
        self.attn = nn.MultiheadAttention(width, heads, batch_first=True, dtype=DTYPE)
        self.norm2 = nn.LayerNorm(width, dtype=DTYPE)
        self.mlp = nn.Sequential(
            nn.Linear(width, 4 * width, dtype=DTYPE),
            nn.GELU(approximate="tanh"),
            nn.Linear(4 * width, width, dtype=DTYPE),
        )
        self.keep_weights = False  # set to True to keep each head's attention pattern
        self.weights: np.ndarray | None = None

    def forward(self, x: Tensor) -> Tensor:
        h = self.norm1(x)
        length = x.shape[1]
        future = np.triu(np.ones((length, length), dtype=bool), k=1)  # True: may not attend
        out, weights = self.attn(
            h,
            h,
            h,
            attn_mask=future,
            need_weights=self.keep_weights,
            average_attn_weights=False,  # (N, heads, T, T): one pattern per head
            is_causal=True,
        )
        if weights is not None:
            self.weights = weights.numpy()
        x = x + out
        return x + self.mlp(self.norm2(x))


class Sorter(nn.Module):
    """Token and position embeddings, pre-norm blocks, a final norm and the logits."""

    def __init__(self, digits: int, context: int, width: int, heads: int, layers: int) -> None:
        super().__init__()
        self.tokens = nn.Embedding(digits, width, dtype=DTYPE)
        self.positions = nn.Embedding(context, width, dtype=DTYPE)
        self.blocks = nn.ModuleList([Block(width, heads) for _ in range(layers)])
        self.norm = nn.LayerNorm(width, dtype=DTYPE)
        self.head = nn.Linear(width, digits, dtype=DTYPE)

    def forward(self, tokens: np.ndarray, first_scored: int = 0) -> Tensor:
        """Logits (N, T - first_scored, digits) for tokens (N, T): only the scored positions."""
        x = self.tokens(tokens) + self.positions(np.arange(tokens.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x[:, first_scored:]))


def codes(sequences: np.ndarray, digits: int) -> np.ndarray:
    """Each sequence as one integer (its digits read in base ``digits``), to compare sets."""
    return sequences @ (digits ** np.arange(sequences.shape[1]))


def draw_sequences(
    rng: np.random.Generator, count: int, length: int, digits: int, avoid: np.ndarray
) -> np.ndarray:
    """``count`` uniform random sequences, none of whose codes is in ``avoid``."""
    kept = np.empty((0, length), dtype=np.int64)
    while len(kept) < count:
        batch = rng.integers(0, digits, size=(count, length))
        kept = np.concatenate([kept, batch[~np.isin(codes(batch, digits), avoid)]])
    return kept[:count]


def with_answers(sequences: np.ndarray) -> np.ndarray:
    """Each sequence followed by its sorted digits: (N, 2n)."""
    return np.concatenate([sequences, np.sort(sequences, axis=1)], axis=1)


def sort_greedily(model: Sorter, sequences: np.ndarray, chunk: int = 1000) -> np.ndarray:
    """The model's sorted sequences: one digit at a time, each fed back (greedy decoding)."""
    length = sequences.shape[1]
    answers = []
    with no_grad():
        for start in range(0, len(sequences), chunk):
            tokens = sequences[start : start + chunk]
            for _ in range(length):
                logits = model(tokens, first_scored=tokens.shape[1] - 1).numpy()
                tokens = np.concatenate([tokens, logits[:, -1].argmax(axis=1)[:, None]], axis=1)
            answers.append(tokens[:, length:])
    return np.concatenate(answers)


def exact_match(model: Sorter, sequences: np.ndarray) -> float:
    """The fraction of sequences whose every sorted digit the model writes correctly."""
    answers = sort_greedily(model, sequences)
    return float((answers == np.sort(sequences, axis=1)).all(axis=1).mean())


def next_digit_attention(model: Sorter, sequences: np.ndarray) -> np.ndarray:
    """For each block and head, the mean attention the scored positions put on the input
    positions holding the digit they must write next: (layers, heads), each in [0, 1].

    A head that has learned "find the next digit" scores near 1; one doing something else
    (counting, copying its own position) scores lower.
    """
    length = sequences.shape[1]
    tokens = with_answers(sequences)
    for block in model.blocks:
        block.keep_weights = True
    try:
        with no_grad():
            model(tokens[:, :-1])
    finally:
        for block in model.blocks:
            block.keep_weights = False
    # target[i, r, s]: input position s holds the digit that scored row r must write
    target = tokens[:, None, :length] == tokens[:, length:, None]  # (N, n, n)
    scores = []
    for block in model.blocks:
        assert block.weights is not None
        rows = block.weights[:, :, length - 1 :, :length]  # (N, heads, n, n): rows -> inputs
        scores.append((rows * target[:, None]).sum(axis=-1).mean(axis=(0, 2)))
    return np.array(scores)


def draw_attention(
    model: Sorter, sequence: np.ndarray, scores: np.ndarray, path: Path, plt: Any
) -> tuple[int, int]:
    """Write the pattern of the head with the highest score on ``sequence``, beside every
    head's score, to ``path``; return that head as (block, head), counted from 0."""
    block_index, head = (int(i) for i in np.unravel_index(scores.argmax(), scores.shape))
    length = len(sequence)
    tokens = with_answers(sequence[None])
    block = model.blocks[block_index]
    block.keep_weights = True
    try:
        with no_grad():
            model(tokens[:, :-1])
    finally:
        block.keep_weights = False
    assert block.weights is not None
    pattern = block.weights[0, head]  # (T, T)
    labels = [str(d) for d in tokens[0, :-1]]

    figure, (left, right) = plt.subplots(
        1, 2, figsize=(10, 4.6), gridspec_kw={"width_ratios": [1.3, 1]}
    )
    left.imshow(pattern, cmap="Blues", vmin=0.0, vmax=1.0)
    left.set_xticks(range(len(labels)), labels)
    left.set_yticks(range(len(labels)), labels)
    left.axhline(length - 1.5, color="tab:orange", linewidth=1)  # below: the scored rows
    left.axvline(length - 0.5, color="tab:orange", linewidth=1)  # left of it: the input
    for row in range(length):  # outline where the digit to write next sits in the input
        for column in np.flatnonzero(sequence == tokens[0, length + row]):
            left.add_patch(
                plt.Rectangle(
                    (column - 0.5, length - 1 + row - 0.5), 1, 1, fill=False, color="tab:red"
                )
            )
    left.set_xlabel("key: the token attended to")
    left.set_ylabel("query: the token predicting the next one")
    left.set_title(f"block {block_index + 1}, head {head + 1} (red: the digit to write next)")

    width = 0.8 / len(scores)
    heads = np.arange(scores.shape[1])
    for index, row_scores in enumerate(scores):
        right.bar(heads + index * width, row_scores, width, label=f"block {index + 1}")
    right.set_xticks(heads + width * (len(scores) - 1) / 2, [f"head {h + 1}" for h in heads])
    right.set_ylim(0, 1)
    right.set_ylabel("attention on the next digit's position")
    right.set_title("every head, mean over held-out sequences")
    right.legend()
    figure.suptitle(f"A transformer sorting {' '.join(labels[:length])}")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return block_index, head


def one_blas_thread() -> contextlib.AbstractContextManager[object]:
    """One BLAS thread for NumPy's matrix products inside the ``with`` block: on matrices
    this small a second thread gains little, and on a busy 2-core machine the threads wait
    for each other (training steps measured 6 to 100 times slower). threadpoolctl comes with
    scikit-learn (the examples extra); without it nothing changes."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


def train(
    model: Sorter,
    rng: np.random.Generator,
    test_codes: np.ndarray,
    steps: int,
    batch_size: int,
    lr: float,
    length: int,
    digits: int,
) -> tuple[list[float], int]:
    """Minimise the cross-entropy of the sorted half on fresh batches; (losses, overlap),
    where overlap counts training sequences that are in the held-out set (it must stay 0)."""
    optimizer = nn.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    schedule = nn.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0 - step / steps)
    loss_fn = nn.CrossEntropyLoss()
    losses: list[float] = []
    overlap = 0
    start = time.perf_counter()
    for step in range(steps):
        batch = draw_sequences(rng, batch_size, length, digits, avoid=test_codes)
        overlap += int(np.isin(codes(batch, digits), test_codes).sum())
        tokens = with_answers(batch)
        logits = model(tokens[:, :-1], first_scored=length - 1)  # (N, n, digits)
        loss = loss_fn(logits.reshape(-1, digits), tokens[:, length:].reshape(-1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        losses.append(loss.item())
        if step % max(1, steps // 10) == 0 or step == steps - 1:
            recent = float(np.mean(losses[-20:]))
            print(f"step {step:5d}  loss {recent:.4f}  ({time.perf_counter() - start:.0f} s)")
    return losses, overlap


def main(
    quick: bool | None = None,
    out_dir: str | Path = OUT_DIR,
    length: int = 6,
    digits: int = 10,
    width: int = 48,
    heads: int = 4,
    layers: int = 2,
    steps: int | None = None,
    batch_size: int = 64,
    lr: float = 3e-3,
    held_out: int | None = None,
    seed: int = 0,
) -> dict[str, Any]:
    """Train the sorter, report its held-out exact-match accuracy, draw one head's pattern."""
    if quick is None:
        quick = os.environ.get("AUTOGRAD_LITE_QUICK") == "1"
    if steps is None:
        steps = 100 if quick else 600
    if held_out is None:
        held_out = 500 if quick else 5000
    try:
        import matplotlib

        matplotlib.use("Agg")  # draw to a file, no window needed
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"This example needs matplotlib for its picture: {INSTALL_HINT}", file=sys.stderr)
        raise SystemExit(2) from None

    rng = np.random.default_rng(seed)
    test = draw_sequences(rng, held_out, length, digits, avoid=np.empty(0, dtype=np.int64))
    test_codes = codes(test, digits)
    nn.manual_seed(seed)
    model = Sorter(digits, 2 * length - 1, width, heads, layers)
    print(f"sorting {length} digits 0-{digits - 1}; {held_out} held-out sequences")
    with one_blas_thread():
        start = time.perf_counter()
        losses, overlap = train(model, rng, test_codes, steps, batch_size, lr, length, digits)
        seconds = time.perf_counter() - start
        accuracy = exact_match(model, test)
        fresh = draw_sequences(rng, held_out, length, digits, avoid=test_codes)
        train_accuracy = exact_match(model, fresh)
        scores = next_digit_attention(model, test[:500])
        distinct = [s for s in test if len(set(s.tolist())) == length]
        example = distinct[0] if distinct else test[0]
        picture = Path(out_dir) / "sorting_attention.png"
        block, head = draw_attention(model, example, scores, picture, plt)

    print(f"trained {steps} steps of {batch_size} sequences in {seconds:.1f} s")
    print(f"held-out sequences seen in training: {overlap}")
    print(f"exact match (greedy): {accuracy:.2%} on the {held_out} held-out sequences")
    print(f"exact match (greedy): {train_accuracy:.2%} on {held_out} new training-set sequences")
    print("attention of the sorted half on the input digit it writes next, per head:")
    for index, row in enumerate(scores):
        print(f"  block {index + 1}: " + "  ".join(f"{value:.2f}" for value in row))
    print(f"block {block + 1}, head {head + 1}'s pattern written to {picture}")
    return {
        "accuracy": accuracy,
        "train_accuracy": train_accuracy,
        "losses": losses,
        "seconds": seconds,
        "overlap": overlap,
        "test": test,
        "scores": scores,
        "head": (block, head),
        "picture": picture,
        "model": model,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps (for the tests)")
    parser.add_argument("--out", default=OUT_DIR, help="directory for the picture")
    arguments = parser.parse_args()
    main(quick=True if arguments.quick else None, out_dir=arguments.out)
