"""Mutation testing by hand: does the test suite notice when the code is wrong?

Each mutant below is a small behaviour-changing edit (an operator swapped, a constant
changed, an accumulation turned into an assignment) of the op rules, the graph walks, the
broadcast reduction, gradcheck, the losses or the optimizers. The script applies them one
at a time to a temporary copy of the repository, runs the tests relevant to that code
and reports which mutants the tests *killed* (some test failed) and which *survived*
(every test passed: a gap in the suite, unless the mutant is equivalent to the original).
A survivor is then re-run against the whole suite before it is reported.

    python scripts/mutation_test.py              # every mutant, 2 workers
    python scripts/mutation_test.py --list       # ids, files and areas
    python scripts/mutation_test.py --check      # do all snippets still match? (seconds)
    python scripts/mutation_test.py --only graph-unique-roots value-sqrt-slope-at-zero
    python scripts/mutation_test.py --area nn --jobs 4

Mutants name their file and the exact source text they replace, never a line number, so
they survive edits elsewhere in a file. When code moves (e.g. autograd_lite/function.py to
autograd_lite/engine/...), update the paths in ``MUTANTS`` (``--check`` lists every
mutant whose text is no longer found exactly once) and the test lists in ``TESTS``.
Not part of CI: a full run takes ten to twenty minutes. See docs/mutation_testing.md.
Exit status: 0 when every mutant was killed (or survived as a documented equivalent),
1 when one survived, 2 when the script could not run (e.g. the unmutated tests fail).
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# ------------------------------------------------------------------------------ tests
#: the tests run for the mutants of each area (the mutated file's own docstring examples
#: are added to these; a survivor is re-run on the whole suite before it is reported)
TESTS: dict[str, list[str]] = {
    "engine": [  # targeted and quick files first: -x stops at the first failure
        "tests/test_gradient_edge_cases.py",
        "tests/test_backward_entry.py",
        "tests/test_walk_roots.py",
        "tests/test_value.py",
        "tests/test_value_walk.py",
        "tests/test_scalar_ops.py",
        "tests/test_tensor_ops.py",
        "tests/test_tensor.py",
        "tests/test_function.py",
        "tests/test_recurrent_cells.py",
        "tests/fast_paths/test_recurrent_paths.py",
        "tests/fast_paths/test_array_walk.py",
        "tests/fast_paths/test_array_rules.py",
        "tests/fast_paths/test_rule_paths.py",
        "tests/fast_paths/test_fused_ops.py",
        "tests/test_grad_mode.py",
        "tests/test_bool_promotion.py",
        "tests/fast_paths/test_loss_and_linear.py",
        "tests/fast_paths/test_cross_entropy_and_node.py",
        "tests/robustness/test_inplace.py",
        "tests/robustness/test_division.py",
        "tests/robustness/test_stability.py",
        "tests/robustness/test_errors.py",
        "tests/robustness/test_anomaly.py",
        "tests/test_graph.py",
        "tests/test_ops_gradcheck.py",
        "tests/test_ops_forward.py",
        "tests/test_tensor_properties.py",
        "tests/test_value_properties.py",
        "tests/fast_paths/test_node_bookkeeping.py",
        "tests/fast_paths/test_grad_mode_count.py",
        "tests/fast_paths/test_unary_apply.py",
        "tests/fast_paths/test_walk_and_apply.py",
    ],
    "gradcheck": [
        "tests/test_gradcheck_settings.py",
        "tests/test_gradcheck.py",
        "tests/test_cli_gradcheck.py",
        "tests/test_ops_gradcheck.py",
    ],
    "nn": [
        "tests/nn",
        "tests/fast_paths/test_loss_and_linear.py",
        "tests/fast_paths/test_cross_entropy_and_node.py",
        "tests/fast_paths/test_sgd_in_place.py",
        "tests/fast_paths/test_nn_paths.py",
    ],
}

#: slow tests left out of every run (they check depth, not values: 30 s together)
DESELECT = [
    "tests/test_graph.py::test_a_1000000_node_chain_backpropagates_without_recursion",
    "tests/test_value.py::test_million_node_chain_backpropagates_without_recursion",
]

#: pytest options of every run: stop at the first failure, a fixed Hypothesis seed (so a
#: mutant is killed or not the same way every time), no cache files in the copy
PYTEST_OPTIONS = ["-x", "-q", "-p", "no:cacheprovider", "--hypothesis-seed=0", "--no-header"]


# ------------------------------------------------------------------------------ mutants
@dataclass(frozen=True)
class Mutant:
    """One behaviour-changing edit: replace ``find`` by ``replace`` in ``path``.

    ``find`` must occur exactly once in the file, or exactly once after the first
    occurrence of ``after`` when that is given (e.g. ``"class Neg("``). ``also`` holds
    further (find, replace) pairs applied together with the first (one mutant that needs
    two edits, e.g. a forward difference). ``equivalent`` explains why a mutant cannot
    change any result, for the few kept in the list as examples; such a mutant surviving
    is not a gap.
    """

    id: str
    area: str
    path: str
    find: str
    replace: str
    what: str
    after: str | None = None
    also: tuple[tuple[str, str], ...] = ()
    equivalent: str | None = None


M = Mutant
ELEMENTWISE = "autograd_lite/ops/elementwise.py"
NONLINEAR = "autograd_lite/ops/nonlinear.py"
REDUCE = "autograd_lite/ops/reduce.py"
LINALG = "autograd_lite/ops/linalg.py"
SHAPE = "autograd_lite/ops/shape.py"
RECURRENT = "autograd_lite/ops/recurrent.py"
RECURRENT_SEQUENCE = "autograd_lite/ops/recurrent_sequence.py"
BROADCAST = "autograd_lite/engine/broadcast.py"
WALK = "autograd_lite/engine/walk.py"
BACKWARD = "autograd_lite/engine/backward.py"
LOSSES = "nn/functional/losses.py"
CLASSIFICATION = "nn/functional/classification.py"
SGD = "nn/optim/sgd.py"
ADAM = "nn/optim/adam.py"
OPTIMIZER = "nn/optim/optimizer.py"

MUTANTS: list[Mutant] = [
    # ---------------------------------------------------------------- op rules: arithmetic
    M("add-grad-b", "engine", ELEMENTWISE,
      "return grad_output, grad_output\n", "return grad_output, 2 * grad_output\n",
      "Add: d/db doubled"),
    M("sub-grad-b-sign", "engine", ELEMENTWISE,
      "return grad_output, -grad_output if", "return grad_output, grad_output if",
      "Sub: d/db = +1"),
    M("mul-grad-a", "engine", ELEMENTWISE,
      "grad_a = grad_output * b if", "grad_a = grad_output * a if", "Mul: d/da = a"),
    M("mul-grad-b", "engine", ELEMENTWISE,
      "grad_b = grad_output * a if", "grad_b = grad_output * b if", "Mul: d/db = b"),
    M("div-grad-a", "engine", ELEMENTWISE,
      "grad_a = grad_output / b if", "grad_a = grad_output * b if", "Div: d/da = b"),
    M("div-grad-b-sign", "engine", ELEMENTWISE,
      "grad_b = -grad_output * a / (b * b)", "grad_b = grad_output * a / (b * b)",
      "Div: d/db sign"),
    M("div-grad-b-power", "engine", ELEMENTWISE,
      "grad_b = -grad_output * a / (b * b)", "grad_b = -grad_output * a / b",
      "Div: d/db = -a/b"),
    M("neg-grad", "engine", ELEMENTWISE, "return -grad_output\n", "return grad_output\n",
      "Neg: d/da = +1", after="class Neg("),
    M("powconst-exponent", "engine", ELEMENTWISE,
      "return grad_output * c * a ** (c - 1)", "return grad_output * c * a ** c",
      "a ** c: c a^c"),
    M("powconst-zero-exponent", "engine", ELEMENTWISE,
      "return grad_output * 0.0\n", "return grad_output * 1.0\n", "a ** 0: slope 1"),
    M("pow-grad-a", "engine", ELEMENTWISE,
      "grad_a = grad_output * b * a**exponent", "grad_a = grad_output * a**exponent",
      "a ** b: d/da without b"),
    M("pow-grad-b", "engine", ELEMENTWISE,
      "grad_b = grad_output * a**b * a.log()", "grad_b = grad_output * a.log()",
      "a ** b: d/db without a**b"),
    M("pow-grad-b-zero-base", "engine", ELEMENTWISE,
      "where(zero_base & (b.data >= 0), 1.0, a)", "where(zero_base & (b.data > 0), 1.0, a)",
      "a ** b: d/db at a = 0, b = 0 becomes -inf"),
    M("maximum-ties", "engine", ELEMENTWISE,
      "a_wins = (a.data > b.data).astype(dtype) + 0.5 * (a.data == b.data)",
      "a_wins = (a.data > b.data).astype(dtype) + 1.0 * (a.data == b.data)",
      "maximum: a tie sends the whole gradient to both", after="class Maximum("),
    M("maximum-grad-b", "engine", ELEMENTWISE,
      "grad_b = grad_output * (1 - a_wins) if ctx.needs_input_grad[1] else None\n"
      "        return grad_a, grad_b\n\n\nclass Minimum(",
      "grad_b = grad_output * a_wins if ctx.needs_input_grad[1] else None\n"
      "        return grad_a, grad_b\n\n\nclass Minimum(",
      "maximum: d/db = [a wins]", after="class Maximum("),
    M("where-branches", "engine", ELEMENTWISE,
      "grad_a = Where.apply(cond, grad_output, zero)",
      "grad_a = Where.apply(cond, zero, grad_output)", "where: d/da on the other branch"),
    M("cast-backward", "engine", ELEMENTWISE,
      "return Cast.apply(grad_output, dtype=ctx.dtype)", "return grad_output",
      "astype: gradient not cast back",
      equivalent="Node._fit casts every gradient to its input's dtype after the rule, "
      "on arrays and on Tensors (create_graph), so the rule's own cast is redundant"),
    # ---------------------------------------------------------------- op rules: functions
    M("exp-grad", "engine", NONLINEAR,
      "return grad_output * output_tensor(ctx, x.exp)",
      "return grad_output / output_tensor(ctx, x.exp)",
      "exp: divide by exp"),
    M("log-grad", "engine", NONLINEAR,
      "return grad_output / x\n", "return grad_output * x\n", "log: times x"),
    M("sqrt-grad", "engine", NONLINEAR,
      "return grad_output / (2.0 * output_tensor(ctx, x.sqrt))",
      "return grad_output / (1.0 * output_tensor(ctx, x.sqrt))", "sqrt: 1/y instead of 1/2y"),
    M("abs-at-zero", "engine", NONLINEAR,
      "return grad_output * np.sign(x.data)",
      "return grad_output * np.where(x.data >= 0, 1.0, -1.0)", "abs: slope 1 at 0"),
    M("tanh-grad", "engine", NONLINEAR,
      "return grad_output * (1.0 - y * y)", "return grad_output * (1.0 + y * y)",
      "tanh: 1 + y^2"),
    M("sigmoid-grad", "engine", NONLINEAR,
      "return grad_output * y * (1.0 - y)", "return grad_output * y", "sigmoid: y"),
    M("sigmoid-forward-branch", "engine", NONLINEAR,
      "np.where(x >= 0, 1.0, e)", "np.where(x > 0, 1.0, e)", "sigmoid: x = 0 on the e side",
      equivalent="at x = 0 the two branches agree: e = exp(-|0|) = 1"),
    M("softplus-grad", "engine", NONLINEAR,
      "return grad_output * x.sigmoid()", "return grad_output * x.exp()",
      "softplus: exp instead of sigmoid"),
    M("relu-at-zero", "engine", NONLINEAR,
      "return grad_output * (x > 0)", "return grad_output * (x >= 0)", "relu: slope 1 at 0"),
    M("softmax-grad", "engine", NONLINEAR,
      "return y * (grad_output - (grad_output * y).sum(axis=ctx.axis, keepdims=True))",
      "return y * grad_output", "softmax: diagonal only"),
    M("log-softmax-grad", "engine", NONLINEAR,
      "return grad_output - y.exp() * grad_output.sum(axis=ctx.axis, keepdims=True)",
      "return grad_output - y.exp()", "log_softmax: sum of g dropped"),
    M("ce-onehot-few-rows", "engine", NONLINEAR,
      "grad[row, column] -= 1.0", "grad[row, column] += 1.0",
      "softmax_cross_entropy: + onehot (batches up to 8)"),
    M("ce-onehot-many-rows", "engine", NONLINEAR,
      "grad[np.arange(len(target)), target] -= 1.0",
      "grad[np.arange(len(target)), target] += 1.0",
      "softmax_cross_entropy: + onehot (batches over 8)"),
    M("ce-mean-scale", "engine", NONLINEAR,
      "return grad_output * (1.0 / samples)", "return grad_output",
      "softmax_cross_entropy: mean's gradient not divided by N"),
    M("ce-forward-mean", "engine", NONLINEAR,
      "np.add.reduce(losses) / samples", "np.add.reduce(losses) / (samples + 1)",
      "softmax_cross_entropy: mean over N + 1"),
    M("ce-no-shift", "engine", NONLINEAR,
      "shifted = logits - np.maximum.reduce(logits, axis=1, keepdims=True)",
      "shifted = logits", "softmax_cross_entropy: no max shift (overflow)"),
    # ---------------------------------------------------------------- op rules: reductions
    M("sum-grad", "engine", REDUCE,
      "return BroadcastTo.apply(grad_output.reshape(ctx.kept_shape), shape=ctx.input_shape)",
      "return 2 * BroadcastTo.apply(grad_output.reshape(ctx.kept_shape), "
      "shape=ctx.input_shape)", "sum: gradient doubled"),
    M("sumto-grad", "engine", REDUCE,
      "return BroadcastTo.apply(grad_output, shape=ctx.input_shape)",
      "return 0.5 * BroadcastTo.apply(grad_output, shape=ctx.input_shape)",
      "SumTo (broadcast reduction) on the recorded path: halved"),
    M("max-ties", "engine", REDUCE,
      "share = is_max / np.sum(is_max, axis=ctx.axes, keepdims=True)", "share = is_max",
      "max: ties not split"),
    M("mean-count", "engine", REDUCE,
      "return x.sum(axis=axis, keepdims=keepdims) * (1.0 / count)",
      "return x.sum(axis=axis, keepdims=keepdims) * (1.0 / (count + 1))", "mean: / (n + 1)"),
    M("logsumexp-grad", "engine", REDUCE,
      "softmax = exps / exps.sum(axis=ctx.axes, keepdims=True)", "softmax = exps",
      "logsumexp: unnormalised"),
    # ---------------------------------------------------------------- op rules: linalg
    M("matmul-grad-a", "engine", LINALG,
      "product = g2 @ _swap_last(b2)", "product = g2 @ b2", "matmul: dA = G B"),
    M("matmul-grad-b", "engine", LINALG,
      "grad_b = (_swap_last(a2) @ g2)", "grad_b = (a2 @ g2)", "matmul: dB = A G"),
    M("linear-grad-x", "engine", LINALG,
      "grad_x = grad_output @ weight if", "grad_x = 2 * grad_output @ weight if",
      "linear: dX doubled"),
    M("linear-grad-bias", "engine", LINALG,
      "grad_bias = np.add.reduce(rows, axis=0) if is_array",
      "grad_bias = rows[0] if is_array", "linear: db from the first sample only"),
    M("linear-grad-weight-one-sample", "engine", LINALG,
      "grad_weight = np.dot(rows.T, inputs)", "grad_weight = rows.T @ inputs",
      "linear: one-sample fast path through matmul",
      equivalent="for one sample G^T X is an outer product: each entry is one product, "
      "the same number from np.dot, a broadcast multiply or a matmul"),
    # ---------------------------------------------------------------- op rules: recurrent
    M("lstm-grad-forget", "engine", RECURRENT,
      "* scaled, d_c * forget", "* scaled, d_c", "lstm: dL/dc without the forget gate"),
    M("lstm-grad-through-h", "engine", RECURRENT,
      "d_c = grad_c + grad_h * q", "d_c = grad_c + 0.0 * q",
      "lstm: c' reaches the loss only directly, not through h'"),
    M("gru-grad-h-direct", "engine", RECURRENT,
      'grads["h"] = grads["h"] + grad_output * z', 'grads["h"] = grads["h"]',
      "gru: dh misses h' = ... + z * h"),
    M("lstm-sequence-w-first-step", "engine", RECURRENT_SEQUENCE,
      "grad_w_hh = flat[: x.shape[1]].T @ h0", "grad_w_hh = flat[: x.shape[1]].T @ (0.0 * h0)",
      "lstm sequence: dW_hh misses the first step's h0 term"),
    # ---------------------------------------------------------------- op rules: shapes
    M("transpose-inverse", "engine", SHAPE,
      "inverse[axis % x.ndim] = position", "inverse[position] = axis % x.ndim",
      "transpose: gradient permuted forward, not back (3-D and up)"),
    M("indexadd-repeats", "engine", SHAPE,
      "np.add.at(out, index, x)", "out[index] = x", "indexing: repeated indices overwrite"),
    M("stack-grad", "engine", SHAPE,
      "grad_output[lead + (i,)] if needed", "grad_output[lead + (0,)] if needed",
      "stack: every input gets slot 0"),
    M("concatenate-bounds", "engine", SHAPE,
      "for start, stop, needed in zip(ctx.bounds, ctx.bounds[1:], ctx.needs_input_grad)",
      "for start, stop, needed in zip(ctx.bounds[::-1], ctx.bounds[1:], "
      "ctx.needs_input_grad)", "concatenate: wrong slices"),
    M("broadcastto-grad", "engine", SHAPE,
      "return grad_output._sum_to(ctx.input_shape)", "return grad_output",
      "broadcast_to: no reduction in the rule",
      equivalent="Node._fit sums every gradient down to its input's shape after the rule"),
    # ---------------------------------------------------------------- broadcast reduction
    M("broadcast-stretched-mean", "engine", "autograd_lite/engine/broadcast.py",
      "grad = grad.sum(axis=stretched, keepdims=True)",
      "grad = grad.mean(axis=stretched, keepdims=True)", "stretched axes averaged"),
    M("broadcast-lead-first", "engine", "autograd_lite/engine/broadcast.py",
      "grad = grad.sum(axis=tuple(range(lead)))", "grad = grad[(0,) * lead]",
      "leading axes: first slice instead of the sum"),
    M("broadcast-size-one-test", "engine", BROADCAST,
      "if size == 1 and grad_shape[lead + i] != 1", "if size == 1",
      "also 'sum' size-1 axes that were not stretched",
      equivalent="summing over an axis of length 1 with keepdims changes nothing"),
    M("fit-broadcast-check", "engine", "autograd_lite/engine/broadcast.py",
      "return all(s == 1 or s == t for s, t in zip(shape, target[lead:]))", "return True",
      "a custom backward's wrong-shape gradient is no longer named"),
    # ---------------------------------------------------------------- in-place checks
    M("inplace-check-off", "engine", "autograd_lite/engine/node.py",
      "if mutations.last > self._stamp or created_at", "if False and created_at",
      "the version check before a rule never runs"),
    M("inplace-views", "engine", "autograd_lite/engine/versions.py",
      "return tensor._version > stamp or (base is not None and base._version > stamp)",
      "return tensor._version > stamp", "a view's base changes unnoticed"),
    # ---------------------------------------------------------------- the Tensor walk
    M("graph-unique-roots", "engine", "autograd_lite/engine/walk.py",
      # the backward walk's copy of the line (8 spaces in), not backward_order's
      "        unique_roots = list(roots) if len(roots) == 1 else _unique(roots)",
      "        unique_roots = list(roots)", "repeated roots not de-duplicated"),
    M("graph-edge-accumulate", "engine", "autograd_lite/engine/walk.py",
      "so_far[slot] = grad if previous is None else add_gradients(previous, grad)",
      "so_far[slot] = grad", "two edges into a vertex: the last one wins"),
    M("graph-root-accumulate", "engine", "autograd_lite/engine/walk.py",
      "so_far[slot] = grad if so_far[slot] is None else add_gradients(so_far[slot], grad)",
      "so_far[slot] = grad", "a repeated root's seeds: the last one wins"),
    M("graph-children-count", "engine", "autograd_lite/engine/walk.py",
      "waiting[parent] = count + 1", "waiting[parent] = count",
      "a vertex runs before all its children are done"),
    M("graph-add-gradients", "engine", "autograd_lite/engine/walk.py",
      "total = total + grad\n", "total = grad\n", "add_gradients keeps the last"),
    M("graph-release", "engine", WALK,
      "if not retain_graph:\n                vertex._release()",
      "if False:\n                vertex._release()", "buffers never freed"),
    M("graph-grad-mode", "engine", "autograd_lite/engine/walk.py",
      "previous_mode = set_mode(create_graph)  #", "previous_mode = set_mode(True)  #",
      "backward records a graph without create_graph"),
    M("grad-off-count", "engine", "autograd_lite/grad_mode.py",
      "_add(grad_off, 1)", "_add(grad_off, 0)",
      "a thread switching grad mode off is not counted: its ops record"),
    M("leaf-accumulate-create-graph", "engine", "autograd_lite/engine/backward.py",
      "vertex.grad = grads[0] if previous is None else add_gradients(previous, grads[0])",
      "vertex.grad = grads[0]", "leaf .grad assigned, not accumulated, under create_graph"),
    M("leaf-accumulate", "engine", BACKWARD,
      "vertex.grad = wrap(add_gradients(previous._data, grads[0]), False)",
      "vertex.grad = wrap(grads[0], False)", "leaf .grad assigned, not accumulated"),
    M("seed-one-element", "engine", "autograd_lite/engine/backward.py",
      "else np.ones(output.shape, output.dtype)", "else np.full(output.shape, 2.0)",
      "backward() of a one-element, not 0-d, tensor seeded with 2"),
    M("grad-unused-input", "engine", BACKWARD,
      "bound.wrap(np.zeros_like(tensor.data), False)",
      "bound.wrap(np.ones_like(tensor.data), False)", "grad(): unused input gets ones"),
    M("grad-retain-default", "engine", "autograd_lite/engine/backward.py",
      "retain_graph = create_graph\n", "retain_graph = False\n",
      "grad(create_graph=True) frees the graph"),
    # ---------------------------------------------------------------- Value ops and walk
    M("value-add", "engine", "autograd_lite/scalar/value.py",
      '"add", self, other, 1.0, 1.0)', '"add", self, other, 1.0, 0.0)', "Value +: d/db = 0"),
    M("value-sub", "engine", "autograd_lite/scalar/value.py",
      '"sub", self, other, 1.0, -1.0)', '"sub", self, other, 1.0, 1.0)', "Value -: d/db = +1"),
    M("value-mul", "engine", "autograd_lite/scalar/value.py",
      '"mul", self, other, b, a)', '"mul", self, other, a, b)', "Value *: slopes swapped"),
    M("value-div", "engine", "autograd_lite/scalar/value.py",
      "1.0 / b, -out / b)", "1.0 / b, out / b)", "Value /: d/db sign"),
    M("value-pow-b", "engine", "autograd_lite/scalar/value.py",
      "slope_b = out * math.log(a) if a > 0", "slope_b = math.log(a) if a > 0",
      "Value a ** b: d/db without a**b"),
    M("value-neg", "engine", "autograd_lite/scalar/value.py",
      '"neg", self, None, -1.0, 0.0)', '"neg", self, None, 1.0, 0.0)', "Value neg: +1"),
    M("value-exp", "engine", "autograd_lite/scalar/value.py",
      '"exp", self, None, out, 0.0)', '"exp", self, None, 1.0, 0.0)', "Value exp: slope 1"),
    M("value-log", "engine", "autograd_lite/scalar/value.py",
      '"log", self, None, 1.0 / a, 0.0)', '"log", self, None, a, 0.0)', "Value log: slope a"),
    M("value-tanh", "engine", "autograd_lite/scalar/value.py",
      "1.0 - out * out, 0.0)", "1.0 - out, 0.0)", "Value tanh: 1 - y"),
    M("value-sigmoid", "engine", "autograd_lite/scalar/value.py",
      "out * (1.0 - out), 0.0)", "out, 0.0)", "Value sigmoid: y"),
    M("value-relu-at-zero", "engine", "autograd_lite/scalar/value.py",
      "        if a > 0:\n            return _record(a, \"relu\"",
      "        if a >= 0:\n            return _record(a, \"relu\"", "Value relu: slope 1 at 0"),
    M("value-sqrt-slope-at-zero", "engine", "autograd_lite/scalar/value.py",
      "        return math.inf\n", "        return 0.0\n", "Value a ** 0.5 at 0: slope 0"),
    M("value-pow-zero-exponent", "engine", "autograd_lite/scalar/value.py",
      "    if b == 0:\n        return 0.0\n", "    if b == 0:\n        return 1.0\n",
      "Value a ** 0: slope 1"),
    M("value-grad-accumulate", "engine", "autograd_lite/scalar/walk.py",
      "value.grad += grad\n", "value.grad = grad\n", "Value .grad assigned across calls"),
    M("value-edge-accumulate", "engine", "autograd_lite/scalar/walk.py",
      "parent._total += value._d_first * grad", "parent._total = value._d_first * grad",
      "Value walk: first edge overwrites the total"),
    M("value-second-edge", "engine", "autograd_lite/scalar/walk.py",
      "parent._total += value._d_second * grad", "parent._total += value._d_first * grad",
      "Value walk: second edge uses the first slope"),
    # ---------------------------------------------------------------- gradcheck
    M("gradcheck-forward-difference", "gradcheck", "autograd_lite/checking/jacobian.py",
      "_set(arg, m, original - eps)", "_set(arg, m, original)",
      "one-sided (forward) difference",
      also=(("((p - q) / (2 * eps))", "((p - q) / eps)"),)),
    M("gradcheck-no-restore", "gradcheck", "autograd_lite/checking/jacobian.py",
      "            _set(arg, m, original)\n            columns.append",
      "            columns.append", "a perturbed element is not restored"),
    M("gradcheck-ignores-eps", "gradcheck", "autograd_lite/checking/compare.py",
      "numerical = numerical_jacobian(fn, args, positions, eps)",
      "numerical = numerical_jacobian(fn, args, positions)", "eps ignored (always 1e-6)"),
    M("gradcheck-tolerances-swapped", "gradcheck", "autograd_lite/checking/compare.py",
      "bad = ~np.isclose(a, n, rtol=rtol, atol=atol)",
      "bad = ~np.isclose(a, n, rtol=atol, atol=rtol)", "rtol and atol swapped"),
    M("gradcheck-no-random-upstream", "gradcheck", "autograd_lite/checking/compare.py",
      'if not report.mismatches and kind == "tensor":', "if False:",
      "the random-upstream check never runs"),
    M("gradcheck-value-grads-kept", "gradcheck", "autograd_lite/checking/jacobian.py",
      "            vertex.grad = 0.0\n", "            pass\n",
      "Values' grads not reset between outputs",
      equivalent="Value.backward passes totals through _total and never reads .grad; the "
      "inputs' .grad, the only ones read, are reset by the next line"),
    M("gradcheck-eps-zero-accepted", "gradcheck", "autograd_lite/checking/gradcheck.py",
      "if not (math.isfinite(eps) and eps > 0):", "if not math.isfinite(eps):",
      "eps = 0 or < 0 accepted"),
    # ---------------------------------------------------------------- losses
    M("mse-abs", "nn", "nn/functional/losses.py",
      "_reduce((prediction - target) ** 2, reduction)",
      "_reduce((prediction - target).abs(), reduction)", "mse: absolute error"),
    M("half-squared-no-half", "nn", "nn/functional/losses.py",
      "halves = 0.5 * (target - prediction) ** 2", "halves = (target - prediction) ** 2",
      "half squared error without the 1/2"),
    M("half-squared-samples", "nn", "nn/functional/losses.py",
      "samples = prediction.shape[0] if prediction.ndim > 0 else 1",
      "samples = prediction.size if prediction.ndim > 0 else 1",
      "half squared error 'mean' over elements, not samples"),
    M("bce-target-term", "nn", "nn/functional/losses.py",
      "(1.0 - target) * log_not_p", "target * log_not_p", "bce: t log(1 - p)"),
    M("bce-clamp", "nn", "nn/functional/losses.py",
      "safe.log(), -100.0)", "safe.log(), -1000.0)", "bce: log clamped at -1000"),
    M("bce-range-one", "nn", LOSSES,
      "outside = (probabilities < 0) | (probabilities > 1)",
      "outside = (probabilities < 0) | (probabilities >= 1)", "bce: p = 1 refused"),
    M("bce-logits-sign", "nn", "nn/functional/losses.py",
      "logits.softplus() - logits * target", "logits.softplus() + logits * target",
      "bce with logits: + x t"),
    M("loss-mean-is-sum", "nn", "nn/functional/helpers.py",
      "        return loss.mean()\n", "        return loss.sum()\n", "reduction 'mean' sums"),
    M("ce-range-off-by-one", "nn", CLASSIFICATION,
      "return min(values) >= 0 and max(values) < limit",
      "return min(values) >= 0 and max(values) <= limit",
      "cross_entropy: index C passes nn's check"),
    M("ce-tensor-targets-rounded", "nn", "nn/functional/classification.py",
      "whole = np.isfinite(array) & (array == np.round(array))",
      "whole = np.isfinite(array)", "cross_entropy: Tensor targets 0.5 taken (rounded down)"),
    M("leaky-relu-at-zero", "nn", "nn/functional/activations.py",
      "return where(x > 0, x, x * negative_slope)", "return where(x >= 0, x, x * negative_slope)",
      "leaky_relu: slope 1 at 0"),
    M("dropout-no-rescale", "nn", "nn/functional/activations.py",
      "return x * (keep.astype(x.dtype) / (1.0 - p))", "return x * keep.astype(x.dtype)",
      "dropout: kept values not scaled by 1/(1 - p)"),
    # ---------------------------------------------------------------- optimizers
    M("sgd-weight-decay-sign", "nn", SGD,
      "grad = grad + weight_decay * data", "grad = grad - weight_decay * data",
      "SGD: weight decay pushes away from 0"),
    M("sgd-dampening", "nn", SGD,
      '+ (1 - group["dampening"]) * grad', "+ grad", "SGD: dampening ignored"),
    M("sgd-first-buffer-dampened", "nn", "nn/optim/sgd.py",
      "buffer = np.array(grad, dtype=data.dtype)",
      'buffer = np.array(grad, dtype=data.dtype) * (1 - h["dampening"])',
      "SGD: the first momentum buffer is dampened (PyTorch's is not)"),
    M("sgd-nesterov", "nn", SGD,
      'grad = grad + momentum * buffer if group["nesterov"] else buffer',
      "grad = buffer", "SGD: nesterov ignored"),
    M("sgd-momentum-off", "nn", SGD,
      "if momentum != 0:\n            buffer = state.get",
      "if momentum > 1:\n            buffer = state.get", "SGD: momentum ignored"),
    M("sgd-ascent", "nn", SGD,
      'return data - group["lr"] * grad', 'return data + group["lr"] * grad',
      "SGD: first step goes uphill"),
    M("sgd-in-place-small", "nn", "nn/optim/sgd.py",
      "        data -= scale * direction\n", "        data += scale * direction\n",
      "SGD in place (small arrays): uphill"),
    M("sgd-in-place-blocks", "nn", "nn/optim/sgd.py",
      "target -= np.multiply(source, scale, out=buffer[: target.size])\n",
      "target += np.multiply(source, scale, out=buffer[: target.size])\n",
      "SGD in place (large arrays, blocks): uphill"),
    M("adam-beta1", "nn", ADAM,
      "lerp(exp_avg, grad, 1 - beta1)", "lerp(exp_avg, grad, 1 - beta2)",
      "Adam: m with (1 - beta2)"),
    M("adam-square", "nn", "nn/optim/adam.py",
      "(1 - beta2) * grad * grad", "(1 - beta2) * grad", "Adam: v of g, not g^2"),
    M("adam-bias-correction1", "nn", "nn/optim/adam.py",
      "bias_correction1 = 1 - beta1**step", "bias_correction1 = 1 - beta1 ** (step + 1)",
      "Adam: first bias correction one step ahead"),
    M("adam-bias-correction2", "nn", ADAM,
      "bias_correction2_sqrt = math.sqrt(1 - beta2**step)", "bias_correction2_sqrt = 1.0",
      "Adam: no second bias correction"),
    M("adam-eps", "nn", ADAM,
      "denominator += eps", "denominator += 10 * eps",
      "Adam: eps ten times larger"),
    M("adam-l2", "nn", "nn/optim/adam.py",
      "grad = grad + weight_decay * data  #", "grad = grad  #", "Adam: weight decay ignored"),
    M("adamw-decay", "nn", "nn/optim/adam.py",
      "data = data * (1 - lr * weight_decay)", "data = data * (1 - weight_decay)",
      "AdamW: decay not scaled by lr"),
    M("optimizer-step-count", "nn", ADAM,
      'state["step"] += 1', 'state["step"] += 2', "Adam: step counter moves by 2"),
    M("optimizer-zero-grad", "nn", OPTIMIZER,
      "                    param.grad = None\n", "                    pass\n",
      "zero_grad keeps the gradients"),
]  # fmt: skip


# ------------------------------------------------------------------------------ applying
class StaleMutant(Exception):
    """A mutant's text is not found exactly once: the source moved on; update the list."""


