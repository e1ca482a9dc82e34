"""no_grad / enable_grad: what they record, as context managers and decorators, per thread."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from autograd_lite import Tensor, enable_grad, is_grad_enabled, no_grad, set_grad_enabled


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


def test_bare_decorators_without_parentheses() -> None:
    x = Tensor([2.0], requires_grad=True)

    @no_grad
    def inference(t: Tensor) -> Tensor:
        """Doc kept."""
        return t * 3

    @enable_grad
    def training(t: Tensor) -> Tensor:
        return t * 3

    assert not inference(x).requires_grad
    assert inference.__name__ == "inference" and inference.__doc__ == "Doc kept."
    with no_grad():
        assert training(x).requires_grad
    assert is_grad_enabled()


def test_decorators_reject_a_non_callable_argument() -> None:
    with pytest.raises(TypeError, match="no_grad"):
        no_grad(42)


@pytest.mark.parametrize("bare", [True, False])
def test_decorated_generator_runs_every_step_in_the_mode(bare: bool) -> None:
    x = Tensor([2.0], requires_grad=True)
    seen: list[bool] = []

    def steps(count: int):
        for _ in range(count):
            received = yield (x * 2).requires_grad
            seen.append(received)
        return "done"

    generator_fn = no_grad(steps) if bare else no_grad()(steps)
    generator = generator_fn(3)
    assert is_grad_enabled()  # creating the generator changes nothing
    first = next(generator)
    assert is_grad_enabled()  # the caller records between steps
    assert generator.send("a") is False
    assert generator.send("b") is False
    with pytest.raises(StopIteration) as stop:
        generator.send("c")
    assert first is False and seen == ["a", "b", "c"] and stop.value.value == "done"
    assert is_grad_enabled()


def test_enable_grad_generator_records_inside_no_grad() -> None:
    x = Tensor([2.0], requires_grad=True)

    @enable_grad()
    def steps():
        yield (x * 2).requires_grad
        yield (x * 3).requires_grad

    with no_grad():
        assert list(steps()) == [True, True]
        assert not is_grad_enabled()


def test_decorated_generator_sees_thrown_exceptions_and_close_in_the_mode() -> None:
    modes: list[tuple[str, bool]] = []

    @no_grad
    def steps():
        try:
            yield 1
        except ValueError:
            modes.append(("throw", is_grad_enabled()))
            yield 2
        finally:
            modes.append(("finally", is_grad_enabled()))

    generator = steps()
    assert next(generator) == 1
    assert generator.throw(ValueError("x")) == 2
    generator.close()
    assert modes == [("throw", False), ("finally", False)]
    assert is_grad_enabled()


def test_set_grad_enabled_as_a_plain_call_and_as_a_context_manager() -> None:
    set_grad_enabled(False)
    try:
        assert not is_grad_enabled()
    finally:
        set_grad_enabled(True)
    assert is_grad_enabled()

    x = Tensor([1.0], requires_grad=True)
    with set_grad_enabled(False):
        assert not is_grad_enabled()
        assert not (x * 2).requires_grad
    assert is_grad_enabled()
    with no_grad():
        with set_grad_enabled(True):
            assert (x * 2).requires_grad
        assert not is_grad_enabled()  # the previous mode is restored, not True
    try:
        with set_grad_enabled(False):
            raise KeyError("boom")
    except KeyError:
        pass
    assert is_grad_enabled()


def test_set_grad_enabled_context_is_thread_local() -> None:
    seen = []
    inside = threading.Event()
    release = threading.Event()

    def worker() -> None:
        with set_grad_enabled(False):
            inside.set()
            release.wait(5)
            seen.append(is_grad_enabled())
        seen.append(is_grad_enabled())

    thread = threading.Thread(target=worker)
    thread.start()
    assert inside.wait(5)
    assert is_grad_enabled()  # the worker's mode does not reach this thread
    release.set()
    thread.join()
    assert seen == [False, True]
