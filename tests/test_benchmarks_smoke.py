"""Smoke test of benchmarks/: the baselines compute what the engine computes, the suite runs.

No timing is asserted (times depend on the machine). What is asserted is correctness: the
hand-written NumPy MLP, the float replay of a Value graph and the float MLP are checked
against the engine's gradients, because a wrong baseline makes every ratio worthless.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from benchmarks import handwritten, op_overhead, run, scalar_engine
from benchmarks.common import Config, compare, format_table


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sizes", [[12, 7, 3], [12, 9, 6, 4]])
@pytest.mark.parametrize("batch", [1, 5])
def test_handwritten_gradients_equal_the_engines(sizes, batch, dtype):
    model = handwritten.make_engine_model(sizes, dtype, seed=3)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((batch, sizes[0])).astype(dtype)
    targets = rng.integers(0, sizes[-1], size=batch)
    baseline = handwritten.handwritten_copy(model, lr=0.1)

    engine_loss, engine_w, engine_b = handwritten.engine_loss_and_grads(model, x, targets)
    hand_loss, hand_w, hand_b = baseline.loss_and_grads(x, targets)

    rtol = 1e-4 if dtype == np.float32 else 1e-10
    assert hand_loss == pytest.approx(engine_loss, rel=rtol)
    for mine, theirs in zip(hand_w + hand_b, engine_w + engine_b):
        assert mine.dtype == np.dtype(dtype)
        np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=1e-7)
    assert handwritten.check_against_engine(model, baseline, x, targets) < 1e-4


def test_handwritten_step_is_sgd_on_its_gradients():
    model = handwritten.make_engine_model([6, 5, 3], np.float64, seed=1)
    x = np.random.default_rng(2).standard_normal((4, 6))
    targets = np.array([0, 2, 1, 2])
    baseline = handwritten.handwritten_copy(model, lr=0.5)
    _, grad_w, grad_b = baseline.loss_and_grads(x, targets)
    before = [w.copy() for w in baseline.weights] + [b.copy() for b in baseline.biases]
    baseline.step(x, targets)
    after = baseline.weights + baseline.biases
    for old, grad, new in zip(before, grad_w + grad_b, after):
        np.testing.assert_allclose(new, old - 0.5 * grad, rtol=1e-12)


def test_check_against_engine_rejects_a_wrong_baseline():
    model = handwritten.make_engine_model([6, 5, 3], np.float64, seed=1)
    x = np.random.default_rng(2).standard_normal((4, 6))
    targets = np.array([0, 2, 1, 2])
    baseline = handwritten.handwritten_copy(model, lr=0.1)
    baseline.biases[-1][0] += 0.5  # shifts every logit row: no longer the engine's network
    with pytest.raises(AssertionError):
        handwritten.check_against_engine(model, baseline, x, targets)


def test_float_replay_of_a_random_graph_matches_the_value_gradients():
    graph = scalar_engine.make_graph(nodes=300, leaves=8, seed=5)
    expected = scalar_engine.float_build_backward(graph)
    nodes = scalar_engine.engine_build_backward(graph)
    assert len(nodes) == 300
    np.testing.assert_allclose([node.grad for node in nodes], expected, rtol=1e-9, atol=1e-12)
    assert expected[-1] == 1.0 and any(g != 0.0 for g in expected[:8])


def test_float_chain_and_float_mlp_match_the_engine():
    scalar_engine.check_chain(500)
    scalar_engine.check_floor_chain(500)
    assert scalar_engine.check_mlp([2, 4, 3, 1], samples=6) < 1e-10
    grad_x, grad_k = scalar_engine.float_chain(3)  # y = x k^3 at x = 0.5, k = 1 - 1e-7
    k = 1.0 - 1e-7
    assert grad_x == pytest.approx(k**3, rel=1e-15)
    assert grad_k == pytest.approx(3 * 0.5 * k**2, rel=1e-12)


def test_op_chain_gradient_matches_numpy():
    assert op_overhead.check_chain(length=20) < 1e-12


def test_value_chain_is_freed_by_reference_counting():
    freed, found, _ = scalar_engine.chain_frees_immediately(2000)
    assert freed
    assert found == 0


def test_compare_interleaves_and_reports_every_variant():
    calls = []
    variants = {"a": lambda: calls.append("a"), "b": lambda: calls.append("b")}
    timings = compare(variants, Config(repeats=3, warmup=1, min_time=0.0))
    assert list(timings) == ["a", "b"]
    assert all(len(t.samples) == 3 and t.median >= 0 for t in timings.values())
    # warm-up a, b; calibration a, b; samples a b, b a, a b
    assert calls == ["a", "b", "a", "b", "a", "b", "b", "a", "a", "b"]


def test_format_table_pads_columns():
    table = format_table(["x", "long header"], [["wide cell", "1"]]).splitlines()
    assert table[0] == "| x         | long header |"
    assert table[2] == "| wide cell | 1           |"


def test_quick_suite_runs_end_to_end(capsys, tmp_path):
    out_file = tmp_path / "targets.json"
    argv = ["--quick", "--repeats", "1", "--warmup", "0", "--min-time", "0"]
    assert run.main([*argv, "--json", str(out_file)]) == 0
    printed = capsys.readouterr().out
    assert "BLAS:" in printed and "PyTorch" in printed
    for title in ("MLP training step", "Per-op overhead", "Scalar engine", "Peak memory"):
        assert f"## {title}" in printed
    assert "## Targets" in printed
    targets = json.loads(out_file.read_text())
    names = [t["name"] for t in targets]
    assert "per-op forward+backward" in names
    assert "MLP step 784-256-10 batch 256 float32" in names
    assert all(t["ratio"] >= 0 and t["limit"] >= 0 for t in targets)


def test_unknown_section_is_rejected(capsys):
    with pytest.raises(SystemExit):
        run.main(["--only", "nonsense"])
    assert "unknown section" in capsys.readouterr().err
