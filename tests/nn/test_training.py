"""nn.fit: batching, shuffling, stopping rules, the returned history and the progress bar."""

from __future__ import annotations

import io
import re
import sys
from pathlib import Path

import numpy as np
import pytest

import nn
from autograd_lite import Tensor
from nn import training

INPUTS = np.linspace(-1.0, 1.0, 10).reshape(10, 1)
TARGETS = 3.0 * INPUTS - 0.5


class RecordingLoss(nn.Module):
    """MSE that remembers which targets each batch held (to observe batching and order)."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[np.ndarray] = []

    def forward(self, prediction: Tensor, target: np.ndarray) -> Tensor:
        self.batches.append(np.asarray(target).ravel().copy())
        return nn.MSELoss()(prediction, target)


class TerminalStream(io.StringIO):
    def isatty(self) -> bool:
        return True


def linear_problem(lr: float = 0.1):
    nn.manual_seed(0)
    model = nn.Linear(1, 1)
    return model, nn.optim.SGD(model.parameters(), lr=lr)


def test_mini_batches_cover_every_sample_once_per_epoch():
    model, optimizer = linear_problem()
    loss = RecordingLoss()
    history = nn.fit(model, loss, optimizer, INPUTS, TARGETS, epochs=3, batch_size=4, quiet=True)
    assert len(history) == 3
    assert [len(batch) for batch in loss.batches] == [4, 4, 2] * 3
    for epoch in range(3):
        seen = np.concatenate(loss.batches[3 * epoch : 3 * epoch + 3])
        np.testing.assert_array_equal(np.sort(seen), np.sort(TARGETS.ravel()))


def test_shuffling_changes_the_order_and_is_reproducible():
    orders = []
    for _ in range(2):
        model, optimizer = linear_problem()
        loss = RecordingLoss()
        nn.fit(
            model,
            loss,
            optimizer,
            INPUTS,
            TARGETS,
            epochs=2,
            batch_size=10,
            generator=np.random.default_rng(5),
            quiet=True,
        )
        orders.append(loss.batches)
    np.testing.assert_array_equal(orders[0][0], orders[1][0])  # same generator, same order
    assert not np.array_equal(orders[0][0], orders[0][1])  # a new order every epoch
    assert not np.array_equal(orders[0][0], TARGETS.ravel())


def test_without_shuffle_the_data_order_is_kept():
    model, optimizer = linear_problem()
    loss = RecordingLoss()
    nn.fit(
        model, loss, optimizer, INPUTS, TARGETS, epochs=1, batch_size=3, shuffle=False, quiet=True
    )
    np.testing.assert_array_equal(np.concatenate(loss.batches), TARGETS.ravel())


def test_full_batch_history_is_the_loss_before_each_update():
    model, optimizer = linear_problem()
    history = nn.fit(
        model, nn.MSELoss(), optimizer, INPUTS, TARGETS, epochs=5, shuffle=False, quiet=True
    )

    by_hand_model, by_hand_optimizer = linear_problem()
    expected = []
    for _ in range(5):
        by_hand_optimizer.zero_grad()
        loss = nn.MSELoss()(by_hand_model(Tensor(INPUTS)), TARGETS)
        loss.backward()
        by_hand_optimizer.step()
        expected.append(loss.item())
    assert history == expected
    np.testing.assert_array_equal(model.weight.numpy(), by_hand_model.weight.numpy())


def test_mini_batch_history_is_the_size_weighted_mean_of_batch_losses():
    model, optimizer = linear_problem(lr=0.0)  # no learning: every batch sees the same model
    history = nn.fit(
        model, nn.MSELoss(), optimizer, INPUTS, TARGETS, epochs=1, batch_size=3, quiet=True
    )
    full_loss = nn.MSELoss()(model(Tensor(INPUTS)), TARGETS).item()
    assert history[0] == pytest.approx(full_loss, rel=1e-14)


def test_stops_at_the_first_epoch_below_the_threshold():
    model, optimizer = linear_problem()
    history = nn.fit(
        model,
        nn.MSELoss(),
        optimizer,
        INPUTS,
        TARGETS,
        epochs=5000,
        loss_threshold=1e-4,
        quiet=True,
    )
    assert history[-1] < 1e-4 and all(value >= 1e-4 for value in history[:-1])
    assert len(history) < 5000


def test_integer_class_targets_train_with_cross_entropy():
    rng = np.random.default_rng(0)
    points = rng.normal(size=(60, 2))
    labels = (points[:, 0] + points[:, 1] > 0).astype(np.int64)
    nn.manual_seed(3)
    model = nn.MLP([2, 8, 2], activation=nn.ReLU)
    optimizer = nn.optim.Adam(model.parameters(), lr=0.05)
    history = nn.fit(
        model,
        nn.CrossEntropyLoss(),
        optimizer,
        points,
        labels,
        epochs=30,
        batch_size=16,
        quiet=True,
    )
    assert history[-1] < 0.5 * history[0]
    predicted = model(Tensor(points)).numpy().argmax(axis=1)
    assert (predicted == labels).mean() > 0.9


def test_progress_bar_only_on_a_terminal_and_not_when_quiet():
    terminal = TerminalStream()
    model, optimizer = linear_problem()
    history = nn.fit(model, nn.MSELoss(), optimizer, INPUTS, TARGETS, epochs=3, stream=terminal)
    text = terminal.getvalue()
    assert text.startswith("\repoch") and text.endswith("\n")  # tqdm's line, redrawn
    final = text.rstrip("\n").split("\r")[-1]
    assert "3/3" in final and f"loss={history[-1]:.6g}" in final and "lr=0.1" in final

    quiet_terminal = TerminalStream()
    nn.fit(
        model, nn.MSELoss(), optimizer, INPUTS, TARGETS, epochs=3, stream=quiet_terminal, quiet=True
    )
    assert quiet_terminal.getvalue() == ""

    pipe = io.StringIO()  # not a TTY
    nn.fit(model, nn.MSELoss(), optimizer, INPUTS, TARGETS, epochs=3, stream=pipe)
    assert pipe.getvalue() == ""


def test_the_bar_is_shown_in_a_notebook_even_without_a_terminal(monkeypatch):
    class ZMQInteractiveShell:  # what get_ipython() returns in a Jupyter kernel
        pass

    fake_ipython = type(sys)("IPython")
    fake_ipython.get_ipython = ZMQInteractiveShell
    monkeypatch.setitem(sys.modules, "IPython", fake_ipython)
    drawn = []
    monkeypatch.setattr(training, "_progress_bar", lambda *args, enabled: drawn.append(enabled))
    model, optimizer = linear_problem()
    nn.fit(model, nn.MSELoss(), optimizer, INPUTS, TARGETS, epochs=1, stream=io.StringIO())
    assert drawn == [True]


def test_training_mode_is_restored():
    model, optimizer = linear_problem()
    model.eval()
    seen_modes = []

    def loss_fn(prediction, target):
        seen_modes.append(model.training)
        return nn.MSELoss()(prediction, target)

    nn.fit(model, loss_fn, optimizer, INPUTS, TARGETS, epochs=1, quiet=True)
    assert seen_modes == [True] and model.training is False


def test_each_submodule_gets_its_own_mode_back():
    nn.manual_seed(0)
    model = nn.Sequential(nn.Linear(1, 1), nn.Dropout(0.0))
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    model[1].eval()  # the outer model trains, its dropout stays off
    seen_modes = []

    def loss_fn(prediction, target):
        seen_modes.append([module.training for module in model.modules()])
        return nn.MSELoss()(prediction, target)

    nn.fit(model, loss_fn, optimizer, INPUTS, TARGETS, epochs=1, quiet=True)
    assert seen_modes == [[True, True, True]]
    assert [module.training for module in model.modules()] == [True, True, False]


@pytest.mark.parametrize(
    "settings, message",
    [
        (dict(targets=TARGETS[:5]), "inputs have 10 samples .* targets have 5"),
        (dict(batch_size=0), "batch_size must be a positive integer, got 0"),
        (dict(epochs=2.5), "epochs must be a positive integer"),
        (dict(inputs=np.float64(1.0)), "sample axis"),
    ],
)
def test_bad_arguments_are_explained(settings, message):
    model, optimizer = linear_problem()
    arguments = {"inputs": INPUTS, "targets": TARGETS, **settings}
    inputs, targets = arguments.pop("inputs"), arguments.pop("targets")
    with pytest.raises(ValueError, match=message):
        nn.fit(model, nn.MSELoss(), optimizer, inputs, targets, quiet=True, **arguments)


def test_documentation_example_runs(tmp_path, monkeypatch, capsys):
    page = Path(__file__).resolve().parents[2] / "docs" / "nn.md"
    code = re.search(r"```python\n(.*?)```", page.read_text(), re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(page), "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[-2] == "w5+ = 0.35891648"  # document 002
    assert float(printed[-1].split()[1]) < 1e-4
    assert (tmp_path / "model.safetensors").exists()
    assert (tmp_path / "model.optimizer.safetensors").exists()


# ---------------------------------------------------------------- DataLoader, scheduler, clipping


def test_a_dataloader_gives_the_same_training_as_arrays_with_the_same_generator():
    model, optimizer = linear_problem()
    by_arrays = nn.fit(model, nn.MSELoss(), optimizer, INPUTS, TARGETS, epochs=4, batch_size=3,
                       generator=np.random.default_rng(2), quiet=True)  # fmt: skip
    loader_model, loader_optimizer = linear_problem()
    loader = nn.data.DataLoader(nn.data.TensorDataset(INPUTS, TARGETS), batch_size=3,
                                shuffle=True, generator=np.random.default_rng(2))  # fmt: skip
    by_loader = nn.fit(loader_model, nn.MSELoss(), loader_optimizer, loader, epochs=4,
                       quiet=True)  # fmt: skip
    np.testing.assert_allclose(by_loader, by_arrays, rtol=1e-12)
    np.testing.assert_allclose(loader_model.weight.numpy(), model.weight.numpy(), rtol=1e-12)


def test_drop_last_weights_the_epoch_loss_by_the_samples_used():
    model, optimizer = linear_problem(lr=0.0)
    loader = nn.data.DataLoader(nn.data.TensorDataset(INPUTS, TARGETS), batch_size=4,
                                drop_last=True)  # fmt: skip
    (loss,) = nn.fit(model, nn.MSELoss(), optimizer, loader, epochs=1, quiet=True)
    expected = nn.MSELoss()(model(Tensor(INPUTS[:8])), TARGETS[:8]).item()
    assert loss == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize("interval, steps", [("epoch", 3), ("batch", 9)])
def test_the_scheduler_steps_every_epoch_or_every_batch(interval, steps):
    model, optimizer = linear_problem()
    scheduler = nn.optim.lr_scheduler.ExponentialLR(optimizer, gamma=0.5)
    loader = nn.data.DataLoader(nn.data.TensorDataset(INPUTS, TARGETS), batch_size=4)
    nn.fit(model, nn.MSELoss(), optimizer, loader, epochs=3, scheduler=scheduler,
           scheduler_interval=interval, quiet=True)  # fmt: skip
    assert scheduler.last_epoch == steps
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1 * 0.5**steps)


def test_max_grad_norm_clips_before_each_step():
    model, optimizer = linear_problem(lr=1.0)
    nn.fit(model, nn.MSELoss(), optimizer, INPUTS, TARGETS, epochs=1, shuffle=False,
           max_grad_norm=1e-3, quiet=True)  # fmt: skip
    by_hand, by_hand_optimizer = linear_problem(lr=1.0)
    by_hand_optimizer.zero_grad()
    nn.MSELoss()(by_hand(Tensor(INPUTS)), TARGETS).backward()
    nn.utils.clip_grad_norm_(by_hand.parameters(), 1e-3)
    by_hand_optimizer.step()
    np.testing.assert_array_equal(model.weight.numpy(), by_hand.weight.numpy())


@pytest.mark.parametrize(
    "settings, message",
    [
        (dict(targets=TARGETS), r"leave out \['targets'\]"),
        (dict(batch_size=2, shuffle=False), r"leave out \['batch_size', 'shuffle'\]"),
        (dict(scheduler_interval="step"), "'epoch' or 'batch'"),
    ],
)
def test_bad_loader_arguments_are_explained(settings, message):
    model, optimizer = linear_problem()
    loader = nn.data.DataLoader(nn.data.TensorDataset(INPUTS, TARGETS))
    with pytest.raises(ValueError, match=message):
        nn.fit(model, nn.MSELoss(), optimizer, loader, quiet=True, **settings)


def test_a_loader_that_does_not_yield_pairs_is_explained():
    model, optimizer = linear_problem()
    loader = nn.data.DataLoader(nn.data.TensorDataset(INPUTS, TARGETS, TARGETS))
    with pytest.raises(ValueError, match="batch 0 of the DataLoader is not a pair"):
        nn.fit(model, nn.MSELoss(), optimizer, loader, quiet=True)
