"""The grad-mode count: ops read their thread's flag only while some thread has grad
mode off, and the count always equals the number of threads whose flag is off."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from autograd_lite import Tensor, enable_grad, grad, is_grad_enabled, no_grad, set_grad_enabled
from autograd_lite.grad_mode import grad_off, state


@pytest.fixture
def off() -> Callable[[], int]:
    """Threads with grad mode off, beyond those counted when the test began (a thread of
    another test that ended with its mode off stays counted)."""
    base = grad_off.count
    return lambda: grad_off.count - base


def test_the_count_follows_every_way_of_switching_the_mode(off: Callable[[], int]) -> None:
    assert off() == 0 and state.enabled
    with no_grad():
        assert off() == 1
        with no_grad():  # already off: not counted twice
            assert off() == 1
        with enable_grad():
            assert off() == 0
        assert off() == 1
    assert off() == 0
    set_grad_enabled(False)
    assert off() == 1 and not is_grad_enabled()
    set_grad_enabled(False)
    assert off() == 1
    with set_grad_enabled(True):
        assert off() == 0
    assert off() == 1
    set_grad_enabled(True)
    assert off() == 0 and is_grad_enabled()


def test_the_backward_pass_counts_itself_off_while_it_runs(
    off: Callable[[], int],
) -> None:
    x = Tensor([1.0, 2.0], requires_grad=True)
    seen = []
    y = x * x
    y.register_hook(lambda g: seen.append((off(), is_grad_enabled())))
    y.sum().backward()
    assert seen == [(1, False)] and off() == 0
    z = (x * x).sum()
    (gx,) = grad(z, [x], create_graph=True)
    assert gx.requires_grad and off() == 0
    w = (x * x).sum()
    with no_grad():
        w.backward()  # the walk switches nothing: the mode is already off
        assert off() == 1
    assert off() == 0


def test_a_thread_with_grad_off_makes_the_others_read_their_flag(
    off: Callable[[], int],
) -> None:
    # while another thread has the mode off, this thread's ops take the flag-reading path
    # and must record exactly as on the count's fast path
    x, c = Tensor([1.0, 2.0], requires_grad=True), Tensor([3.0, 4.0])
    fast = [(x * c).grad_fn.name, x.exp().grad_fn.name]
    entered, release = threading.Event(), threading.Event()

    def switched_off() -> None:
        with no_grad():
            entered.set()
            release.wait(10)

    worker = threading.Thread(target=switched_off)
    worker.start()
    try:
        assert entered.wait(10)
        assert off() == 1 and is_grad_enabled()
        assert [(x * c).grad_fn.name, x.exp().grad_fn.name] == fast
        with no_grad():
            assert off() == 2
            assert (x * c).grad_fn is None and x.exp().grad_fn is None
    finally:
        release.set()
        worker.join(10)
    assert off() == 0


def test_a_thread_ending_with_grad_off_leaves_the_others_their_mode(
    off: Callable[[], int],
) -> None:
    worker = threading.Thread(target=set_grad_enabled, args=(False,))
    worker.start()
    worker.join(10)
    try:
        assert off() == 1  # its flag died with it; the count cannot know
        x = Tensor([1.0, 2.0], requires_grad=True)
        assert is_grad_enabled() and (x * x).requires_grad and x.exp().requires_grad
        with no_grad():
            assert not (x * x).requires_grad
    finally:
        grad_off.count -= 1  # (as if the thread had switched its mode back)


def test_an_interrupt_while_counting_leaves_the_lock_free(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Ctrl-C may arrive between taking the lock and giving it back (a signal handler runs
    # after a C call returns); the lock must still be released, or every later switch of
    # grad mode, in any thread, would wait for it forever
    from autograd_lite import grad_mode

    class Interrupted:
        count = 0

        def __setattr__(self, name: str, value: object) -> None:
            raise KeyboardInterrupt

    monkeypatch.setattr(grad_mode, "grad_off", Interrupted())
    try:
        with pytest.raises(KeyboardInterrupt):
            grad_mode.set_mode(False)  # counts itself off first: interrupted there
        assert not grad_mode.count_lock.locked()
    finally:
        if grad_mode.count_lock.locked():  # (so that a failure here does not hang the others)
            grad_mode.count_lock.release()
    assert is_grad_enabled()
