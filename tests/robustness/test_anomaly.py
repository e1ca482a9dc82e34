"""detect_anomaly(): NaN/inf in backward (and NaN in forward) raise naming the op and line."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from autograd_lite import AnomalyError, Function, Tensor, detect_anomaly, is_anomaly_enabled

THIS_FILE = __file__
# the faults provoked here make NumPy warn (divide by zero, invalid value); that is expected
pytestmark = pytest.mark.filterwarnings("ignore:.*encountered:RuntimeWarning")


def _line_of(marker: str) -> int:
    """The line number of this file's line containing ``marker`` (a comment)."""
    with open(THIS_FILE, encoding="utf-8") as source:
        for number, line in enumerate(source, start=1):
            if marker in line and "_line_of" not in line:
                return number
    raise AssertionError(marker)


def test_backward_inf_names_the_op_input_and_call_site() -> None:
    x = Tensor([0.0, 4.0], requires_grad=True)
    with detect_anomaly(), pytest.raises(AnomalyError) as excinfo:
        y = x.sqrt()  # MARK-sqrt
        (y * 3.0).sum().backward()
    message = str(excinfo.value)
    assert message.startswith("Sqrt.backward produced 1 inf in the gradient of input 0")
    assert f"{THIS_FILE}:{_line_of('MARK-sqrt')}" in message
    assert "y = x.sqrt()" in message


def test_backward_inf_from_log_at_zero_with_forward_checks_off() -> None:
    # forward log(-1) is NaN, but with check_forward=False only backward is checked: 1/0
    x = Tensor([-1.0, 0.0, 2.0], requires_grad=True)
    with detect_anomaly(check_forward=False), pytest.raises(AnomalyError) as excinfo:
        x.log().sum().backward()  # MARK-log
    message = str(excinfo.value)
    assert "Log.backward produced 1 inf" in message
    assert f":{_line_of('MARK-log')} in " in message


def test_forward_nan_is_reported_at_the_op_that_made_it() -> None:
    x = Tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly(), pytest.raises(AnomalyError) as excinfo:
        zero_times_log = (x * 0.0) * x.log()  # 0 * -inf = NaN  # MARK-mul
        zero_times_log.sum().backward()
    message = str(excinfo.value)
    assert message.startswith("Mul produced 1 NaN in forward output 0")
    assert f":{_line_of('MARK-mul')} in " in message


def test_nan_already_in_the_inputs_is_not_blamed_on_the_op() -> None:
    # forward NaN that came in with the data is not a new anomaly; the op passes it on
    x = Tensor([np.nan, 1.0], requires_grad=True)
    with detect_anomaly():
        y = x * 2.0
    assert np.isnan(y.data[0])


def test_custom_function_named_in_the_error() -> None:
    class Reciprocal(Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return 1.0 / np.where(a == 0, 1.0, a)

        @staticmethod
        def backward(ctx, grad_output):
            (a,) = ctx.saved_tensors
            with np.errstate(divide="ignore"):
                return -grad_output / (a * a)

    x = Tensor([0.0, 2.0], requires_grad=True)
    with detect_anomaly(), pytest.raises(AnomalyError, match=r"^Reciprocal.backward produced"):
        Reciprocal.apply(x).sum().backward()


def test_non_finite_seed_gradient_is_reported_as_such() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    with detect_anomaly(), pytest.raises(AnomalyError, match="arriving at output 0 already holds"):
        (x * 2.0).backward(np.array([np.inf, 1.0]))


def test_without_detect_anomaly_the_nan_passes_silently() -> None:
    x = Tensor([0.0, 4.0], requires_grad=True)
    x.sqrt().sum().backward()
    assert np.isinf(x.grad.data[0])


def test_finite_computation_is_unchanged_under_detect_anomaly() -> None:
    x = Tensor([0.5, 2.0], requires_grad=True)
    with detect_anomaly():
        (x.log() * x.sigmoid()).sum().backward()
    expected = 1 / x.data * (1 / (1 + np.exp(-x.data))) + np.log(x.data) * (
        np.exp(-x.data) / (1 + np.exp(-x.data)) ** 2
    )
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-12)


def test_decorator_form_and_state_restored() -> None:
    @detect_anomaly()
    def inside() -> bool:
        return is_anomaly_enabled()

    assert not is_anomaly_enabled()
    assert inside()
    assert not is_anomaly_enabled()
    with detect_anomaly():
        with detect_anomaly(check_forward=False):
            assert is_anomaly_enabled()
        assert is_anomaly_enabled()
    assert not is_anomaly_enabled()


def test_anomaly_mode_is_thread_local() -> None:
    seen: list[bool] = []
    with detect_anomaly():
        thread = threading.Thread(target=lambda: seen.append(is_anomaly_enabled()))
        thread.start()
        thread.join()
    assert seen == [False]


def test_the_call_site_is_outside_nn() -> None:
    from nn import Linear, MSELoss

    model = Linear(1, 1)
    model.weight.data = np.array([[np.inf]])
    with detect_anomaly(check_forward=False), pytest.raises(AnomalyError) as excinfo:
        loss = MSELoss()(model(Tensor([[0.0]])), [[0.0]])  # MARK-nn
        loss.backward()
    message = str(excinfo.value)
    assert f":{_line_of('MARK-nn')} in " in message
    assert "/nn/" not in message.split(" created at ")[-1]


def test_docs_sqrt_example_run_as_a_script_prints_what_the_page_shows(tmp_path) -> None:
    import re
    import subprocess
    import sys
    from pathlib import Path

    page = Path(__file__).parents[2] / "docs" / "errors_and_anomaly.md"
    code, shown = re.search(
        r"```python\n([^`]*?root = x\.sqrt\(\).*?)```\s*```text\n(.*?)```",
        page.read_text(encoding="utf-8"),
        re.S,
    ).groups()
    script = tmp_path / "example.py"
    script.write_text(code, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout == shown.replace(".../example.py", str(script))
