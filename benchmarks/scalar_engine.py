"""The scalar engine: Value graphs against the same arithmetic on plain Python floats.

Three workloads:

- a random expression graph (add, mul, tanh; every node uses the previous one, so all are
  reachable from the last): its structure is drawn once, before timing, and both variants
  replay it, so neither timing contains the random choices. The float variant computes the
  same values and local derivatives in the forward loop and the same products and sums in
  the reverse loop as the engine;
- a chain ``y = y * k`` of 10**6 nodes (build, backward, and how promptly it is freed);
- one SGD step of a 2-16-16-1 tanh MLP of Values on 100 samples, against the same network
  with its backprop derived by hand on floats.
"""

from __future__ import annotations

import gc
import math
import random
import time
import weakref
from collections.abc import Callable
from typing import Any

from autograd_lite import Value

from .common import Config, Section, Target, compare, format_time, verdict

ADD, MUL, TANH = 0, 1, 2
GRAPH_NODES = 2000
GRAPH_LEAVES = 16
#: the issue's limit on Value build + backward / the same arithmetic on floats
LIMIT = 3.5

Graph = tuple[list[float], list[tuple[int, int, int]]]


# -------------------------------------------------------------------- random graph
def make_graph(nodes: int = GRAPH_NODES, leaves: int = GRAPH_LEAVES, seed: int = 0) -> Graph:
    """Leaf values and a list of (op, first parent, second parent) for the other nodes.

    The first parent is always the previous node; an add or mul whose result would leave
    [-10, 10] becomes a tanh, so the values stay finite over any length.
    """
    rng = random.Random(seed)
    data = [rng.uniform(-1.0, 1.0) for _ in range(leaves)]
    ops = []
    for index in range(leaves, nodes):
        first, second = index - 1, rng.randrange(index)
        code = rng.choice((ADD, MUL, TANH))
        if code == ADD:
            result = data[first] + data[second]
        elif code == MUL:
            result = data[first] * data[second]
        if code == TANH or abs(result) > 10.0:
            code, result = TANH, math.tanh(data[first])
        data.append(result)
        ops.append((code, first, second))
    return data[:leaves], ops


def build_values(graph: Graph, leaf: Callable[[float], Any] = Value) -> list[Any]:
    """Every node of ``graph`` as a Value (or as what ``leaf`` makes), leaves first."""
    leaf_data, ops = graph
    nodes = [leaf(number) for number in leaf_data]
    append = nodes.append
    for code, first, second in ops:
        if code == ADD:
            append(nodes[first] + nodes[second])
        elif code == MUL:
            append(nodes[first] * nodes[second])
        else:
            append(nodes[first].tanh())
    return nodes


def float_build_backward(graph: Graph) -> list[float]:
    """The engine's arithmetic on floats: values and local derivatives, then reverse sums.

    Returns:
        d last node / d node for every node.
    """
    leaf_data, ops = graph
    data = list(leaf_data)
    partials: list[tuple[float, ...]] = [()] * len(leaf_data)
    for code, first, second in ops:
        if code == ADD:
            data.append(data[first] + data[second])
            partials.append((1.0, 1.0))
        elif code == MUL:
            left, right = data[first], data[second]
            data.append(left * right)
            partials.append((right, left))
        else:
            result = math.tanh(data[first])
            data.append(result)
            partials.append((1.0 - result * result,))
    grads = [0.0] * len(data)
    grads[-1] = 1.0
    offset = len(leaf_data)
    for index in range(len(data) - 1, offset - 1, -1):
        grad = grads[index]
        code, first, second = ops[index - offset]
        local = partials[index]
        grads[first] += local[0] * grad
        if code != TANH:
            grads[second] += local[1] * grad
    return grads


def engine_build_backward(graph: Graph) -> list[Value]:
    """Build ``graph`` from Values and run backward from its last node."""
    nodes = build_values(graph)
    nodes[-1].backward()
    return nodes


def check_graph(graph: Graph, engine: Callable[[Graph], list] | None = None) -> float:
    """Raise AssertionError unless the float replay's gradients equal the engine's (or
    those of ``engine``, a function building and backpropagating the graph)."""
    expected = float_build_backward(graph)
    nodes = (engine or engine_build_backward)(graph)
    largest = 0.0
    for index, (node, grad) in enumerate(zip(nodes, expected)):
        difference = abs(node.grad - grad)
        assert difference <= 1e-9 * max(1.0, abs(grad)), f"node {index}: {node.grad} != {grad}"
        largest = max(largest, difference)
    return largest


