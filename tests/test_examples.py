"""Every example script runs (with small sizes where it trains) and produces what it claims."""

from __future__ import annotations

import pytest

from tests.helpers import load_example


def test_01_single_neuron_chain_reaches_the_threshold(capsys):
    result = load_example("01_single_neuron_chain.py").main()
    out = capsys.readouterr().out
    # document 001's first-iteration table, as printed by the example
    assert "w2 = 0.4272, b2 = 0.6121, w1 = 0.1496, b1 = 0.3959" in out
    assert result["error"] < 0.001 and result["epochs"] < 1000


def test_02_network_222_reproduces_the_document(capsys):
    result = load_example("02_network_222_step_by_step.py").main(updates=200)
    out = capsys.readouterr().out
    # document 002: the three factors of dE/dw5 and their product
    assert "0.741365070 * 0.186815602 * 0.593269992 = 0.082167041" in out
    assert result["w5"] < 0.4 and result["error"] < result["first_error"]
    assert result["first_error"] == pytest.approx(0.298371109, abs=5e-10)  # document 002


def test_03_matrix_form_matches_the_engine(capsys):
    module = load_example("03_matrix_form.py")
    for sizes in ((2, 3, 1), (4, 5, 3, 2)):
        assert module.main(sizes=sizes, examples=7) < 1e-12
    assert "largest difference hand vs engine" in capsys.readouterr().out
