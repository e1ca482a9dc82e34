"""Example 2: the 2-2-2 network of document 002, step by step, with Values.

Two inputs, two sigmoid hidden neurons, two sigmoid outputs, error
E = 1/2 (target_o1 - out_o1)^2 + 1/2 (target_o2 - out_o2)^2. One bias (b1 = 0.35) is shared
by both hidden neurons and one (b2 = 0.6) by both outputs; only the weights are trained.

The document derives dE/dw5 by hand as a product of three factors,
    dE/dw5 = dE/dout_o1 * dout_o1/dnet_o1 * dnet_o1/dw5 = 0.74136507 * 0.186815602 * 0.593269992,
and this script prints each factor as the engine finds it, then trains the network.

Run:  python examples/02_network_222_step_by_step.py
"""

from __future__ import annotations

from autograd_lite import Value

START = {
    "i1": 0.05, "i2": 0.10, "w1": 0.15, "w2": 0.20, "w3": 0.25, "w4": 0.30, "b1": 0.35,
    "w5": 0.40, "w6": 0.45, "w7": 0.50, "w8": 0.55, "b2": 0.60, "t1": 0.01, "t2": 0.99,
}  # fmt: skip
WEIGHTS = ("w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8")


def forward(p: dict[str, float]) -> dict[str, Value]:
    """The forward pass, every intermediate named as in the document."""
    v = {name: Value(number, label=name) for name, number in p.items()}
    v["net_h1"] = v["w1"] * v["i1"] + v["w2"] * v["i2"] + v["b1"]
    v["net_h2"] = v["w3"] * v["i1"] + v["w4"] * v["i2"] + v["b1"]
    v["out_h1"], v["out_h2"] = v["net_h1"].sigmoid(), v["net_h2"].sigmoid()
    v["net_o1"] = v["w5"] * v["out_h1"] + v["w6"] * v["out_h2"] + v["b2"]
    v["net_o2"] = v["w7"] * v["out_h1"] + v["w8"] * v["out_h2"] + v["b2"]
    v["out_o1"], v["out_o2"] = v["net_o1"].sigmoid(), v["net_o2"].sigmoid()
    v["E_o1"] = 0.5 * (v["t1"] - v["out_o1"]) ** 2
    v["E_o2"] = 0.5 * (v["t2"] - v["out_o2"]) ** 2
    v["E"] = v["E_o1"] + v["E_o2"]
    return v


def local_derivative(output: Value, wrt: Value, v: dict[str, Value]) -> float:
    """d output / d wrt: clear every grad, backpropagate from ``output``, read ``wrt.grad``."""
    for value in v.values():
        value.grad = 0.0
    output.backward()
    return wrt.grad


def main(updates: int = 10_000, lr: float = 0.5) -> dict[str, float]:
    p = dict(START)
    v = forward(p)
    print("Forward pass")
    for name in ("net_h1", "out_h1", "out_h2", "net_o1", "out_o1", "out_o2", "E"):
        print(f"  {name:<7} = {v[name].data:.9f}")

    print("\ndE/dw5 = dE/dout_o1 * dout_o1/dnet_o1 * dnet_o1/dw5")
    factors = [
        local_derivative(v["E"], v["out_o1"], v),
        local_derivative(v["out_o1"], v["net_o1"], v),
        local_derivative(v["net_o1"], v["w5"], v),
    ]
    product = factors[0] * factors[1] * factors[2]
    print("       = " + " * ".join(f"{f:.9f}" for f in factors) + f" = {product:.9f}")
    print(f"engine: dE/dw5 = {local_derivative(v['E'], v['w5'], v):.9f}")

    errors = []
    for step in range(updates):
        v = forward(p)
        v["E"].backward()
        errors.append(v["E"].data)
        for name in WEIGHTS:
            p[name] -= lr * v[name].grad
        if step == 0:
            print("\nWeights after one update (document 002: w5+ = 0.35891648, w1+ = 0.149780716)")
            print("  " + ", ".join(f"{n} = {p[n]:.9f}" for n in WEIGHTS))
            print(f"  error now {forward(p)['E'].data:.9f} (was {errors[0]:.9f})")
    final = forward(p)["E"].data
    print(f"\nAfter {updates} updates the error is {final:.6g}")
    outputs = forward(p)
    out_o1, out_o2 = outputs["out_o1"].data, outputs["out_o2"].data
    print(f"Outputs: {out_o1:.4f} (target 0.01), {out_o2:.4f} (target 0.99)")
    return {"error": final, "first_error": errors[0], **{n: p[n] for n in WEIGHTS}}


if __name__ == "__main__":
    main()