# -------------------------------------------------------------------- chain
def make_chain(length: int) -> tuple[Value, Value, Value]:
    """(x, k, y) with y = x * k * k * ... (``length`` multiplications by one Value k)."""
    x, factor = Value(0.5), Value(1.0 - 1e-7)
    y = x
    for _ in range(length):
        y = y * factor
    return x, factor, y


def float_chain(length: int) -> tuple[float, float]:
    """The same chain on floats: forward values and partials, then the reverse products.

    Returns:
        (d y / d x, d y / d k).
    """
    y, factor = 0.5, 1.0 - 1e-7
    partials = []
    append = partials.append
    for _ in range(length):
        append((factor, y))
        y = y * factor
    grad, grad_factor = 1.0, 0.0
    for local_y, local_factor in reversed(partials):
        grad_factor += local_factor * grad
        grad = local_y * grad
    return grad, grad_factor


def check_chain(length: int) -> None:
    """Raise AssertionError unless the float chain's gradients equal the engine's."""
    x, factor, y = make_chain(length)
    y.backward()
    grad_x, grad_factor = float_chain(length)
    assert math.isclose(x.grad, grad_x, rel_tol=1e-9), f"dy/dx: {x.grad} != {grad_x}"
    assert math.isclose(factor.grad, grad_factor, rel_tol=1e-9), (
        f"dy/dk: {factor.grad} != {grad_factor}"
    )


def check_floor_chain(length: int) -> None:
    """Raise AssertionError unless the floor engine's chain gradients equal the floats'."""
    from .floor import scalar_chain_backward  # late: floor.py imports this module

    expected = float_chain(length)
    for got, want in zip(scalar_chain_backward(length), expected, strict=True):
        assert math.isclose(got, want, rel_tol=1e-9), f"floor chain: {got} != {want}"


def chain_frees_immediately(length: int) -> tuple[bool, int, float]:
    """Build and backpropagate a chain, drop it, and see whether reference counting freed it.

    Returns:
        (every node freed at ``del``, objects gc.collect() found afterwards, seconds to free).
    """
    gc.collect()
    gc.disable()
    try:
        x, _, y = make_chain(length)
        y.backward()
        middle = y
        for _ in range(length // 2):
            middle = middle._parents[0]
        probes = [weakref.ref(x), weakref.ref(middle), weakref.ref(y)]
        del middle
        start = time.perf_counter()
        del x, y
        freeing = time.perf_counter() - start
        freed = all(probe() is None for probe in probes)
        found = gc.collect()
    finally:
        gc.enable()
    return freed, found, freeing


# -------------------------------------------------------------------- Value MLP
def make_mlp_data(samples: int, seed: int = 0) -> tuple[list[list[float]], list[float]]:
    """Points in [-1, 1]**2 and targets x0 * x1 (a smooth function to fit)."""
    rng = random.Random(seed)
    inputs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(samples)]
    return inputs, [x0 * x1 for x0, x1 in inputs]


def make_mlp_weights(sizes: list[int], seed: int = 0) -> list[list[list[float]]]:
    """Per layer, per neuron: its input weights followed by its bias."""
    rng = random.Random(seed)
    layers = [(i, o, 1.0 / math.sqrt(i)) for i, o in zip(sizes[:-1], sizes[1:])]
    return [
        [[rng.uniform(-1, 1) * scale for _ in range(fan_in + 1)] for _ in range(fan_out)]
        for fan_in, fan_out, scale in layers
    ]


class ValueMLP:
    """A tanh MLP (linear output) whose parameters are Values, micrograd style."""

    def __init__(self, weights: list[list[list[float]]], lr: float = 0.05) -> None:
        self.layers = [[[Value(w) for w in neuron] for neuron in layer] for layer in weights]
        self.lr = lr

    def parameters(self) -> list[Value]:
        """Every weight and bias."""
        return [p for layer in self.layers for neuron in layer for p in neuron]

    def loss(self, inputs: list[list[float]], targets: list[float]) -> Value:
        """Mean squared error over the samples."""
        total = Value(0.0)
        last = len(self.layers) - 1
        for x, target in zip(inputs, targets):
            activations: list = x
            for index, layer in enumerate(self.layers):
                outputs = []
                for neuron in layer:
                    total_input = neuron[-1]
                    for weight, value in zip(neuron, activations):
                        total_input = total_input + weight * value
                    outputs.append(total_input if index == last else total_input.tanh())
                activations = outputs
            error = activations[0] - target
            total = total + error * error
        return total * (1.0 / len(inputs))

    def step(self, inputs: list[list[float]], targets: list[float]) -> float:
        """Zero the gradients, backpropagate the loss, update every parameter."""
        parameters = self.parameters()
        for p in parameters:
            p.grad = 0.0
        loss = self.loss(inputs, targets)
        loss.backward()
        for p in parameters:
            p.data -= self.lr * p.grad
        return loss.data


