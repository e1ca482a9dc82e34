"""examples/11_sorting_transformer.py in quick mode: the transformer learns to sort
sequences it never trained on, and the attention picture is written."""

from __future__ import annotations

import contextlib
import io
import sys
from typing import Any

import numpy as np
import pytest

from tests.helpers import load_example

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def module():
    pytest.importorskip("matplotlib", reason='pip install -e ".[examples]"')
    return load_example("11_sorting_transformer.py")


@pytest.fixture(scope="module")
def quick_run(module, tmp_path_factory) -> dict[str, Any]:
    """One quick-mode run, recording every batch the training loop draws."""
    drawn: list[tuple[np.ndarray, np.ndarray]] = []
    original = module.draw_sequences

    def recording(rng, count, length, digits, avoid):
        sequences = original(rng, count, length, digits, avoid)
        drawn.append((sequences, avoid))
        return sequences

    module.draw_sequences = recording
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            result = module.main(quick=True, out_dir=tmp_path_factory.mktemp("out"))
    finally:
        module.draw_sequences = original
    result["drawn"] = drawn
    result["printed"] = printed.getvalue()
    return result


def test_quick_mode_sorts_held_out_sequences_far_above_chance(quick_run):
    # a random guess of six digits is right with probability 1e-6; the quick run (100
    # steps) measured 67-89% over four seeds
    assert quick_run["accuracy"] > 0.5
    assert f"{quick_run['accuracy']:.2%} on the 500 held-out" in quick_run["printed"]
    losses = quick_run["losses"]
    assert np.mean(losses[-10:]) < 0.25 * np.mean(losses[:10])


def test_no_training_sequence_is_held_out(module, quick_run):
    test = quick_run["test"]
    test_codes = set(module.codes(test, 10).tolist())
    training = [batch for batch, avoid in quick_run["drawn"] if len(avoid) == len(test)]
    assert len(training) >= 100  # every training step drew its batch here
    seen = set(module.codes(np.concatenate(training), 10).tolist())
    assert not seen & test_codes
    assert quick_run["overlap"] == 0


def test_draw_sequences_avoids_exactly_the_given_codes(module):
    rng = np.random.default_rng(0)
    every = np.array(np.meshgrid(*[range(3)] * 3, indexing="ij")).reshape(3, -1).T  # 27
    assert len(set(module.codes(every, 3).tolist())) == 27  # one code per sequence
    avoid = module.codes(every[::2], 3)
    drawn = module.draw_sequences(rng, 200, 3, 3, avoid)
    assert drawn.shape == (200, 3)
    assert not set(module.codes(drawn, 3).tolist()) & set(avoid.tolist())
    assert len(set(module.codes(drawn, 3).tolist())) == 13  # all the others do come up


def test_the_pictured_head_looks_at_the_next_digit(quick_run):
    scores = quick_run["scores"]
    assert scores.shape == (2, 4)
    assert np.all((scores >= 0) & (scores <= 1))
    block, head = quick_run["head"]
    assert scores[block, head] == scores.max()
    # uniform attention over the 6-11 visible tokens puts at most 1/6 on one input
    # position; the quick run measured 0.58 for its best head
    assert scores.max() > 0.3
    assert quick_run["picture"].read_bytes()[:8] == PNG


def test_with_answers_appends_the_sorted_digits(module):
    tokens = module.with_answers(np.array([[3, 1, 4, 1, 5, 9]]))
    assert tokens.tolist() == [[3, 1, 4, 1, 5, 9, 1, 1, 3, 4, 5, 9]]


def test_missing_matplotlib_stops_with_status_2_and_the_hint(module, monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(SystemExit) as stopped:
        module.main(quick=True, out_dir=tmp_path)
    assert stopped.value.code == 2
    assert 'pip install -e ".[examples]"' in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
