"""The worked examples of the source documents, written with `Value`s and document names.

Used by the demo, the examples and the tests, so every place builds the same networks:

- `chain_001`: one input, two sigmoid neurons in a row (document 001), with the starting
  values that reproduce its tables (its pictures are lost).
- `network_222`: the 2-2-2 sigmoid network of document 002, one bias shared by both hidden
  neurons (b1 = 0.35, the value every computed number uses; the overview's 0.3 is a typo)
  and one shared by both outputs (b2 = 0.6). Only the eight weights are trained.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from .scalar.value import Value

#: Starting values of document 002 (the overview lists b1 = 0.3; the numbers use 0.35).
NETWORK_222_START: dict[str, float] = {
    "i1": 0.05, "i2": 0.10,
    "w1": 0.15, "w2": 0.20, "w3": 0.25, "w4": 0.30, "b1": 0.35,
    "w5": 0.40, "w6": 0.45, "w7": 0.50, "w8": 0.55, "b2": 0.60,
    "target_o1": 0.01, "target_o2": 0.99,
}  # fmt: skip
NETWORK_222_WEIGHTS = ("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8")

#: Starting values that reproduce document 001's tables (x, w1, b1, w2, b2, target T).
CHAIN_001_START: dict[str, float] = {
    "x": 0.1, "w1": 0.15, "b1": 0.4, "w2": 0.45, "b2": 0.65, "T": 0.25,
}  # fmt: skip
CHAIN_001_PARAMETERS = ("w1", "b1", "w2", "b2")


@dataclass
class Forward:
    """One forward pass: every named Value of the network, the error last."""

    values: dict[str, Value] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Value:
        return self.values[name]

    @property
    def error(self) -> Value:
        return self.values["E"]


def network_222(numbers: dict[str, float]) -> Forward:
    """Forward pass of document 002's network with every Value labelled as the document names it.

    net_h1 = w1*i1 + w2*i2 + b1, net_h2 = w3*i1 + w4*i2 + b1,
    net_o1 = w5*out_h1 + w6*out_h2 + b2, net_o2 = w7*out_h1 + w8*out_h2 + b2,
    out = sigmoid(net), E = E_o1 + E_o2 with E_o = 1/2 (target - out)^2.
    """
    v = {name: Value(number, label=name) for name, number in numbers.items()}

    def neuron(prefix: str, wa: str, a: Value, wb: str, b: Value, bias: str) -> Value:
        net = v[wa] * a + v[wb] * b + v[bias]
        net.label = f"net_{prefix}"
        out = net.sigmoid()
        out.label = f"out_{prefix}"
        v[net.label], v[out.label] = net, out
        return out

    out_h1 = neuron("h1", "w1", v["i1"], "w2", v["i2"], "b1")
    out_h2 = neuron("h2", "w3", v["i1"], "w4", v["i2"], "b1")
    out_o1 = neuron("o1", "w5", out_h1, "w6", out_h2, "b2")
    out_o2 = neuron("o2", "w7", out_h1, "w8", out_h2, "b2")
    for name, out in (("o1", out_o1), ("o2", out_o2)):
        error = 0.5 * (v[f"target_{name}"] - out) ** 2
        error.label = f"E_{name}"
        v[error.label] = error
    total = v["E_o1"] + v["E_o2"]
    total.label = "E"
    v["E"] = total
    return Forward(v)


def chain_001(numbers: dict[str, float]) -> Forward:
    """Forward pass of document 001's chain: z1 = x*w1 + b1, a1 = f(z1), z2 = a1*w2 + b2,
    a2 = f(z2), E = 1/2 (T - a2)^2, with f the sigmoid."""
    v = {name: Value(number, label=name) for name, number in numbers.items()}
    z1 = v["x"] * v["w1"] + v["b1"]
    a1 = z1.sigmoid()
    z2 = a1 * v["w2"] + v["b2"]
    a2 = z2.sigmoid()
    error = 0.5 * (v["T"] - a2) ** 2
    for name, value in (("z1", z1), ("a1", a1), ("z2", z2), ("a2", a2), ("E", error)):
        value.label = name
        v[name] = value
    return Forward(v)


def sgd_step(
    numbers: dict[str, float],
    names: tuple[str, ...],
    lr: float,
    build: Callable[[dict[str, float]], Forward],
) -> Forward:
    """One gradient-descent update w <- w - lr * dE/dw of ``names`` in ``numbers`` (in place).

    Returns the forward pass that the update was computed from.
    """
    forward = build(numbers)
    forward.error.backward()
    for name in names:
        numbers[name] -= lr * forward[name].grad
    return forward


def matches_printed(actual: float, printed: str) -> bool:
    """True when ``actual`` rounds to ``printed`` at the printed number of decimals.

    "0.7153" allows |actual - 0.7153| <= 0.00005 (half a unit in the last printed place),
    plus a hair for the float representation of the boundary.
    """
    exponent = Decimal(printed).as_tuple().exponent
    assert isinstance(exponent, int)
    half_unit = 0.5 * 10.0**exponent
    return abs(actual - float(printed)) <= half_unit * (1 + 1e-9)
