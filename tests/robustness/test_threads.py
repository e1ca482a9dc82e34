"""Threads: grad mode is per thread, separate models train as if sequential, and passes
through one shared graph at the same time give the sequential gradients."""

from __future__ import annotations

import sys
import threading

import numpy as np
import pytest

from autograd_lite import Tensor, Value, grad, is_grad_enabled, no_grad, set_grad_enabled


def test_no_grad_in_one_thread_does_not_switch_off_another() -> None:
    entered, release = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def inference() -> None:
        with no_grad():
            entered.set()
            release.wait(5)
            seen["inference"] = is_grad_enabled()

    def training() -> None:
        entered.wait(5)
        x = Tensor([1.0, 2.0], requires_grad=True)
        seen["training"] = (x * x).requires_grad
        release.set()

    threads = [threading.Thread(target=inference), threading.Thread(target=training)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"inference": False, "training": True}
    assert is_grad_enabled()


def _train(seed: int, steps: int, barrier: threading.Barrier | None = None) -> list[np.ndarray]:
    """Train a small MLP with its own generator; return the final parameters."""
    import nn
    from nn.optim import SGD

    rng = np.random.default_rng(seed)
    inputs = rng.standard_normal((16, 3))
    targets = np.tanh(inputs.sum(axis=1, keepdims=True))
    model = nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1))
    for param in model.parameters():  # seeded per model, not through the global generator
        param.data = rng.standard_normal(param.shape) * 0.5
    optimizer = SGD(model.parameters(), lr=0.05)
    loss_fn = nn.MSELoss()
    if barrier is not None:
        barrier.wait(5)  # start together so the steps interleave
    for step in range(steps):
        optimizer.zero_grad()
        loss = loss_fn(model(Tensor(inputs)), targets)
        loss.backward()
        optimizer.step()
        if step % 10 == 0:
            with no_grad():  # an evaluation inside the loop toggles grad mode in this thread
                model(Tensor(inputs))
    return [param.data.copy() for param in model.parameters()]


def test_two_threads_training_separate_models_match_sequential_training() -> None:
    sequential = [_train(seed, 150) for seed in (1, 2)]
    results: dict[int, list[np.ndarray]] = {}
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def worker(seed: int) -> None:
        try:
            results[seed] = _train(seed, 150, barrier)
        except BaseException as exc:  # report in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(seed,)) for seed in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    for seed, expected in zip((1, 2), sequential):
        for got, want in zip(results[seed], expected):
            np.testing.assert_array_equal(got, want)
    assert not np.allclose(sequential[0][0], sequential[1][0])  # the two models differ


def _run_in_threads(work, threads: int = 4) -> list[BaseException]:
    """Run ``work`` in several threads at once; return what they raised."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def target() -> None:
        try:
            barrier.wait()
            work()
        except BaseException as exc:  # reported by the test
            errors.append(exc)

    pool = [threading.Thread(target=target) for _ in range(threads)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so their passes interleave
    try:
        for thread in pool:
            thread.start()
        for thread in pool:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    return errors


def test_concurrent_backward_through_one_tensor_graph_gives_the_sequential_gradient() -> None:
    # several passes at once through one graph (retain_graph) into one leaf: no update lost,
    # and no pass sees another's state (an array rule reading the saved arrays of x * w)
    x = Tensor(np.linspace(-1.0, 1.0, 6), requires_grad=True)
    w = Tensor(np.full(6, 2.0))
    loss = ((x * w).relu() * x + linear_like(x)).sum()
    (expected,) = grad(loss, x, retain_graph=True)
    repeats, threads = 50, 4

    def work() -> None:
        for _ in range(repeats):
            loss.backward(retain_graph=True)

    assert _run_in_threads(work, threads) == []
    np.testing.assert_allclose(x.grad.data, threads * repeats * expected.data, rtol=1e-12)


def linear_like(x: Tensor) -> Tensor:
    """A second branch through an op that saves its inputs (mul) and one that saves none."""
    return (x * 3.0 - 1.0) * x


def test_concurrent_backward_through_one_value_graph_gives_the_sequential_gradient() -> None:
    a = Value(0.5)
    out = a
    for _ in range(200):
        out = (out * 0.99 + a).tanh()
    out.backward()
    single = a.grad
    a.grad = 0.0
    repeats, threads = 20, 4

    def work() -> None:
        for _ in range(repeats):
            out.backward()

    assert _run_in_threads(work, threads) == []
    assert a.grad == pytest.approx(threads * repeats * single, rel=1e-12)


def test_two_threads_with_different_modes_each_record_by_their_own() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    barrier = threading.Barrier(2)
    seen: dict[str, list[tuple[bool, bool, bool]]] = {"off": [], "on": []}

    def run(name: str, mode: bool) -> None:
        with set_grad_enabled(mode):
            for _ in range(3):
                barrier.wait(5)  # both threads are in their own mode at once
                seen[name].append(((x * x).requires_grad, x.exp().requires_grad, is_grad_enabled()))
                barrier.wait(5)

    threads = [
        threading.Thread(target=run, args=("off", False)),
        threading.Thread(target=run, args=("on", True)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {"off": [(False, False, False)] * 3, "on": [(True, True, True)] * 3}
    assert is_grad_enabled()


def test_threads_switching_modes_at_once_each_get_their_own_and_the_count_returns() -> None:
    # the ops read a thread's flag only while the shared count of threads with grad mode
    # off is above 0: many threads switching at once must neither lose a count change
    # (an op would then record, or not, against its thread's mode) nor leave it raised
    from autograd_lite import enable_grad
    from autograd_lite.grad_mode import grad_off

    base = grad_off.count
    x = Tensor([1.0, 2.0], requires_grad=True)
    wrong: list[tuple[bool, bool]] = []

    def check(expected: bool) -> None:
        got = (x * x).requires_grad and x.exp().requires_grad and is_grad_enabled()
        if got != expected:
            wrong.append((expected, got))

    def work() -> None:
        for step in range(300):
            with no_grad():
                check(False)
                with enable_grad():
                    check(True)
                check(False)
            set_grad_enabled(step % 2 == 0)  # a plain call, left in force for a while
            check(step % 2 == 0)
            set_grad_enabled(True)
            check(True)

    assert _run_in_threads(work, threads=4) == []
    assert wrong == [] and grad_off.count == base
