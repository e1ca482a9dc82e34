"""Examples 04-06 (XOR, two moons, digits) train to their claimed results and draw their PNGs."""

from __future__ import annotations

import inspect
import math
import runpy
import sys
from pathlib import Path

import pytest

from tests.helpers import EXAMPLES, load_example

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"  # the eight bytes every PNG file starts with
INSTALL_HINT = 'pip install -e ".[examples]"'


def assert_is_png(path: Path) -> None:
    assert path.is_file(), f"{path} was not written"
    with path.open("rb") as picture:
        assert picture.read(8) == PNG_SIGNATURE, f"{path} is not a PNG file"
    assert path.stat().st_size > 1000, f"{path} is too small to hold a picture"


def block_import(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Make ``import name`` raise ImportError, as if the package were not installed."""
    for name in names:
        monkeypatch.setitem(sys.modules, name, None)


def test_04_xor_learns_the_truth_table(capsys):
    result = load_example("04_xor.py").main()
    out = capsys.readouterr().out
    assert result["accuracy"] == 1.0
    assert result["loss"] < 0.01
    # one row per input pair, each predicted right
    for x1, x2, target in ((0, 0, 0), (0, 1, 1), (1, 0, 1), (1, 1, 0)):
        row = next(line for line in out.splitlines() if line.split()[:3] == [str(x1), str(x2), "|"])
        assert row.split()[3] == str(target) and row.endswith("ok"), row


def test_04_xor_is_not_learned_without_enough_training():
    # the same network after 5 updates is still near chance: the result above comes from training
    result = load_example("04_xor.py").main(epochs=5)
    assert result["loss"] > 0.5


def test_05_two_moons_separates_the_moons_and_draws_the_boundary(tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the decision-boundary picture needs matplotlib")
    picture = tmp_path / "moons.png"
    result = load_example("05_two_moons.py").main(output=picture)
    assert result["loss"] < 0.05
    assert result["accuracy"] >= 0.97
    assert result["test_accuracy"] >= 0.95  # points never trained on
    assert result["picture"] == picture
    assert_is_png(picture)
    assert f"decision boundary written to {picture}" in capsys.readouterr().out


def test_05_two_moons_without_matplotlib_trains_and_says_what_to_install(
    tmp_path, capsys, monkeypatch
):
    block_import(monkeypatch, "matplotlib", "matplotlib.pyplot")
    picture = tmp_path / "moons.png"
    result = load_example("05_two_moons.py").main(output=picture, samples=100, epochs=5)
    out = capsys.readouterr().out
    assert math.isfinite(result["loss"]) and "accuracy:" in out
    assert result["picture"] is None and not picture.exists()
    assert INSTALL_HINT in out


def test_06_digits_reaches_95_percent_test_accuracy(tmp_path):
    pytest.importorskip("sklearn", reason="the digits data set ships inside scikit-learn")
    pytest.importorskip("matplotlib", reason="the loss-curve picture needs matplotlib")
    picture = tmp_path / "digits_loss.png"
    result = load_example("06_digits.py").main(output=picture)  # the script's own settings
    assert result["test_accuracy"] >= 0.95  # the bar, on 449 images never trained on
    assert result["loss"] < 0.1
    assert result["test_losses"][-1] < result["test_losses"][0] / 5
    assert result["seconds"] < 60
    assert result["picture"] == picture
    assert_is_png(picture)


def test_06_digits_without_scikit_learn_exits_with_status_2(tmp_path, capsys, monkeypatch):
    block_import(monkeypatch, "sklearn", "sklearn.datasets")
    picture = tmp_path / "digits_loss.png"
    monkeypatch.setattr(sys, "argv", ["06_digits.py", str(picture)])
    with pytest.raises(SystemExit) as exit_info:  # run as `python examples/06_digits.py out.png`
        runpy.run_path(str(EXAMPLES / "06_digits.py"), run_name="__main__")
    assert exit_info.value.code == 2
    assert INSTALL_HINT in capsys.readouterr().err
    assert not picture.exists()


@pytest.mark.parametrize("script", ["05_two_moons.py", "06_digits.py"])
def test_05_and_06_draw_into_out_by_default_not_into_docs(script):
    # issue 22: the examples' pictures go to the clone's git-ignored out/, never into docs/
    default = load_example(script).DEFAULT_OUTPUT
    assert default.parent == EXAMPLES.parent / "out"


@pytest.mark.parametrize(
    "script",
    ["09_digits_cnn.py", "10_names.py", "11_sorting_transformer.py", "12_transforms_and_hooks.py"],
)
def test_09_to_12_draw_into_out_by_default_not_into_docs_or_the_cwd(script):
    main = load_example(script).main
    assert inspect.signature(main).parameters["out_dir"].default == EXAMPLES.parent / "out"
