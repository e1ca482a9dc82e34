"""Example 10 (names, makemore style): its data split, its models, and a quick-mode run."""

from __future__ import annotations

import math
import re
import runpy
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.helpers import EXAMPLES, directional_derivative_gap, load_example

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
INSTALL_HINT = 'pip install -e ".[examples]"'
ORDER = ("bigram", "mlp", "gru", "gpt")


@pytest.fixture(scope="module")
def example() -> Any:
    pytest.importorskip("faker", reason="the names ship inside faker")
    return load_example("10_names.py")


@pytest.fixture(scope="module")
def quick_run(example: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One quick-mode run, shared by the tests that look at its results."""
    pytest.importorskip("matplotlib", reason="the picture needs matplotlib")
    result: dict[str, Any] = example.main(quick=True, out_dir=tmp_path_factory.mktemp("out"))
    return result


def test_names_are_plain_lowercase_unique_and_sorted(example: Any) -> None:
    names = example.load_names()
    assert len(names) > 5000  # several locales, not one
    assert all(re.fullmatch("[a-z]+", name) for name in names)
    assert names == sorted(set(names))
    assert "emma" in names and "jürgen" not in names  # an accented name is dropped


def test_split_is_deterministic_disjoint_and_complete(example: Any) -> None:
    names = example.load_names()
    train, validation = example.split_names(names, 0.1, seed=0)
    again = example.split_names(names, 0.1, seed=0)
    assert (train, validation) == again
    assert not set(train) & set(validation)
    assert sorted(train + validation) == names
    assert len(validation) == round(0.1 * len(names))
    other_train, _ = example.split_names(names, 0.1, seed=1)
    assert other_train != train  # the seed decides the split


def test_every_model_is_scored_on_the_same_pairs(example: Any) -> None:
    names = ["emma", "bo"]
    inputs, targets = example.encode(names, 6)
    assert inputs.tolist() == [[0, 5, 13, 13, 1, 0], [0, 2, 15, 0, 0, 0]]  # ".emma", ".bo"
    assert targets.tolist()[1] == [2, 15, 0, -100, -100, -100]  # "bo." then padding
    contexts, following = example.windows(inputs, targets, 3)
    assert len(following) == len("emma.") + len("bo.")  # one prediction per letter and end
    assert contexts[3].tolist() == [5, 13, 13] and following[3] == 1  # "emm" -> a
    assert contexts[4].tolist() == [13, 13, 1] and following[4] == 0  # "mma" -> end
    assert contexts[5].tolist() == [0, 0, 0] and following[5] == 2  # "..." -> b


def test_gpt_is_causal(example: Any) -> None:
    import nn

    nn.manual_seed(0)
    model = example.GPT(8, embed=16, heads=2, layers=2, dropout=0.0)
    inputs = np.array([[0, 5, 13, 13, 1, 0, 0, 0]])
    changed = inputs.copy()
    changed[0, 4] = 26
    before, after = model(inputs).numpy(), model(changed).numpy()
    assert np.allclose(before[0, :4], after[0, :4])  # the past does not see the future
    assert not np.allclose(before[0, 4:], after[0, 4:])


def test_quick_run_models_beat_uniform_and_the_simpler_models(quick_run: dict[str, Any]) -> None:
    losses = [quick_run["models"][name]["loss"] for name in ORDER]
    assert all(math.isfinite(loss) and loss < math.log(27) for loss in losses), losses
    # the full ladder needs the defaults (minutes); 150 steps of the GPT only pass the table
    assert losses[0] > losses[1] > losses[2], dict(zip(ORDER, losses))
    assert losses[3] < losses[0] - 0.1, dict(zip(ORDER, losses))


def test_quick_run_networks_learned_during_training(quick_run: dict[str, Any]) -> None:
    for name, curve in quick_run["curves"].items():
        losses = [loss for _, loss in curve]
        assert losses[-1] < losses[0] - 0.8, (name, losses)  # from about log(27) to a model


def test_quick_run_samples_are_names_of_a_to_z(quick_run: dict[str, Any]) -> None:
    for name in ORDER:
        samples = quick_run["models"][name]["samples"]
        assert len(samples) == 6
        assert all(re.fullmatch("[a-z]*", sample) for sample in samples), (name, samples)
        assert sum(len(sample) for sample in samples) > 6  # not all empty


def test_quick_run_writes_its_picture(quick_run: dict[str, Any]) -> None:
    picture = quick_run["picture"]
    assert isinstance(picture, Path) and picture.name == "names_models.png"
    with picture.open("rb") as file:
        assert file.read(8) == PNG_SIGNATURE
    assert picture.stat().st_size > 10_000


def test_without_faker_exits_with_status_2(tmp_path: Path, capsys, monkeypatch) -> None:
    for name in ("faker", "faker.providers", "faker.providers.person"):
        monkeypatch.setitem(sys.modules, name, None)  # as if faker were not installed
    monkeypatch.setattr(sys, "argv", ["10_names.py", "--out", str(tmp_path)])
    with pytest.raises(SystemExit) as exit_info:  # run as `python examples/10_names.py`
        runpy.run_path(str(EXAMPLES / "10_names.py"), run_name="__main__")
    assert exit_info.value.code == 2
    assert INSTALL_HINT in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["mlp", "gru", "gpt"])
def test_network_gradients_match_finite_differences(example: Any, name: str, monkeypatch) -> None:
    # The quick run's losses show that the networks learn, not that every gradient is right:
    # a wrong one in the attention still leaves the GPT far below the bigram table. This
    # checks backward() through each whole network in float64, in training mode (dropout on,
    # with a fixed mask).
    import nn

    monkeypatch.setattr(example, "DTYPE", np.float64)
    network, sizes, _, _ = example.NETWORKS[name]
    nn.manual_seed(0)
    model = network(length=8, **sizes) if name == "gpt" else network(**sizes)
    inputs, targets = example.encode(["emma", "bo", "olivia"], 8)
    if name == "mlp":
        inputs, targets = example.windows(inputs, targets, sizes["context"])

    def loss_of():
        nn.manual_seed(1)  # the same dropout mask on every call
        return example.mean_loss(model, inputs, targets)

    assert directional_derivative_gap(list(model.parameters()), loss_of) < 1e-5
