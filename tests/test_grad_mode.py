"""no_grad / enable_grad: what they record, as context managers and decorators, per thread."""

from __future__ import annotations

import threading

import numpy as np

from autograd_lite import Tensor, enable_grad, is_grad_enabled, no_grad


def test_no_grad_records_nothing() -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        y = (x * x).exp().sum()
        assert not is_grad_enabled()
    assert is_grad_enabled()
    assert not y.requires_grad and y.is_leaf and y.grad_fn is None
    np.testing.assert_allclose(y.item(), np.exp(1.0) + np.exp(4.0))


def test_enable_grad_inside_no_grad_records_again() -> None:
    x = Tensor([3.0], requires_grad=True)
    with no_grad():
        with enable_grad():
            y = x * x
        z = x * x
    assert y.requires_grad and not z.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [6.0])


def test_modes_restore_the_previous_state_even_on_error() -> None:
    try:
        with no_grad():
            raise KeyError("boom")
    except KeyError:
        pass
    assert is_grad_enabled()
    with no_grad():
        with enable_grad():
            pass
        assert not is_grad_enabled()


def test_decorators() -> None:
    x = Tensor([2.0], requires_grad=True)

    @no_grad()
    def inference(t: Tensor) -> Tensor:
        """Doc kept."""
        return t * 3

    @enable_grad()
    def training(t: Tensor) -> Tensor:
        return t * 3

    assert not inference(x).requires_grad
    assert inference.__doc__ == "Doc kept." and inference.__name__ == "inference"
    with no_grad():
        assert training(x).requires_grad
    assert is_grad_enabled()


def test_grad_mode_is_thread_local() -> None:
    seen: dict[str, bool] = {}
    inside = threading.Event()
    release = threading.Event()

    def worker_disables() -> None:
        with no_grad():
            inside.set()
            release.wait(5)
            seen["worker_inside"] = is_grad_enabled()

    def worker_default() -> None:
        x = Tensor([1.0], requires_grad=True)
        seen["other_thread"] = is_grad_enabled() and (x * 2).requires_grad

    first = threading.Thread(target=worker_disables)
    first.start()
    assert inside.wait(5)
    # one thread is inside no_grad(); this thread and a fresh one still record
    assert is_grad_enabled()
    assert (Tensor([1.0], requires_grad=True) * 2).requires_grad
    second = threading.Thread(target=worker_default)
    second.start()
    second.join()
    release.set()
    first.join()
    assert seen == {"worker_inside": False, "other_thread": True}


def test_no_grad_in_main_thread_does_not_leak_into_a_new_thread() -> None:
    seen = []
    with no_grad():
        thread = threading.Thread(target=lambda: seen.append(is_grad_enabled()))
        thread.start()
        thread.join()
    assert seen == [True]
