"""Runs examples/07_custom_function_gradcheck.py and checks what it prints."""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np
import pytest

from autograd_lite import GradcheckError, Tensor, gradcheck

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "07_custom_function_gradcheck.py"


def test_example_07_runs_and_shows_the_report(capsys: pytest.CaptureFixture) -> None:
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert out.count("gradcheck -> True") == 2  # the correct Function and the Values
    assert "gradcheck failed for BrokenScaledSoftplus.apply" in out
    assert "input  input index  output  output index  analytic  numerical" in out
    assert "built-in ops: True" in out
    assert "the custom Function: False" in out


def test_example_07_broken_backward_is_wrong_exactly_on_the_diagonal_for_x() -> None:
    namespace = runpy.run_path(str(EXAMPLE))  # not __main__: defines, does not run
    rng = np.random.default_rng(3)
    x = Tensor(rng.normal(size=(2, 3)) + 1.0, requires_grad=True)
    w = Tensor([0.5, 1.0, 2.0], requires_grad=True)
    assert gradcheck(namespace["ScaledSoftplus"].apply, (x, w))
    with pytest.raises(GradcheckError) as info:
        gradcheck(namespace["BrokenScaledSoftplus"].apply, (x, w))
    mismatches = info.value.report.mismatches
    assert {row.input_position for row in mismatches} == {0}  # w's gradient is right
    assert all(row.input_index == row.output_index for row in mismatches)
    worst = mismatches[0]
    x_value = x.numpy()[worst.input_index]
    w_value = w.numpy()[worst.input_index[1]]
    # the slip computes w * sigmoid(-x); the truth is w * sigmoid(x)
    assert worst.analytic == pytest.approx(w_value / (1 + np.exp(x_value)), rel=1e-9)
    assert worst.numerical == pytest.approx(w_value / (1 + np.exp(-x_value)), rel=1e-6)
