"""Example 10: first names, makemore style: a bigram table, an MLP, a GRU and a small GPT.

A character-level language model gives a probability to the next character of a name from
the characters before it. Chaining those probabilities, it gives a probability to a whole
name, and sampling from them one character at a time writes new names.

The data: the first names that the `faker` package ships for a few locales, read from the
person providers' ``first_names`` (``faker.providers.person.en_US.Provider.first_names``
...), so nothing is downloaded; faker's plain ``en`` provider brings most of them (about
6,800 US first names), the British, German, French, Italian and Spanish ones 1,650 more.
We lowercase them, keep those made only of the letters a-z, drop duplicates and sort them
(8,476 names with faker 40); then a seeded shuffle puts 10% aside for validation. No model
ever trains on those names: their loss measures what a model learned about names in
general, not what it memorised.

Tokens: the 26 letters and ``.``, which both starts and ends a name (27 tokens). The name
"emma" is read as the pairs (context -> next character)

    .    -> e,   .e   -> m,   .em  -> m,   .emm -> a,   .emma -> .

so a name of n letters gives n + 1 predictions. Every model is scored on the same pairs of
the validation names with the mean negative log-likelihood, in nats per character:

    loss = -1/M sum log p(next character | the characters before it),

which is log(27) = 3.30 for a model that guesses uniformly. Four models, each given more of
the past and a better way to use it:

(a) **Bigram counts**: p(b | a) = (count(a b) + alpha) / (count(a .) + 27 alpha), a 27x27
    table counted on the training names; alpha (add-alpha smoothing) keeps a pair never seen
    in training from getting probability 0. Only the last character is seen.
(b) **MLP** (Bengio et al. 2003): the last ``context`` characters, each looked up in an
    ``nn.Embedding`` (a learned vector per character), concatenated and passed through a
    tanh hidden layer to 27 logits.
(c) **GRU**: an ``nn.GRU`` reads the whole name so far; its hidden state after each
    character goes through a Linear layer to the logits of the next one.
(d) **GPT**: token and position embeddings, pre-norm blocks ``x + attention(LN(x))``,
    ``x + MLP(LN(x))`` with causal self-attention (each position may look only at itself and
    earlier ones: ``scaled_dot_product_attention(..., is_causal=True)``) and GELU MLPs, a final
    LayerNorm and a Linear head, as in GPT-2, in miniature.

The three networks are trained with AdamW on random mini-batches of the training set
(cross-entropy of the logits, the same quantity as the loss above), the learning rate
falling along a cosine; every ``eval_every`` steps the validation loss is measured, for the
curves of the picture. All randomness comes from seeds, so the numbers repeat. The sizes
are small so that everything runs in minutes on 2 cores; with so few names the GPT's lead
is small (a GRU of 96 units instead of 64 comes within 0.01 of it), and the GPT needs
dropout 0.2 not to memorise them.

The picture ``out/names_models.png`` has two panels: the bigram counts (row: a character,
column: the one after it, darker = more frequent; the first row is how names start, the
last column how they end), and the validation loss of the three networks during training
against the bigram table's, a level line: each network starts above it (at log(27), off
the top of the panel), falls below it in a few hundred steps and ends below the one before.

Needs faker (the names) and matplotlib (the picture):  pip install -e ".[examples]"
(without faker the script stops with exit status 2; without matplotlib it still trains and
only skips the picture).

Run:  python examples/10_names.py [--quick] [--out DIR]
      (quick mode, also AUTOGRAD_LITE_QUICK=1: shorter training, for the test suite)
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import math
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import nn
from autograd_lite import Tensor, no_grad

OUT_DIR = Path(__file__).resolve().parent.parent / "out"
INSTALL_HINT = 'pip install -e ".[examples]"'
LOCALES = ("en", "en_US", "en_GB", "de_DE", "fr_FR", "it_IT", "es_ES")
ALPHABET = ".abcdefghijklmnopqrstuvwxyz"  # token i is ALPHABET[i]; "." starts and ends names
VOCAB = len(ALPHABET)
IGNORE = -100  # target of a padding position: CrossEntropyLoss leaves it out
DTYPE = np.float32  # float32 halves the time of the matrix products; plenty for this
Pairs = tuple[np.ndarray, np.ndarray]  # (inputs, targets) of one set of names
Curve = list[tuple[int, float]]  # (training step, validation loss)
Plan = tuple[int, int, float]  # training steps, batch size, learning rate
NextProbs = Callable[[np.ndarray], np.ndarray]  # (N, t) prefixes -> (N, 27) probabilities


def load_names(locales: tuple[str, ...] = LOCALES) -> list[str]:
    """The faker first names of ``locales``: lowercase, a-z only, unique, sorted (or an
    ImportError when faker is not installed)."""
    from faker.providers import person  # the ImportError that says faker is missing

    names: set[str] = set()
    for locale in locales:
        provider = importlib.import_module(f"{person.__name__}.{locale}").Provider
        lowered = (name.lower() for name in provider.first_names)  # a tuple, or a dict (en_US)
        names |= {name for name in lowered if name.isascii() and name.isalpha()}  # no é, ß, -
    return sorted(names)


def split_names(names: list[str], fraction: float, seed: int) -> tuple[list[str], list[str]]:
    """(train, validation): a seeded shuffle, ``fraction`` of the names for validation."""
    order = np.random.default_rng(seed).permutation(len(names))
    count = round(fraction * len(names))
    return [names[i] for i in order[count:]], [names[i] for i in order[:count]]


def encode(names: list[str], length: int) -> tuple[np.ndarray, np.ndarray]:
    """(inputs, targets), both (N, length) integers: ".emma" -> "emma.", the inputs padded
    with "." (0) and the targets with IGNORE, so a padding position costs nothing (and a
    causal model never lets a padding position change an earlier one)."""
    inputs = np.zeros((len(names), length), dtype=np.int64)
    targets = np.full((len(names), length), IGNORE, dtype=np.int64)
    for row, name in enumerate(names):
        ids = [ALPHABET.index(c) for c in name]
        inputs[row, 1 : len(ids) + 1] = ids
        targets[row, : len(ids) + 1] = ids + [0]
    return inputs, targets


def windows(inputs: np.ndarray, targets: np.ndarray, context: int) -> tuple[np.ndarray, ...]:
    """(contexts (M, context), next (M,)): the last ``context`` tokens before every target,
    padded with "." before the start: the same M pairs, in the same order, that the sequence
    models are scored on."""
    padded = np.concatenate([np.zeros((len(inputs), context - 1), np.int64), inputs], axis=1)
    every = np.lib.stride_tricks.sliding_window_view(padded, context, axis=1)  # (N, L, context)
    keep = targets != IGNORE
    return every[keep], targets[keep]


class BigramCounts:
    """p(next | last) from a 27x27 table of counts with add-alpha smoothing."""

    def __init__(self, contexts: np.ndarray, following: np.ndarray, alpha: float) -> None:
        self.counts = np.zeros((VOCAB, VOCAB), dtype=np.int64)  # contexts: (M, 1) tokens
        np.add.at(self.counts, (contexts[:, 0], following), 1)
        smoothed = self.counts + alpha
        self.probs = smoothed / smoothed.sum(axis=1, keepdims=True)

    def loss(self, contexts: np.ndarray, following: np.ndarray) -> float:
        """The mean negative log-likelihood of ``following`` after ``contexts`` (M, 1)."""
        return float(-np.log(self.probs[contexts[:, 0], following]).mean())


def context_mlp(context: int, embed: int, hidden: int) -> nn.Sequential:
    """Bengio et al. 2003: embed the last ``context`` characters, concatenate, tanh layer."""
    return nn.Sequential(
        nn.Embedding(VOCAB, embed, dtype=DTYPE),  # (B, context) -> (B, context, embed)
        nn.Flatten(),  # (B, context * embed): the characters' vectors side by side
        nn.MLP([context * embed, hidden, VOCAB], activation=nn.Tanh, dtype=DTYPE),  # (B, 27)
    )


class GRUModel(nn.Module):
    """Embedding -> GRU -> Linear: the logits of the next character after every prefix."""

    def __init__(self, embed: int, hidden: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(VOCAB, embed, dtype=DTYPE)
        self.gru = nn.GRU(embed, hidden, batch_first=True, dtype=DTYPE)
        self.head = nn.Linear(hidden, VOCAB, dtype=DTYPE)

    def forward(self, inputs: np.ndarray) -> Tensor:  # (N, L) -> (N, L, 27)
        return self.head(self.gru(self.embedding(inputs))[0])  # the GRU's states (N, L, hidden)


class Block(nn.Module):
    """Pre-norm transformer block: x + attention(LN(x)), then x + MLP(LN(x))."""

    def __init__(self, embed: int, heads: int, dropout: float) -> None:
        super().__init__()
        self.heads, self.dropout = heads, dropout
        self.norm1 = nn.LayerNorm(embed, dtype=DTYPE)
        self.qkv = nn.Linear(embed, 3 * embed, dtype=DTYPE)  # queries, keys, values at once
        self.proj = nn.Linear(embed, embed, dtype=DTYPE)
        self.norm2 = nn.LayerNorm(embed, dtype=DTYPE)
        mlp = nn.MLP([embed, 4 * embed, embed], activation=nn.GELU, dtype=DTYPE)
        self.mlp = nn.Sequential(mlp, nn.Dropout(dropout))  # Linear, GELU, Linear, Dropout

    def attention(self, x: Tensor) -> Tensor:
        n, length, embed = x.shape
        # (N, L, 3E) -> (3, N, heads, L, E / heads): one (L, L) attention per head
        qkv = self.qkv(x).reshape(n, length, 3, self.heads, embed // self.heads)
        q, k, v = (qkv[:, :, i].transpose(0, 2, 1, 3) for i in range(3))
        p = self.dropout if self.training else 0.0
        mixed = nn.functional.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
        return self.proj(mixed.transpose(0, 2, 1, 3).reshape(n, length, embed))

    def forward(self, x: Tensor) -> Tensor:
        x = x + self.attention(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class GPT(nn.Module):
    """Token + position embeddings, ``layers`` blocks, a final LayerNorm, a Linear head."""

    def __init__(self, length: int, embed: int, heads: int, layers: int, dropout: float) -> None:
        super().__init__()
        self.tokens = nn.Embedding(VOCAB, embed, dtype=DTYPE)
        self.positions = nn.Embedding(length, embed, dtype=DTYPE)
        self.blocks = nn.Sequential(*(Block(embed, heads, dropout) for _ in range(layers)))
        self.norm = nn.LayerNorm(embed, dtype=DTYPE)
        self.head = nn.Linear(embed, VOCAB, dtype=DTYPE)

    def forward(self, inputs: np.ndarray) -> Tensor:  # (N, L) -> (N, L, 27)
        x = self.tokens(inputs) + self.positions(np.arange(inputs.shape[1]))  # (N, L, E)
        return self.head(self.norm(self.blocks(x)))


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


# Each network: class, sizes, (steps, batch, lr) with the defaults and in quick mode.
NETWORKS: dict[str, tuple[Any, dict[str, Any], Plan, Plan]] = {
    "mlp": (context_mlp, dict(context=4, embed=16, hidden=128), (8000, 64, 3e-3), (1000, 64, 5e-3)),
    "gru": (GRUModel, dict(embed=16, hidden=64), (2500, 32, 5e-3), (300, 32, 1e-2)),
    "gpt": (GPT, dict(embed=64, heads=4, layers=2, dropout=0.2), (2500, 32, 5e-3), (150, 32, 1e-2)),
}


def mean_loss(model: nn.Module, inputs: np.ndarray, targets: np.ndarray) -> Tensor:
    """Cross-entropy per predicted character (padding left out)."""
    logits = model(inputs).reshape(-1, VOCAB)
    return nn.functional.cross_entropy(logits, targets.reshape(-1), ignore_index=IGNORE)


def train(
    model: nn.Module, data: Pairs, validation: Pairs, plan: Plan, eval_every: int, seed: int
) -> tuple[Curve, float]:
    """AdamW with plan = (steps, batch, lr); returns [(step, validation loss)] and seconds."""
    steps, batch, lr = plan
    rng = np.random.default_rng(seed)
    optimizer = nn.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    schedule = nn.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps, eta_min=lr / 20)
    curve = [(0, evaluate(model, validation))]
    start = time.perf_counter()
    with one_blas_thread():
        for step in range(1, steps + 1):
            rows = rng.integers(0, len(data[0]), size=batch)
            inputs, targets = data[0][rows], data[1][rows]
            if targets.ndim == 2:  # names: cut the padding after the batch's longest name
                width = int((targets != IGNORE).sum(axis=1).max())
                inputs, targets = inputs[:, :width], targets[:, :width]
            loss = mean_loss(model, inputs, targets)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            schedule.step()
            if step % eval_every == 0 or step == steps:
                curve.append((step, evaluate(model, validation)))
    return curve, time.perf_counter() - start


def evaluate(model: nn.Module, validation: Pairs) -> float:
    """Validation loss in nats per character (eval mode: no dropout)."""
    model.eval()
    with no_grad():
        loss = mean_loss(model, *validation).item()
    model.train()
    return loss


def sample(next_probs: NextProbs, count: int, length: int, seed: int) -> list[str]:
    """``count`` names drawn one character at a time, each up to its first "."."""
    rng = np.random.default_rng(seed)
    prefixes = np.zeros((count, 1), dtype=np.int64)  # every name starts with "."
    for _ in range(length):  # draw from the cumulative probabilities with a uniform number
        drawn = (next_probs(prefixes).cumsum(axis=1) < rng.random((count, 1))).sum(axis=1)
        prefixes = np.concatenate([prefixes, np.minimum(drawn, VOCAB - 1)[:, None]], axis=1)
    return ["".join(ALPHABET[i] for i in row[1:]).split(".")[0] for row in prefixes]


def network_probs(model: nn.Module, context: int | None) -> NextProbs:
    """next_probs for a network: the softmax of its logits after the last character (the MLP
    reads only the last ``context`` characters, padded with ".")."""

    def probs(prefixes: np.ndarray) -> np.ndarray:
        prefixes = np.pad(prefixes, ((0, 0), (context, 0)))[:, -context:] if context else prefixes
        model.eval()
        with no_grad():  # the MLP's logits are (N, 27), the others' (N, t, 27): keep the last
            logits = model(prefixes).reshape(len(prefixes), -1, VOCAB)[:, -1]
        return logits.softmax(axis=-1).numpy().astype(np.float64)

    return probs


def draw(bigram: BigramCounts, level: float, curves: dict[str, Curve], path: Path) -> bool:
    """The bigram counts and the validation curves, to ``path``; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # draw to a file, no window needed
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 5))
    left.imshow(np.log1p(bigram.counts), cmap="Blues")
    left.set_xticks(range(VOCAB), list(ALPHABET))
    left.set_yticks(range(VOCAB), list(ALPHABET))
    left.set(xlabel="next character", ylabel="character", title="bigram counts (log scale)")
    for name, curve in curves.items():
        steps, losses = zip(*curve)
        right.plot(steps, losses, marker=".", label=f"{name}: {losses[-1]:.3f}")
    right.axhline(level, color="grey", linestyle="--", label=f"bigram counts: {level:.3f}")
    lowest = min(loss for curve in curves.values() for _, loss in curve)
    right.set_ylim(lowest - 0.05, level + 0.25)  # the first steps, near log(27), are above
    right.set(xlabel="training step", ylabel="validation loss (nats per character)")
    right.set_title("validation loss while training")
    right.legend()
    right.grid(True, alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(figure)
    return True


def main(
    quick: bool | None = None,
    out_dir: str | Path = OUT_DIR,
    locales: tuple[str, ...] = LOCALES,
    validation_fraction: float = 0.1,
    alpha: float = 1.0,
    samples: int = 6,
    eval_every: int = 100,
    seed: int = 0,
) -> dict[str, Any]:
    """Fit the four models, print their table and samples, draw the picture (if matplotlib is
    there); quick=None reads AUTOGRAD_LITE_QUICK. Returns {"models": {name: {"loss", "seconds",
    "samples"}}, "curves": {network: [(step, validation loss)]}, "picture": path or None}."""
    quick = os.environ.get("AUTOGRAD_LITE_QUICK") == "1" if quick is None else quick
    try:
        names = load_names(locales)
    except ImportError:
        print(f"This example needs faker for its names: {INSTALL_HINT}", file=sys.stderr)
        raise SystemExit(2) from None
    train_names, validation_names = split_names(names, validation_fraction, seed)
    length = max(len(name) for name in names) + 1  # the longest name and its end
    data, validation = encode(train_names, length), encode(validation_names, length)
    print(
        f"{len(names)} names from faker {', '.join(locales)}: {len(train_names)} to train, "
        f"{len(validation_names)} for validation ({(validation[1] != IGNORE).sum()} characters)"
    )

    results: dict[str, dict[str, Any]] = {}
    start = time.perf_counter()
    bigram = BigramCounts(*windows(*data, 1), alpha)  # contexts of one character
    results["bigram"] = dict(
        loss=bigram.loss(*windows(*validation, 1)),
        seconds=time.perf_counter() - start,
        samples=sample(lambda p: bigram.probs[p[:, -1]], samples, length, seed),
    )

    curves: dict[str, Curve] = {}
    for name, (network, sizes, full, short) in NETWORKS.items():
        nn.manual_seed(seed)  # the same starting weights on every run
        model = network(length=length, **sizes) if network is GPT else network(**sizes)
        context = sizes.get("context")  # the MLP sees windows, the others whole names
        pairs = [windows(*part, context) if context else part for part in (data, validation)]
        curve, seconds = train(model, *pairs, short if quick else full, eval_every, seed)
        curves[name.upper()] = curve
        samples_drawn = sample(network_probs(model, context), samples, length, seed)
        results[name] = dict(loss=curve[-1][1], seconds=seconds, samples=samples_drawn)

    print(f"\n{'model':<8} {'validation loss':>16} {'seconds':>8}  samples")
    for name, r in results.items():
        print(f"{name:<8} {r['loss']:>16.4f} {r['seconds']:>8.1f}  {' '.join(r['samples'])}")
    print(f"(uniform guessing: log(27) = {math.log(VOCAB):.4f} nats per character)")

    picture = Path(out_dir) / "names_models.png"
    if draw(bigram, results["bigram"]["loss"], curves, picture):
        print(f"picture written to {picture}")
    else:
        print(f"no picture: matplotlib is missing; install it with  {INSTALL_HINT}")
        picture = None
    return {"models": results, "curves": curves, "picture": picture}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short training (the tests' mode)")
    parser.add_argument("--out", default=OUT_DIR, help="folder for the picture (default out/)")
    arguments = parser.parse_args()
    main(quick=arguments.quick or None, out_dir=arguments.out)
