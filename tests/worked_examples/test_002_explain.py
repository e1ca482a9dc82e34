"""Document 002_56bd98b6111f8107.txt: explain() reads like the document's hand derivations.

The 2-2-2 network is written here with Values named as the document names them (b1 = 0.35
shared by both hidden neurons, b2 = 0.6: see shared/seeds/README.md). Every number below is
printed by the document; each is compared at the digits it prints.
"""

from __future__ import annotations

import pytest

from autograd_lite import Value, explain
from tests.printed import assert_printed


def labelled(value: Value, label: str) -> Value:
    value.label = label
    return value


def network() -> dict[str, Value]:
    """The forward pass of document 002, every named quantity labelled."""
    start = {
        "i1": 0.05,
        "i2": 0.10,
        "w1": 0.15,
        "w2": 0.20,
        "w3": 0.25,
        "w4": 0.30,
        "b1": 0.35,
        "w5": 0.40,
        "w6": 0.45,
        "w7": 0.50,
        "w8": 0.55,
        "b2": 0.60,
    }  # fmt: skip  (document 002, "OVERVIEW"; b1 = 0.35 as in every computed number)
    v = {name: Value(number, label=name) for name, number in start.items()}
    v["net_h1"] = labelled(v["w1"] * v["i1"] + v["w2"] * v["i2"] + v["b1"], "net_h1")
    v["out_h1"] = labelled(v["net_h1"].sigmoid(), "out_h1")
    v["net_h2"] = labelled(v["w3"] * v["i1"] + v["w4"] * v["i2"] + v["b1"], "net_h2")
    v["out_h2"] = labelled(v["net_h2"].sigmoid(), "out_h2")
    v["net_o1"] = labelled(v["w5"] * v["out_h1"] + v["w6"] * v["out_h2"] + v["b2"], "net_o1")
    v["out_o1"] = labelled(v["net_o1"].sigmoid(), "out_o1")
    v["net_o2"] = labelled(v["w7"] * v["out_h1"] + v["w8"] * v["out_h2"] + v["b2"], "net_o2")
    v["out_o2"] = labelled(v["net_o2"].sigmoid(), "out_o2")
    v["E_o1"] = labelled(0.5 * (0.01 - v["out_o1"]) ** 2, "E_o1")  # target_o1 = 0.01
    v["E_o2"] = labelled(0.5 * (0.99 - v["out_o2"]) ** 2, "E_o2")  # target_o2 = 0.99
    v["E"] = labelled(v["E_o1"] + v["E_o2"], "E")
    return v


def engine_gradient(output: Value, wrt: Value) -> float:
    """The gradient from a fresh backward pass on a fresh network."""
    output.backward()
    return wrt.grad


def test_dE_dw5_has_the_documents_three_factors():
    v = network()
    result = explain(v["E"], v["w5"])
    assert result.n_paths == 1
    (path,) = result.paths
    names = [step.name for step in path.steps]
    assert names == ["d E / d out_o1", "d out_o1 / d net_o1", "d net_o1 / d w5"]
    values = [value for _, value in path.factors]
    # document 002: dE/dout_o1 = 0.74136507, dout_o1/dnet_o1 = 0.186815602,
    # dnet_o1/dw5 = 0.593269992, dE/dw5 = 0.74136507 * 0.186815602 * 0.593269992 = 0.082167041
    assert_printed(values[0], "0.74136507", "dE/dout_o1")
    assert_printed(values[1], "0.186815602", "dout_o1/dnet_o1")
    assert_printed(values[2], "0.593269992", "dnet_o1/dw5")
    assert_printed(path.product, "0.082167041", "dE/dw5")
    assert result.total == engine_gradient(v["E"], v["w5"])