def mutate(text: str, mutant: Mutant) -> str:
    """``text`` with the mutant's edits applied; StaleMutant when a snippet is not unique."""
    for number, (find, replace) in enumerate(((mutant.find, mutant.replace), *mutant.also)):
        start = 0
        if mutant.after is not None and number == 0:
            start = text.find(mutant.after)
            if start < 0:
                raise StaleMutant(f"{mutant.id}: {mutant.after!r} not found in {mutant.path}")
        count = text.count(find, start)
        if count != 1:
            raise StaleMutant(
                f"{mutant.id}: {find!r} occurs {count} times in {mutant.path}"
                + (f" after {mutant.after!r}" if mutant.after else "")
                + " (expected exactly once)"
            )
        position = text.index(find, start)
        text = text[:position] + replace + text[position + len(find) :]
    return text


def check(mutants: list[Mutant], root: Path) -> list[str]:
    """The problems with the list: missing files, snippets not found exactly once."""
    problems = []
    for mutant in mutants:
        path = root / mutant.path
        if not path.is_file():
            problems.append(f"{mutant.id}: no file {mutant.path}")
            continue
        try:
            mutated = mutate(path.read_text(), mutant)
        except StaleMutant as exc:
            problems.append(str(exc))
            continue
        if mutated == path.read_text():
            problems.append(f"{mutant.id}: the edit changes nothing")
        for test in TESTS[mutant.area]:
            if not (root / test).exists():
                problems.append(f"{mutant.id}: no test path {test} (area {mutant.area})")
    ids = [m.id for m in mutants]
    problems += [f"duplicate id {i}" for i in sorted({i for i in ids if ids.count(i) > 1})]
    return problems


