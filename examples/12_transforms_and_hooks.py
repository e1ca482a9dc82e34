"""Example 12: function transforms and hooks: Newton's method, and vanishing gradients.

Part 1: Newton's method with `hessian`. The Rosenbrock function

    f(x, y) = (1 - x)^2 + 100 (y - x^2)^2

has its minimum f = 0 at (1, 1), at the end of a long, curved, narrow valley. Its gradient
and Hessian, by hand:

    df/dx = -2 (1 - x) - 400 x (y - x^2)        d2f/dx2  = 1200 x^2 - 400 y + 2
    df/dy = 200 (y - x^2)                        d2f/dxdy = -400 x,   d2f/dy2 = 200

Gradient descent steps against the gradient: p <- p - lr * grad f(p). Across the valley
the curvature is large (about 1330 at the classic start (-1.2, 1)), along it small, and one
learning rate must suit both: lr < 2 / 1330 or the steps across the valley grow without
bound, and with such a small lr the progress along the valley takes thousands of steps.

Newton's method fits a quadratic to f at p (its Taylor series to second order) and jumps to
that quadratic's minimum:

    p <- p - H(p)^-1 grad f(p)

The Hessian H rescales each direction by its own curvature, so near the minimum the error
is squared at every step (quadratic convergence: 1e-2, 1e-4, 1e-8, ...). Far from the
minimum the quadratic is a poor fit: from (-1.2, 1) the second step overshoots to
y = -3.2, where f is 1412, before the third lands in the valley; pure Newton does not
promise to go downhill at every step (practical versions add a line search or a trust
region). Here
`autograd_lite.functional.jacobian` gives the gradient and `functional.hessian` the 2 x 2
Hessian (the Jacobian of the gradient, by differentiating the backward pass itself); the
script checks both against the formulas above.

Part 2: hooks that watch gradients. A deep stack of Linear + tanh layers trained from
PyTorch's default initialisation (weights uniform in +-1/sqrt(fan_in), so each layer
shrinks its input's spread by about 1/sqrt(3)) passes back a gradient that shrinks at every
layer on its way to the input: dL/dz_l = (W_{l+1}^T dL/dz_{l+1}) * tanh'(z_l), and both
factors are below 1 in size. This is the vanishing-gradient problem: the first layers
hardly learn. A forward hook on every Linear layer registers a tensor hook on the layer's
output, which records the norm of dL/dz_l when the backward pass reaches it. The same is
done for tanh with Xavier initialisation scaled by tanh's gain 5/3 (Glorot & Bengio 2010),
and for ReLU with Kaiming initialisation (He et al. 2015): both keep the gradient's size
within a small factor through the depth, where the default loses a factor of about 10^4.

Needs matplotlib for the pictures:  pip install -e ".[examples]"
(without it the script still prints every number and only skips the pictures).

Run:  python examples/12_transforms_and_hooks.py [--quick] [--out DIR]
Quick mode (also AUTOGRAD_LITE_QUICK=1) stops gradient descent after 2,000 steps (not yet at
the minimum), for the test suite; everything else is the same.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

import nn
from autograd_lite import Tensor, functional, grad

OUT_DIR = Path(__file__).resolve().parent.parent / "out"
INSTALL_HINT = 'pip install -e ".[examples]"'
START = (-1.2, 1.0)
KINDS = {  # the networks of part 2: activation and initialisation
    "tanh": "tanh, PyTorch's default init",
    "tanh-xavier": "tanh, Xavier init (gain 5/3)",
    "relu-kaiming": "ReLU, Kaiming init",
}


def rosenbrock(p: Tensor) -> Tensor:
    """f(x, y) = (1 - x)^2 + 100 (y - x^2)^2 for p = (x, y), built from Tensor ops."""
    x, y = p[0], p[1]
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def hessian_by_hand(x: float, y: float) -> np.ndarray:
    """The Rosenbrock Hessian from the formulas in the docstring."""
    return np.array([[1200 * x**2 - 400 * y + 2, -400 * x], [-400 * x, 200.0]])


def gradient_by_hand(x: float, y: float) -> np.ndarray:
    """The Rosenbrock gradient from the formulas in the docstring."""
    return np.array([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])


def newton(start: tuple[float, float], steps: int, tolerance: float) -> list[np.ndarray]:
    """Newton's iterates from ``start``, until a step is shorter than ``tolerance``."""
    points = [np.array(start)]
    for _ in range(steps):
        p = Tensor(points[-1])
        gradient = functional.jacobian(rosenbrock, p).numpy()  # shape (2,)
        hessian = functional.hessian(rosenbrock, p).numpy()  # shape (2, 2)
        step = np.linalg.solve(hessian, gradient)  # H^-1 g without forming the inverse
        points.append(points[-1] - step)
        if np.linalg.norm(step) < tolerance:
            break
    return points