def test_dE_dw5_formulas_are_the_documents():
    v = network()
    descriptions = [text for text, _ in explain(v["E"], v["w5"]).paths[0].factors]
    # document 002: dE/dout_o1 = 2 * 1/2 (target_o1 - out_o1)^(2-1) * -1
    assert descriptions[0] == "d E / d out_o1 = 0.5 * 2 * (0.01 - out_o1)**(2-1) * (-1)"
    # document 002: dout_o1/dnet_o1 = out_o1 (1 - out_o1); dnet_o1/dw5 = out_h1
    assert descriptions[1] == "d out_o1 / d net_o1 = out_o1 * (1 - out_o1)"
    assert descriptions[2] == "d net_o1 / d w5 = out_h1"


def test_dE_dw5_text_prints_nine_digits():
    v = network()
    text = str(explain(v["E"], v["w5"]))
    for printed in ("0.74136507", "0.186815602", "0.593269992", "0.0821670406"):
        assert printed in text
    assert "(through E_o1)" in text


def test_dE_dw1_splits_at_out_h1_like_the_document():
    v = network()
    result = explain(v["E"], v["w1"])
    assert result.n_paths == 2
    stage_names = [stage.name for stage in result.stages]
    assert stage_names == ["d E / d out_h1", "d out_h1 / d net_h1", "d net_h1 / d w1"]
    sum_stage, sigmoid_stage, input_stage = result.stages
    assert [branch.name for branch in sum_stage.branches] == [
        "d E_o1 / d out_h1",
        "d E_o2 / d out_h1",
    ]
    via_o1, via_o2 = sum_stage.branches
    # document 002: dE_o1/dout_h1 = 0.138498562 * 0.40 = 0.055399425
    assert_printed(via_o1.product, "0.055399425", "dE_o1/dout_h1")
    assert_printed(via_o1.steps[0].value * via_o1.steps[1].value, "0.138498562", "dE_o1/dnet_o1")
    # document 002: dE_o2/dout_h1 = -0.019049119. Exactly it is -0.01904911831, which rounds
    # to ...118: the document, as it does for o1 (0.138498562 * 0.40), first rounds
    # dE/dnet_o2 to 9 decimals (-0.038098237) and then multiplies by w7 = 0.5, which gives
    # -0.0190491185 and so ...119. Both readings are asserted.
    assert_printed(via_o2.product, "-0.019049118", "dE_o2/dout_h1 exact")
    dE_dnet_o2 = round(via_o2.steps[0].value * via_o2.steps[1].value, 9)
    assert_printed(dE_dnet_o2 * via_o2.steps[2].value, "-0.019049119", "document's rounding")
    assert_printed(via_o2.steps[0].value, "-0.217071535", "dE/dout_o2")
    # document 002: dE/dout_h1 = 0.055399425 + -0.019049119 = 0.036350306
    assert_printed(sum_stage.value, "0.036350306", "dE/dout_h1")
    # document 002: dout_h1/dnet_h1 = 0.241300709, dnet_h1/dw1 = i1 = 0.05
    assert_printed(sigmoid_stage.value, "0.241300709", "dout_h1/dnet_h1")
    assert sigmoid_stage.branches[0].steps[0].formula == "out_h1 * (1 - out_h1)"
    assert input_stage.branches[0].steps[0].formula == "i1"
    assert input_stage.value == pytest.approx(0.05, abs=0, rel=1e-15)
    # document 002: dE/dw1 = 0.036350306 * 0.241300709 * 0.05 = 0.000438568
    assert_printed(result.total, "0.000438568", "dE/dw1")
    assert result.path_sum == pytest.approx(result.total, rel=1e-12)
    assert result.total == engine_gradient(v["E"], v["w1"])


def test_dE_dw1_text_shows_the_sum_then_the_product():
    v = network()
    text = str(explain(v["E"], v["w1"]))
    assert "d E / d w1 = d E / d out_h1 * d out_h1 / d net_h1 * d net_h1 / d w1" in text
    assert "= d E_o1 / d out_h1 + d E_o2 / d out_h1" in text
    assert "0.0363503064 * 0.241300709 * 0.05 = 0.000438567734" in text


def test_every_weight_total_is_the_engine_gradient():
    names = ("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8")
    v = network()
    totals = {name: explain(v["E"], v[name]).total for name in names}
    v["E"].backward()
    assert totals == {name: v[name].grad for name in names}