# ------------------------------------------------------------------------------ running
@dataclass
class Result:
    mutant: Mutant
    status: str  # killed, survived, equivalent, error
    seconds: float
    detail: str = ""
    confirmed_on_full_suite: bool = False


@dataclass
class Workspace:
    """A private copy of the repository that one worker mutates."""

    root: Path
    python: str
    timeout: float
    env: dict[str, str] = field(default_factory=dict)

    def pytest(self, arguments: list[str]) -> tuple[int, str]:
        command = [self.python, "-m", "pytest", *PYTEST_OPTIONS, *arguments]
        for node in DESELECT:
            command += ["--deselect", node]
        try:
            done = subprocess.run(
                command,
                cwd=self.root,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=self.timeout,
            )
        except subprocess.TimeoutExpired:
            return -1, f"timed out after {self.timeout:.0f} s"
        lines = [line for line in done.stdout.splitlines() if line.strip()]
        failed = [line for line in lines if line.startswith(("FAILED", "ERROR"))]
        return done.returncode, (failed[0] if failed else lines[-1] if lines else "")[:200]

    def run(self, mutant: Mutant, confirm: bool) -> Result:
        path = self.root / mutant.path
        original = path.read_text()
        started = time.monotonic()
        try:
            path.write_text(mutate(original, mutant))
            tests = [*TESTS[mutant.area], mutant.path]  # and the module's own examples
            code, detail = self.pytest(tests)
            confirmed = False
            if code == 0 and confirm and not mutant.equivalent:  # a survivor: every test
                code, detail = self.pytest([])
                confirmed = True
        except StaleMutant as exc:
            return Result(mutant, "error", 0.0, str(exc))
        finally:
            path.write_text(original)
        seconds = time.monotonic() - started
        if code == 0:
            status = "equivalent" if mutant.equivalent else "survived"
            return Result(mutant, status, seconds, detail, confirmed)
        if code in (1, 2, -1):  # failures, errors while collecting (an import broke), timeout
            return Result(mutant, "killed", seconds, detail)
        return Result(mutant, "error", seconds, f"pytest exit status {code}: {detail}")