def gradient_descent(
    start: tuple[float, float], lr: float, max_steps: int, tolerance: float
) -> list[np.ndarray]:
    """Gradient descent's iterates, until within ``tolerance`` of (1, 1) or ``max_steps``."""
    points = [np.array(start)]
    p = Tensor(points[-1], requires_grad=True)
    for _ in range(max_steps):
        (gradient,) = grad(rosenbrock(p), [p])
        p = Tensor(p.numpy() - lr * gradient.numpy(), requires_grad=True)
        points.append(p.numpy().copy())
        if np.linalg.norm(points[-1] - 1.0) < tolerance:
            break
    return points


def steps_to_reach(points: list[np.ndarray], tolerance: float) -> int | None:
    """The first step whose point is within ``tolerance`` of (1, 1), or None if none is."""
    for step, point in enumerate(points):
        if np.linalg.norm(point - 1.0) < tolerance:
            return step
    return None


def deep_mlp(depth: int, width: int, kind: str) -> nn.Sequential:
    """``depth`` Linear layers of ``width`` with tanh or ReLU between, initialised as
    ``kind`` says: "tanh" (PyTorch's default), "tanh-xavier" or "relu-kaiming"."""
    activation = nn.ReLU if kind == "relu-kaiming" else nn.Tanh
    model = nn.MLP([width] * (depth + 1), activation=activation)
    for layer in model:
        if isinstance(layer, nn.Linear) and kind == "tanh-xavier":
            nn.init.xavier_uniform_(layer.weight, gain=nn.init.calculate_gain("tanh"))
        elif isinstance(layer, nn.Linear) and kind == "relu-kaiming":
            nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu")
    return model


def record_gradient_norms(model: nn.Module) -> tuple[list[float], Callable[[], None]]:
    """Hook every Linear layer of ``model`` so that each backward pass appends the norm of
    the gradient of the loss with respect to that layer's output; (norms, remove)."""
    norms: list[float] = []
    handles = []

    def on_forward(module: nn.Module, args: tuple[Any, ...], output: Tensor) -> None:
        # Called during the forward pass; the tensor hook it leaves on the output is
        # called during the backward pass, when dL/d(output) is complete.
        output.register_hook(lambda g: norms.append(float(np.linalg.norm(g.numpy()))))

    for layer in model.modules():
        if isinstance(layer, nn.Linear):
            handles.append(layer.register_forward_hook(on_forward))

    def remove() -> None:
        for handle in handles:
            handle.remove()

    return norms, remove


def layer_gradient_norms(kind: str, depth: int, width: int, samples: int, seed: int) -> np.ndarray:
    """The norms of dL/dz_l for l = 1..depth (input side first) of one backward pass."""
    nn.manual_seed(seed)
    model = deep_mlp(depth, width, kind)
    rng = np.random.default_rng(seed)
    inputs, targets = rng.standard_normal((samples, width)), rng.standard_normal((samples, width))
    norms, remove = record_gradient_norms(model)
    nn.MSELoss()(model(Tensor(inputs)), targets).backward()
    remove()
    return np.array(norms[::-1])  # the backward pass reaches the last layer first


