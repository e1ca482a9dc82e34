"""examples/09_digits_cnn.py: the CNN learns the digits in quick mode, every parameter gets a
gradient, the filters picture is a PNG where asked, and a missing extra gives exit status 2."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import EXAMPLES, directional_derivative_gap, load_example

SCRIPT = "09_digits_cnn.py"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
INSTALL_HINT = 'pip install -e ".[examples]"'


def block_import(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Make ``import name`` raise ImportError, as if the package were not installed."""
    for name in names:
        monkeypatch.setitem(sys.modules, name, None)


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's header; fails when the file is not a PNG."""
    data = path.read_bytes()
    assert data[:8] == PNG_SIGNATURE, f"{path} is not a PNG file"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_quick_run_learns_the_digits_and_every_parameter_gets_a_gradient(tmp_path, capsys):
    pytest.importorskip("sklearn", reason="the digits data set ships inside scikit-learn")
    pytest.importorskip("matplotlib", reason="the filters picture needs matplotlib")
    result = load_example(SCRIPT).main(quick=True, out_dir=tmp_path)
    out = capsys.readouterr().out

    assert result["epochs"] == 3 and len(result["epoch_losses"]) == 3
    # 10 classes: chance is 10%; three epochs of a working CNN get past 90% on unseen images
    assert result["test_accuracy"] >= 0.9
    assert result["train_accuracy"] >= 0.9
    # the mean training loss falls every epoch, from near log(10) = 2.3 towards the floor of
    # the label-smoothed target's entropy (about 0.50)
    losses = result["epoch_losses"]
    assert losses[0] > losses[1] > losses[2] and losses[-1] < 0.6 * losses[0]

    # diagnose_grads ran on the trained model: all 14 parameters (the weights and biases of
    # 3 convolutions and the linear layer, 3 BatchNorms' scales and shifts) get a gradient
    diagnosis = result["diagnosis"]
    statuses = {param.name: param.status for param in diagnosis}
    assert len(statuses) == 14 and set(statuses.values()) == {"fine"}, statuses
    assert diagnosis["0.weight"].shape == (32, 1, 5, 5) and diagnosis["0.weight"].grad_norm > 0
    assert "diagnose_grads: 14 of 14 parameters get a gradient" in out

    picture = tmp_path / "digits_cnn_filters.png"
    assert result["picture"] == picture
    width, height = png_size(picture)
    assert width > 800 and height > 300  # 32 filters and 32 maps, not an empty figure
    assert f"filters written to {picture}" in out
    assert f"{result['test_accuracy']:.2%} on test images" in out
    assert f"trained for 3 epochs in {result['seconds']:.1f} s" in out


def test_shifted_digits_moves_each_image_by_at_most_one_pixel():
    module = load_example(SCRIPT)
    image = np.zeros((1, 1, 8, 8))
    image[0, 0, 3, 4] = 1.0  # one bright pixel: where it lands is the shift
    data = module.ShiftedDigits(image, np.array([7]), np.random.default_rng(0), max_shift=1)
    seen = set()
    for _ in range(200):
        window, label = data[0]
        assert window.shape == (1, 8, 8) and label == 7 and window.sum() == 1.0
        row, column = np.argwhere(window[0] == 1.0)[0]
        seen.add((int(row) - 3, int(column) - 4))
    assert seen == {(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)}  # all nine, no more

    unshifted = module.ShiftedDigits(image, np.array([7]), np.random.default_rng(0), max_shift=0)
    assert np.array_equal(unshifted[0][0], image[0])


def test_command_line_sends_the_picture_where_asked(tmp_path):
    module = load_example(SCRIPT)
    picture = tmp_path / "docs" / "digits_cnn_filters.png"
    arguments = module.parse_arguments(["--quick", "--filters-to", str(picture), "--no-shift"])
    assert arguments.quick and arguments.no_shift and arguments.filters_to == picture
    assert module.parse_arguments([]).out == module.OUT_DIR == EXAMPLES.parent / "out"


def test_quick_mode_comes_from_the_environment(monkeypatch):
    module = load_example(SCRIPT)
    monkeypatch.setenv("AUTOGRAD_LITE_QUICK", "1")
    assert module.quick_from_environment() is True
    monkeypatch.setenv("AUTOGRAD_LITE_QUICK", "0")
    assert module.quick_from_environment() is False


def test_without_matplotlib_it_trains_and_says_what_to_install(tmp_path, capsys, monkeypatch):
    pytest.importorskip("sklearn", reason="the digits data set ships inside scikit-learn")
    block_import(monkeypatch, "matplotlib", "matplotlib.pyplot")
    result = load_example(SCRIPT).main(quick=True, epochs=1, filters_to=tmp_path / "f.png")
    out = capsys.readouterr().out
    assert result["picture"] is None and not (tmp_path / "f.png").exists()
    assert result["test_accuracy"] > 0.3  # one epoch already far above chance
    assert INSTALL_HINT in out


def test_without_scikit_learn_exits_with_status_2(tmp_path, capsys, monkeypatch):
    block_import(monkeypatch, "sklearn", "sklearn.datasets")
    picture = tmp_path / "filters.png"
    monkeypatch.setattr(sys, "argv", [SCRIPT, "--quick", "--filters-to", str(picture)])
    with pytest.raises(SystemExit) as exit_info:  # as `python examples/09_digits_cnn.py ...`
        runpy.run_path(str(EXAMPLES / SCRIPT), run_name="__main__")
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "scikit-learn" in error and INSTALL_HINT in error
    assert not picture.exists()


def test_the_cnn_gradients_match_finite_differences(monkeypatch):
    # A wrong gradient in one layer can still leave the quick run above 90% (the other layers
    # make up for it); this checks backward() through every layer of the example's CNN in
    # training mode (batch statistics, a fixed dropout mask), in float64.
    import nn

    module = load_example(SCRIPT)
    monkeypatch.setattr(module, "DTYPE", np.float64)
    nn.manual_seed(0)
    model = module.build_model()
    rng = np.random.default_rng(0)
    images, labels = rng.random((6, 1, 8, 8)), rng.integers(0, 10, size=6)
    loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)

    def loss_of():
        nn.manual_seed(1)  # the same dropout mask on every call
        return loss_fn(model(module.Tensor(images)), labels)

    assert directional_derivative_gap(list(model.parameters()), loss_of) < 1e-5
