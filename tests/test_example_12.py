"""examples/12_transforms_and_hooks.py in quick mode: Newton's method with `hessian` reaches
(1, 1) in a few steps, and the hooks record gradients that vanish through a deep tanh MLP."""

from __future__ import annotations

import contextlib
import io
import sys
from typing import Any

import numpy as np
import pytest

import nn
from autograd_lite import Tensor, functional
from tests.helpers import load_example

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def module():
    return load_example("12_transforms_and_hooks.py")


@pytest.fixture(scope="module")
def quick_run(module, tmp_path_factory) -> dict[str, Any]:
    pytest.importorskip("matplotlib", reason='pip install -e ".[examples]"')
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        result = module.main(quick=True, out_dir=tmp_path_factory.mktemp("out"))
    result["printed"] = printed.getvalue()
    return result


def test_newton_reaches_the_minimum_in_a_few_steps(quick_run):
    points = quick_run["newton"]
    assert len(points) - 1 <= 8
    assert np.allclose(points[-1], [1.0, 1.0], atol=1e-10)
    distances = [np.linalg.norm(p - 1.0) for p in points]
    # quadratic convergence at the end: each error about the square of the one before
    assert distances[-3] < 1e-4 and distances[-2] < 1e-9
    # gradient descent, after 2000 steps (250 times as many), is still far away
    assert len(quick_run["descent"]) - 1 == 2000
    assert np.linalg.norm(quick_run["descent"][-1] - 1.0) > 0.1


def test_gradient_descent_takes_the_hand_derived_steps(module):
    path = module.gradient_descent((-1.2, 1.0), lr=1e-3, max_steps=50, tolerance=1e-4)
    assert len(path) == 51
    p = np.array([-1.2, 1.0])
    for point in path[1:]:
        x, y = p
        p = p - 1e-3 * np.array([2 * (x - 1) - 400 * x * (y - x * x), 200 * (y - x * x)])
        np.testing.assert_allclose(point, p, rtol=1e-12)


def hand_hessian(x: float, y: float) -> np.ndarray:
    # f = (1 - x)^2 + 100 (y - x^2)^2: f_xx = 2 + 1200 x^2 - 400 y, f_xy = -400 x, f_yy = 200
    return np.array([[2 + 1200 * x * x - 400 * y, -400 * x], [-400 * x, 200.0]])


@pytest.mark.parametrize("point", [(-1.2, 1.0), (0.3, -0.7), (1.0, 1.0), (2.5, 4.0)])
def test_hessian_matches_the_hand_derived_rosenbrock_hessian(module, point):
    hessian = functional.hessian(module.rosenbrock, Tensor(np.array(point))).numpy()
    np.testing.assert_allclose(hessian, hand_hessian(*point), rtol=1e-12, atol=1e-10)
    x, y = point
    gradient = functional.jacobian(module.rosenbrock, Tensor(np.array(point))).numpy()
    np.testing.assert_allclose(gradient, [2 * (x - 1) - 400 * x * (y - x * x), 200 * (y - x * x)])


def test_the_start_hessian_is_printed(quick_run):
    np.testing.assert_allclose(quick_run["start_hessian"], [[1330.0, 480.0], [480.0, 200.0]])
    assert "[[1330.  480.]\n [ 480.  200.]]" in quick_run["printed"]


def test_tanh_gradients_vanish_with_depth_and_the_others_do_not(quick_run):
    curves = quick_run["curves"]
    assert set(curves) == {"tanh", "tanh-xavier", "relu-kaiming"}
    tanh = curves["tanh"]
    assert len(tanh) == 16
    assert np.all(np.diff(tanh) > 0)  # smaller at every layer nearer the input
    assert tanh[0] / tanh[-1] < 1e-3
    for kind in ("tanh-xavier", "relu-kaiming"):
        assert 0.2 < curves[kind][0] / curves[kind][-1] < 10, kind
    assert "layer 1 gets" in quick_run["printed"]


def test_the_hooks_record_the_gradient_of_each_layer_output(module):
    nn.manual_seed(3)
    model = module.deep_mlp(5, 8, "tanh")
    x, target = np.random.default_rng(3).standard_normal((2, 4, 8))
    norms, remove = module.record_gradient_norms(model)
    outputs = []
    out = Tensor(x)
    for layer in model:  # the same forward pass, keeping each Linear output's .grad
        out = layer(out)
        if isinstance(layer, nn.Linear):
            out.retain_grad()
            outputs.append(out)
    nn.MSELoss()(out, target).backward()
    remove()
    expected = [np.linalg.norm(o.grad.numpy()) for o in outputs]
    np.testing.assert_allclose(norms[::-1], expected, rtol=1e-12)
    # the last output's gradient is the MSE's: 2 (out - target) / number of elements
    assert expected[-1] == pytest.approx(np.linalg.norm(2 * (out.numpy() - target) / 32))
    model(Tensor(x)).sum().backward()
    assert len(norms) == 5  # removed: the second pass records nothing


def test_both_pictures_are_written(quick_run):
    names = [path.name for path in quick_run["pictures"]]
    assert names == ["newton_rosenbrock.png", "gradient_norms.png"]
    for path in quick_run["pictures"]:
        assert path.read_bytes()[:8] == PNG


def test_missing_matplotlib_skips_the_pictures_with_the_hint(module, monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = module.main(quick=True, out_dir=tmp_path, max_descent_steps=10, depth=4, width=8)
    captured = capsys.readouterr()
    assert 'pip install -e ".[examples]"' in captured.out  # as 05, 06, 09 and 10 say it
    assert result["pictures"] == [] and not list(tmp_path.iterdir())
    assert np.allclose(result["newton"][-1], [1.0, 1.0])  # the numbers are all there
    assert len(result["curves"]["tanh"]) == 4