def make_workspace(base: Path, name: str, python: str, timeout: float) -> Workspace:
    target = base / name
    shutil.copytree(
        ROOT,
        target,
        ignore=shutil.ignore_patterns(
            ".git",
            ".venv",
            "__pycache__",
            ".pytest_cache",
            ".hypothesis",
            ".mypy_cache",
            ".ruff_cache",
            "*.egg-info",
            "out",
        ),
    )
    env = dict(os.environ)
    env.update(
        PYTHONPATH=str(target),  # the copy's packages, not an installed autograd_lite
        PYTHONDONTWRITEBYTECODE="1",  # no .pyc: a mutant of the same size and second
        OMP_NUM_THREADS="1",  # workers share the cores
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    workspace = Workspace(target, python, timeout, env)
    probe = subprocess.run(
        [python, "-c", "import autograd_lite, nn; print(autograd_lite.__file__, nn.__file__)"],
        cwd=target,
        env=env,
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0 or any(
        not Path(f).resolve().is_relative_to(target.resolve()) for f in probe.stdout.split()
    ):
        raise SystemExit(
            f"mutation_test: the copy in {target} does not import its own packages "
            f"(got {probe.stdout.strip() or probe.stderr.strip()})"
        )
    return workspace


def baseline(workspace: Workspace, areas: set[str]) -> None:
    """Every test set must pass before any mutant is tried."""
    for area in sorted(areas):
        code, detail = workspace.pytest(TESTS[area])
        if code != 0:
            raise SystemExit(
                f"mutation_test: the unmutated '{area}' tests fail (exit {code}): {detail}"
            )


def run_all(
    mutants: list[Mutant], jobs: int, python: str, timeout: float, confirm: bool, keep: bool
) -> list[Result]:
    base = Path(tempfile.mkdtemp(prefix="autograd_lite_mutants_"))
    try:
        workspaces = [make_workspace(base, f"w{n}", python, timeout) for n in range(jobs)]
        print(f"copies of the repository in {base}; checking the unmutated tests ...", flush=True)
        baseline(workspaces[0], {m.area for m in mutants})
        todo: queue.Queue[Mutant] = queue.Queue()
        for mutant in mutants:
            todo.put(mutant)
        results: list[Result] = []
        lock = threading.Lock()

        def work(workspace: Workspace) -> None:
            while True:
                try:
                    mutant = todo.get_nowait()
                except queue.Empty:
                    return
                result = workspace.run(mutant, confirm)
                with lock:
                    results.append(result)
                    print(
                        f"[{len(results):>3}/{len(mutants)}] {result.status:<10} "
                        f"{mutant.id:<34} {result.seconds:6.1f} s",
                        flush=True,
                    )

        threads = [threading.Thread(target=work, args=(w,)) for w in workspaces]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        if keep:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)
    order = {m.id: n for n, m in enumerate(mutants)}
    return sorted(results, key=lambda r: order[r.mutant.id])


def report(results: list[Result]) -> int:
    counts = {
        s: sum(r.status == s for r in results)
        for s in ("killed", "survived", "equivalent", "error")
    }
    behaviour_changing = counts["killed"] + counts["survived"]
    print()
    for status in ("survived", "equivalent", "error"):
        rows = [r for r in results if r.status == status]
        if rows:
            print(f"{status}:")
        for r in rows:
            note = r.mutant.equivalent if status == "equivalent" else r.detail
            scope = " (whole suite)" if r.confirmed_on_full_suite else ""
            print(f"  {r.mutant.id}{scope}: {r.mutant.what} [{r.mutant.path}]")
            if note:
                print(f"      {note}")
    print(
        f"\nmutation score: {counts['killed']} of {behaviour_changing} behaviour-changing "
        f"mutants killed; {counts['equivalent']} equivalent (explained), "
        f"{counts['error']} could not run"
    )
    if counts["error"]:
        return 2
    return 1 if counts["survived"] else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--jobs", "-j", type=int, default=2, help="parallel copies (2)")
    parser.add_argument("--only", nargs="+", metavar="ID", help="run these mutants only")
    parser.add_argument("--area", choices=sorted(TESTS), help="run one area's mutants only")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument(
        "--check", action="store_true", help="check that every mutant still applies, then exit"
    )
    parser.add_argument(
        "--no-confirm", action="store_true", help="do not re-run survivors on the whole suite"
    )
    parser.add_argument("--timeout", type=float, default=900.0, help="per pytest run (900 s)")
    parser.add_argument("--python", default=sys.executable, help="interpreter with pytest")
    parser.add_argument("--keep", action="store_true", help="keep the temporary copies")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args(argv)

    mutants = MUTANTS
    if args.only:
        unknown = sorted(set(args.only) - {m.id for m in MUTANTS})
        if unknown:
            parser.error(f"unknown mutant ids: {', '.join(unknown)} (see --list)")
        mutants = [m for m in MUTANTS if m.id in args.only]
    if args.area:
        mutants = [m for m in mutants if m.area == args.area]
    if args.list:
        for m in mutants:
            mark = "  (equivalent)" if m.equivalent else ""
            print(f"{m.id:<34} {m.area:<10} {m.path:<36} {m.what}{mark}")
        print(f"{len(mutants)} mutants")
        return 0
    problems = check(mutants, ROOT)
    if problems:
        print("mutation_test: the mutant list no longer matches the code:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    if args.check:
        print(f"all {len(mutants)} mutants apply")
        return 0
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    started = time.monotonic()
    results = run_all(mutants, args.jobs, args.python, args.timeout, not args.no_confirm, args.keep)
    status = report(results)
    print(f"{time.monotonic() - started:.0f} s")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                [
                    {
                        "id": r.mutant.id,
                        "area": r.mutant.area,
                        "path": r.mutant.path,
                        "what": r.mutant.what,
                        "status": r.status,
                        "seconds": round(r.seconds, 1),
                        "detail": r.detail,
                        "whole_suite": r.confirmed_on_full_suite,
                    }
                    for r in results
                ],
                indent=1,
            )
        )
    return status


if __name__ == "__main__":
    sys.exit(main())
