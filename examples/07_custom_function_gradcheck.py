"""Example 7: write a custom Function, gradcheck it, break it, and read the report.

A custom Function gives forward and backward on NumPy arrays. Nothing stops a backward
from being wrong, so before using one, compare it with finite differences:

    d out[j] / d x[m]  ~=  (f(x + eps e_m)[j] - f(x - eps e_m)[j]) / (2 eps)

`gradcheck` does exactly that for every entry of the Jacobian and prints a table of the
entries that disagree, worst first.

Run:  python examples/07_custom_function_gradcheck.py
Same check from the shell, without writing a test:
      autograd-lite gradcheck examples/07_custom_function_gradcheck.py:scaled_softplus \
          --shapes 2,3 3
"""

from __future__ import annotations

import numpy as np

from autograd_lite import Function, GradcheckError, Tensor, Value, gradcheck, gradgradcheck


class ScaledSoftplus(Function):
    """y = w * log(1 + exp(x));  dy/dx = w * sigmoid(x),  dy/dw = log(1 + exp(x))"""

    @staticmethod
    def forward(ctx, x, w):
        softplus = np.logaddexp(0.0, x)  # log(1 + e^x) without overflow
        ctx.save_for_backward(x, w, softplus)
        return w * softplus  # w (shape (3,)) broadcasts over the rows of x

    @staticmethod
    def backward(ctx, grad_output):
        x, w, softplus = ctx.saved_tensors
        sigmoid = 1.0 / (1.0 + np.exp(-x))
        # grad_w has x's shape here; the engine sums it down to w's shape (broadcasting)
        return grad_output * w * sigmoid, grad_output * softplus


class BrokenScaledSoftplus(ScaledSoftplus):
    """The same forward with a typical slip in backward: exp(-x) written as exp(x)."""

    @staticmethod
    def backward(ctx, grad_output):
        x, w, softplus = ctx.saved_tensors
        sigmoid = 1.0 / (1.0 + np.exp(x))  # wrong: this is sigmoid(-x)
        return grad_output * w * sigmoid, grad_output * softplus


def scaled_softplus(x: Tensor, w: Tensor) -> Tensor:
    """The function the command-line check above uses."""
    return ScaledSoftplus.apply(x, w)


def main() -> None:
    rng = np.random.default_rng(7)
    x = Tensor(rng.normal(size=(2, 3)), requires_grad=True)
    w = Tensor(rng.uniform(0.5, 2.0, size=3), requires_grad=True)
    x.label, w.label = "x", "w"

    print("1. The correct Function")
    print("   gradcheck ->", gradcheck(ScaledSoftplus.apply, (x, w)))

    print("\n2. The broken Function")
    try:
        gradcheck(BrokenScaledSoftplus.apply, (x, w))
    except GradcheckError as error:
        print(error)
        worst = error.report.mismatches[0]
        print(
            f"\n   worst entry: input {worst.input_name} at {worst.input_index}, output at "
            f"{worst.output_index}: analytic {worst.analytic:.6f}, numerical {worst.numerical:.6f}"
        )

    print("\n3. Second derivatives")
    print("   built-in ops:", gradgradcheck(lambda a: (a * a).tanh().sum(), (x,)))
    ok = gradgradcheck(ScaledSoftplus.apply, (x, w), raise_exception=False)
    print("   the custom Function:", ok, "(a custom Function is differentiable once)")

    print("\n4. Functions of Values work the same way")
    a, b = Value(0.3, label="a"), Value(-1.2, label="b")
    print("   gradcheck ->", gradcheck(lambda p, q: (p * q).sigmoid() + p.exp(), (a, b)))


if __name__ == "__main__":
    main()