class FloatMLP:
    """The same network and step on plain floats with its backprop written by hand."""

    def __init__(self, weights: list[list[list[float]]], lr: float = 0.05) -> None:
        self.layers = [[list(neuron) for neuron in layer] for layer in weights]
        self.lr = lr

    def loss_and_grads(
        self, inputs: list[list[float]], targets: list[float]
    ) -> tuple[float, list[list[list[float]]]]:
        """Mean squared error and its gradient for every weight (bias last per neuron)."""
        grads = [[[0.0] * len(neuron) for neuron in layer] for layer in self.layers]
        scale = 1.0 / len(inputs)
        last = len(self.layers) - 1
        total = 0.0
        for x, target in zip(inputs, targets):
            layer_inputs = []
            activations = x
            for index, layer in enumerate(self.layers):
                layer_inputs.append(activations)
                outputs = []
                for neuron in layer:
                    total_input = neuron[-1]
                    for weight, value in zip(neuron, activations):
                        total_input += weight * value
                    outputs.append(total_input if index == last else math.tanh(total_input))
                activations = outputs
            error = activations[0] - target
            total += error * error
            upstream = [2.0 * error * scale]  # d loss / d output of the last layer
            for index in range(last, -1, -1):
                layer, layer_grads = self.layers[index], grads[index]
                below = layer_inputs[index]
                if index < last:  # through tanh: d tanh = 1 - tanh**2
                    outputs_here = layer_inputs[index + 1]
                    upstream = [g * (1.0 - o * o) for g, o in zip(upstream, outputs_here)]
                grad_below = [0.0] * len(below)
                for neuron, neuron_grads, grad in zip(layer, layer_grads, upstream):
                    for position, value in enumerate(below):
                        neuron_grads[position] += grad * value
                        grad_below[position] += grad * neuron[position]
                    neuron_grads[-1] += grad
                upstream = grad_below
        return total * scale, grads

    def step(self, inputs: list[list[float]], targets: list[float]) -> float:
        """Backprop by hand and update every parameter."""
        loss, grads = self.loss_and_grads(inputs, targets)
        for layer, layer_grads in zip(self.layers, grads):
            for neuron, neuron_grads in zip(layer, layer_grads):
                for position, grad in enumerate(neuron_grads):
                    neuron[position] -= self.lr * grad
        return loss


def check_mlp(sizes: list[int], samples: int) -> float:
    """Raise AssertionError unless FloatMLP's loss and gradients equal the Value MLP's."""
    weights = make_mlp_weights(sizes)
    inputs, targets = make_mlp_data(samples)
    values, floats = ValueMLP(weights), FloatMLP(weights)
    loss = values.loss(inputs, targets)
    loss.backward()
    float_loss, grads = floats.loss_and_grads(inputs, targets)
    assert abs(loss.data - float_loss) <= 1e-12 * max(1.0, abs(float_loss)), "loss differs"
    flat = [g for layer in grads for neuron in layer for g in neuron]
    largest = 0.0
    for index, (parameter, grad) in enumerate(zip(values.parameters(), flat)):
        difference = abs(parameter.grad - grad)
        assert difference <= 1e-10 * max(1.0, abs(grad)), f"parameter {index} gradient differs"
        largest = max(largest, difference)
    return largest


# -------------------------------------------------------------------- the section
def _row(name: str, nodes: int, timings: dict, keys: tuple[str, str]) -> tuple[list[str], float]:
    floats, engine = timings[keys[0]].median, timings[keys[1]].median
    ratio = engine / floats
    per_node = [format_time(floats / nodes), format_time(engine / nodes)]
    return [name, f"{nodes:,}", *per_node, format_time(engine), f"{ratio:.2f}x"], ratio


