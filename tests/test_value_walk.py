"""The scalar engine's own walk (`Value.backward`): edges as slots read back as tuples,
repeated and partial backward passes, clean-up after an interruption, and prompt freeing of
a finished graph (no reference cycles left for the garbage collector)."""

from __future__ import annotations

import gc
import weakref

import pytest

from autograd_lite import Value


def _diamond() -> tuple[Value, Value, Value, Value]:
    """x -> a = x * x, b = a + x, y = a * b: x and a are each reached along two edges."""
    x = Value(3.0)
    a = x * x
    b = a + x
    return x, a, b, a * b


@pytest.mark.parametrize("length", [1, 10_000])
def test_a_finished_graph_is_freed_by_reference_counting(length: int) -> None:
    gc.collect()
    gc.disable()  # anything left to the cycle collector would stay alive below
    try:
        x = Value(0.5)
        factor = Value(1.0)
        y = x
        for _ in range(length):
            y = (y * factor).tanh() + x
        y.backward()
        middle = y._parents[0]
        probes = [weakref.ref(x), weakref.ref(factor), weakref.ref(middle), weakref.ref(y)]
        del x, factor, middle, y
        assert [probe() for probe in probes] == [None] * 4
    finally:
        gc.enable()


def test_edges_read_back_as_tuples_in_operand_order() -> None:
    a, b = Value(2.0), Value(5.0)
    product, tanh = a * b, a.tanh()
    assert (a._parents, a._local_grads) == ((), ())
    assert product._parents == (a, b) and product._local_grads == (5.0, 2.0)
    assert tanh._parents == (a,) and tanh._local_grads == (1.0 - tanh.data**2,)
    assert (b - a)._local_grads == (1.0, -1.0)
    assert (a**2)._parents == (a,)  # a constant exponent is not a parent


def test_a_value_used_twice_by_one_op_gets_both_edges() -> None:
    x = Value(3.0)
    y = x * x  # both parents are x: d(x*x)/dx = x + x
    y.backward()
    assert y._parents == (x, x)
    assert x.grad == 6.0


def test_backward_twice_adds_the_gradients_again() -> None:
    x, a, b, y = _diamond()
    y.backward()
    y.backward()
    assert (x.grad, a.grad, b.grad, y.grad) == (270.0, 42.0, 18.0, 2.0)


def test_backward_from_an_inner_value_touches_only_what_it_depends_on() -> None:
    x, a, b, y = _diamond()
    b.backward()  # b = a + x with a = x * x: db/dx = 2x + 1
    assert (x.grad, a.grad, b.grad, y.grad) == (7.0, 1.0, 1.0, 0.0)


class _Interrupting:
    """Stands in for a number or a parent and raises KeyboardInterrupt when the walk uses it."""

    def __mul__(self, other: object) -> float:
        raise KeyboardInterrupt

    @property
    def _total(self) -> float:
        raise KeyboardInterrupt


@pytest.mark.parametrize("where", ["sweep", "ordering"])
def test_an_interrupted_backward_leaves_no_value_marked(where: str) -> None:
    x = Value(2.0)
    a = x * x
    y = a + x
    if where == "sweep":  # interrupted while sending gradients back
        saved, a._d_first = a._d_first, _Interrupting()  # type: ignore[assignment]
    else:  # interrupted while finding the order
        saved, a._first = a._first, _Interrupting()  # type: ignore[assignment]
    with pytest.raises(KeyboardInterrupt):
        y.backward()
    assert [value._total for value in (x, a, y)] == [None, None, None]
    if where == "sweep":
        a._d_first = saved
    else:
        a._first = saved
    x.grad = a.grad = y.grad = 0.0
    y.backward()  # the next pass is complete: d(x*x + x)/dx = 2x + 1
    assert (x.grad, a.grad, y.grad) == (5.0, 1.0, 1.0)