def draw_rosenbrock(
    newton_points: list[np.ndarray], descent: list[np.ndarray], path: Path, plt: Any
) -> None:
    """Contours of f with both paths to (1, 1)."""
    xs, ys = np.meshgrid(np.linspace(-2, 2, 300), np.linspace(-3.5, 3.5, 300))
    values = (1 - xs) ** 2 + 100 * (ys - xs**2) ** 2
    figure, axes = plt.subplots(figsize=(6.5, 5.5))
    axes.contour(xs, ys, np.log10(values + 1e-3), levels=25, cmap="Greys", linewidths=0.7)
    path_gd = np.array(descent)
    axes.plot(
        path_gd[:, 0],
        path_gd[:, 1],
        color="tab:blue",
        linewidth=1.5,
        label=f"gradient descent: {len(descent) - 1} steps",
    )
    path_newton = np.array(newton_points)
    axes.plot(
        path_newton[:, 0],
        path_newton[:, 1],
        "o-",
        color="tab:red",
        markersize=5,
        label=f"Newton: {len(newton_points) - 1} steps",
    )
    axes.plot(
        [1], [1], "*", color="gold", markersize=16, markeredgecolor="black", label="minimum (1, 1)"
    )
    axes.set_xlim(-2, 2)
    axes.set_ylim(-3.5, 3.5)
    axes.set_xlabel("x")
    axes.set_ylabel("y")
    axes.set_title("Rosenbrock's valley from (-1.2, 1)")
    axes.legend(loc="upper left")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def draw_gradient_norms(curves: dict[str, np.ndarray], path: Path, plt: Any) -> None:
    """Gradient norm per layer (log scale), one line per kind of network."""
    figure, axes = plt.subplots(figsize=(6.5, 4.5))
    for kind, norms in curves.items():
        axes.plot(np.arange(1, len(norms) + 1), norms, "o-", markersize=4, label=KINDS[kind])
    axes.set_yscale("log")
    axes.set_xlabel("layer (1 = next to the input)")
    axes.set_ylabel("|dL/d(layer output)|")
    axes.set_title(
        f"Gradients through {len(next(iter(curves.values())))} layers, from one backward pass"
    )
    axes.grid(True, which="both", alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main(
    quick: bool | None = None,
    out_dir: str | Path = OUT_DIR,
    lr: float = 1e-3,
    max_descent_steps: int | None = None,
    depth: int = 16,
    width: int = 64,
    samples: int = 256,
    seed: int = 0,
) -> dict[str, Any]:
    """Run both parts, print their numbers and draw their pictures (if matplotlib is there)."""
    if quick is None:
        quick = os.environ.get("AUTOGRAD_LITE_QUICK") == "1"
    if max_descent_steps is None:
        max_descent_steps = 2000 if quick else 50_000

    print("Part 1: Newton's method on the Rosenbrock function, from", START)
    x, y = START
    gradient = functional.jacobian(rosenbrock, Tensor(np.array(START))).numpy()
    hessian = functional.hessian(rosenbrock, Tensor(np.array(START))).numpy()
    print(f"gradient at the start: {gradient} (by hand: {gradient_by_hand(x, y)})")
    print(f"Hessian at the start:\n{hessian}\n(by hand:\n{hessian_by_hand(x, y)})")
    start = time.perf_counter()
    newton_points = newton(START, steps=50, tolerance=1e-10)
    newton_seconds = time.perf_counter() - start
    print(" step            x             y      f(x, y)   distance to (1, 1)")
    for step, point in enumerate(newton_points):
        value = rosenbrock(Tensor(point)).item()
        distance = np.linalg.norm(point - 1.0)
        print(f"{step:5d} {point[0]:13.9f} {point[1]:13.9f}   {value:9.3e}   {distance:9.3e}")

    start = time.perf_counter()
    descent = gradient_descent(START, lr, max_descent_steps, tolerance=1e-4)
    descent_seconds = time.perf_counter() - start
    descent_distance = float(np.linalg.norm(descent[-1] - 1.0))
    print(f"Newton: {len(newton_points) - 1} steps in {newton_seconds:.3f} s")
    reached = steps_to_reach(descent, 1e-4)
    print(
        f"within 1e-4 of (1, 1): Newton after {steps_to_reach(newton_points, 1e-4)} steps, "
        + (f"gradient descent after {reached}" if reached else "gradient descent not yet")
    )
    print(
        f"gradient descent (lr={lr}): {len(descent) - 1} steps in {descent_seconds:.1f} s, "
        f"ends at ({descent[-1][0]:.6f}, {descent[-1][1]:.6f}), {descent_distance:.1e} from (1, 1)"
    )

    print(f"\nPart 2: |dL/d(output of layer l)| in a {depth}-layer MLP of width {width}")
    curves = {kind: layer_gradient_norms(kind, depth, width, samples, seed) for kind in KINDS}
    print("layer" + "".join(f"{kind:>14}" for kind in curves))
    for layer in range(depth):
        print(f"{layer + 1:5d}" + "".join(f"{norms[layer]:14.3e}" for norms in curves.values()))
    for kind, norms in curves.items():
        print(f"{KINDS[kind]}: layer 1 gets {norms[0] / norms[-1]:.1e} x layer {depth}'s gradient")

    pictures: list[Path] = []
    try:
        import matplotlib

        matplotlib.use("Agg")  # draw to files, no window needed
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"no pictures: matplotlib is missing; install it with  {INSTALL_HINT}")
        plt = None
    if plt is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        pictures = [out / "newton_rosenbrock.png", out / "gradient_norms.png"]
        draw_rosenbrock(newton_points, descent, pictures[0], plt)
        draw_gradient_norms(curves, pictures[1], plt)
        print("pictures written to", ", ".join(str(p) for p in pictures))
    return {
        "newton": newton_points,
        "descent": descent,
        "start_gradient": gradient,
        "start_hessian": hessian,
        "curves": curves,
        "pictures": pictures,
        "newton_seconds": newton_seconds,
        "descent_seconds": descent_seconds,
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer steps (for the tests)")
    parser.add_argument("--out", default=OUT_DIR, help="directory for the pictures")
    arguments = parser.parse_args()
    main(quick=True if arguments.quick else None, out_dir=arguments.out)