def run(config: Config) -> Section:
    """Time the random graph, the long chain and the Value MLP step; check freeing."""
    chain_length = 20_000 if config.quick else 1_000_000
    samples = 10 if config.quick else 100
    sizes = [2, 16, 16, 1]
    section = Section("Scalar engine (Value) against the same arithmetic on floats")
    headers = ["workload", "nodes", "floats / node", "Value / node", "Value total", "ratio"]
    rows = []

    from .floor import scalar_build_backward, scalar_chain_backward  # late: imports us

    graph = make_graph()
    check_graph(graph)
    check_graph(graph, scalar_build_backward)
    graph_variants: dict[str, Callable[[], object]] = {
        "floats": lambda: float_build_backward(graph),
        "values": lambda: engine_build_backward(graph),
        "build": lambda: build_values(graph),
        "floor": lambda: scalar_build_backward(graph),
    }
    timings = compare(graph_variants, config)
    row, ratio = _row("random graph: build + backward", GRAPH_NODES, timings, ("floats", "values"))
    rows.append([*row, f"<= {LIMIT}x {verdict(ratio, LIMIT)}"])
    section.targets.append(Target("Value random graph build + backward", ratio, LIMIT))
    build_only = timings["build"].median
    section.notes.append(
        f"random graph: build alone {format_time(build_only / GRAPH_NODES)} per node, "
        f"backward alone {format_time((timings['values'].median - build_only) / GRAPH_NODES)}"
        " per node"
    )
    floor = timings["floor"].median / timings["floats"].median
    section.notes.append(
        f"random graph, floor: a minimal scalar engine (benchmarks/floor.py: no features, "
        f"only recording and the reverse pass) takes {floor:.2f}x the floats; the limit is "
        f"{LIMIT}x"
    )

    check_chain(1000)
    check_floor_chain(1000)
    slow = Config(config.quick, max(3, config.repeats // 2), 1, 0.0, config.threads)
    chain_variants = {
        "floats": lambda: float_chain(chain_length),
        "values": lambda: make_chain(chain_length)[2].backward(),
        "floor": lambda: scalar_chain_backward(chain_length),
    }
    # one build of a 10**6 chain takes seconds: no warm-up beyond the calibration call
    timings = compare(chain_variants, Config(config.quick, 3, 0, 0.0, config.threads))
    name = "chain y = y * k: build + backward"
    row, ratio = _row(name, chain_length, timings, ("floats", "values"))
    rows.append([*row, f"<= {LIMIT}x {verdict(ratio, LIMIT)}"])
    section.targets.append(
        Target(f"Value chain of {chain_length:,} build + backward", ratio, LIMIT)
    )
    floor = timings["floor"].median / timings["floats"].median
    section.notes.append(
        f"chain, floor: the minimal scalar engine takes {floor:.2f}x the floats; the cyclic "
        "garbage collector, which rescans the growing graph of gc-tracked objects while it "
        "is built (floats are not tracked), costs both engines the same"
    )

    check_mlp(sizes, 5)
    weights = make_mlp_weights(sizes)
    inputs, targets = make_mlp_data(samples)
    value_mlp, float_mlp = ValueMLP(weights), FloatMLP(weights)
    mlp_variants = {
        "floats": lambda: float_mlp.step(inputs, targets),
        "values": lambda: value_mlp.step(inputs, targets),
    }
    timings = compare(mlp_variants, slow)
    nodes = _count_nodes(value_mlp.loss(inputs, targets))
    row, _ = _row(f"MLP 2-16-16-1 step, {samples} samples", nodes, timings, ("floats", "values"))
    rows.append([*row, "- (hand-derived backprop)"])
    section.tables.append((headers + ["target"], rows))

    freed, found, seconds = chain_frees_immediately(chain_length)
    section.notes.append(
        f"freeing a {chain_length:,}-node Value graph after backward: "
        f"{'immediate' if freed else 'NOT immediate'} (reference counting freed every probed "
        f"node at `del`, in {format_time(seconds)}); gc.collect() afterwards found {found} "
        "unreachable objects"
    )
    section.targets.append(
        Target("Value graph freed at del (objects left for gc)", float(found), 0.0)
    )
    if not freed:
        section.targets.append(Target("Value graph freed at del", 1.0, 0.0))
    return section


def _count_nodes(root: Value) -> int:
    seen = {id(root)}
    stack = [root]
    while stack:
        for parent in stack.pop()._parents:
            if id(parent) not in seen:
                seen.add(id(parent))
                stack.append(parent)
    return len(seen)
