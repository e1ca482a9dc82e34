"""einsum: NumPy's subscript language, with each operand's gradient another einsum.

The subscripts are first made explicit (`parse_subscripts`): every ``...`` becomes fresh
letters (right-aligned, so ellipsis dimensions broadcast as in NumPy) and an implicit output
becomes explicit (the ellipsis, then the letters used once, in alphabetical order). With
explicit terms, the gradient of operand k is the einsum of the upstream gradient with the
other operands, written out to operand k's letters:

    y = einsum('ij,jk->ik', a, b);  dL/da = einsum('ik,jk->ij', g, b)

Two cases need a constant operand more: a letter repeated in operand k (a diagonal, as in
``'ii->i'``) is written out as two letters tied by an identity matrix, and a letter only
operand k has (summed out within it, as ``j`` in ``'ij->i'``), or has at a size the others
broadcast from 1, comes back through a vector of ones. Where operand k has size 1 and the
others more, the graph walk sums the gradient back, as for every op.
"""

from __future__ import annotations

import string
from typing import Any

import numpy as np

from ..engine.context import Context
from .op import Op

_LETTERS = string.ascii_letters


class Einsum(Op):
    """y = einsum(subscripts, *operands);  dL/d operand_k = einsum(output, other operands ->
    operand k's indices)(g, ...), with an identity for a repeated index and ones for an index
    summed within operand k alone
    """

    @staticmethod
    def forward(ctx: Context, *operands: np.ndarray, subscripts: str) -> np.ndarray:
        terms, output = parse_subscripts(subscripts, [x.shape for x in operands])
        for term, x in zip(terms, operands):  # NumPy takes a 0 beside any size here
            sizes: dict[str, int] = {}
            for letter, size in zip(term, x.shape):
                if sizes.setdefault(letter, size) != size:
                    shapes = ", ".join(str(o.shape) for o in operands)
                    raise ValueError(
                        f"einsum: subscripts {subscripts!r} do not fit operand shapes {shapes}: "
                        f"index {letter!r} repeats with sizes {sizes[letter]} and {size} (a "
                        "repeated index takes a diagonal and needs equal sizes)"
                    )
        ctx.terms, ctx.output = terms, output
        explicit = ",".join(terms) + "->" + output
        try:
            return np.einsum(explicit, *operands, optimize=len(operands) > 2)
        except ValueError as exc:  # sizes of one index that differ (and are not 1)
            shapes = ", ".join(str(x.shape) for x in operands)
            raise ValueError(
                f"einsum: subscripts {subscripts!r} do not fit operand shapes {shapes}: {exc}"
            ) from None

    @staticmethod
    def backward(ctx: Context, grad_output: Any) -> tuple[Any, ...]:
        operands = ctx.saved_tensors
        terms, output = ctx.terms, ctx.output
        grads: list[Any] = []
        for k, operand in enumerate(operands):
            if not ctx.needs_input_grad[k]:
                grads.append(None)
                continue
            others = [t for j, t in enumerate(operands) if j != k]
            other_terms = [term for j, term in enumerate(terms) if j != k]
            known = _sizes([output, *other_terms], [grad_output.shape, *(t.shape for t in others)])
            extra_terms, extra_arrays, target = _constants_for(
                terms[k], operand.shape, operand.dtype, known
            )
            subscripts = ",".join([output, *other_terms, *extra_terms]) + "->" + target
            grads.append(Einsum.apply(grad_output, *others, *extra_arrays, subscripts=subscripts))
        return tuple(grads)


def _sizes(terms: list[str], shapes: list[tuple[int, ...]]) -> dict[str, int]:
    """Each letter's size over the terms, broadcast: a size 1 takes the other size (0 too)."""
    sizes: dict[str, int] = {}
    for term, shape in zip(terms, shapes):
        for letter, size in zip(term, shape):
            if sizes.get(letter, 1) == 1:
                sizes[letter] = size
    return sizes


def _constants_for(
    term: str, shape: tuple[int, ...], dtype: Any, known: dict[str, int]
) -> tuple[list[str], list[np.ndarray], str]:
    """The extra subscripts and constant arrays that write a gradient out to ``term``.

    Returns (extra terms, their arrays, the output subscript): the term with each repeated
    letter replaced by a fresh one tied to the first by an identity matrix, plus a ones
    vector for each letter that the ``known`` terms (output and other operands; letter ->
    size) lack or have only at size 1 while this operand has it larger (broadcast).
    """
    used = set(known) | set(term)
    fresh = (letter for letter in _LETTERS if letter not in used)
    extra_terms: list[str] = []
    extra_arrays: list[np.ndarray] = []
    target = []
    seen: set[str] = set()
    for letter, size in zip(term, shape):
        if letter in seen:  # a diagonal: letter and a new letter, equal by the identity
            new = next(fresh, None)
            if new is None:
                raise ValueError(f"einsum: too many indices to differentiate {term!r} (max 52)")
            extra_terms.append(letter + new)
            extra_arrays.append(np.eye(size, dtype=dtype))
            target.append(new)
        else:
            seen.add(letter)
            target.append(letter)
    sizes = dict(known)
    for letter, size in zip(term, shape):
        # summed in this operand only, or where the others broadcast it from size 1
        if letter not in sizes or sizes[letter] == 1 and size != 1:
            sizes[letter] = size
            extra_terms.append(letter)
            extra_arrays.append(np.ones(size, dtype=dtype))
    return extra_terms, extra_arrays, "".join(target)


def parse_subscripts(subscripts: Any, shapes: list[tuple[int, ...]]) -> tuple[list[str], str]:
    """Explicit letters for each operand and for the output, ``...`` written out.

    Raises:
        TypeError: for subscripts that are not a string.
        ValueError: naming einsum and the subscripts, for everything NumPy refuses:
            characters other than letters, ',', '->' and '...'; a term count that differs
            from the operand count; a term whose letters do not match its operand's
            dimensions; an output letter repeated or absent from the inputs.
    """
    if not isinstance(subscripts, str):
        raise TypeError(
            f"einsum: subscripts must be a string such as 'ij,jk->ik', got "
            f"{type(subscripts).__name__} {subscripts!r:.40}"
        )
    text = subscripts.replace(" ", "")

    def fail(reason: str) -> ValueError:
        return ValueError(f"einsum: malformed subscripts {subscripts!r}: {reason}")

    if text.count("->") > 1:
        raise fail("'->' appears more than once")
    inputs, arrow, output = text.partition("->")
    input_terms = inputs.split(",")
    if not shapes:
        raise ValueError(f"einsum: needs at least one operand (subscripts {subscripts!r})")
    if len(input_terms) != len(shapes):
        raise fail(f"{len(input_terms)} input term(s) for {len(shapes)} operand(s)")
    letters = []
    ellipsis_dims = []
    for position, (term, shape) in enumerate(zip(input_terms, shapes)):
        explicit = _letters_of(term, f"operand {position}", fail)
        if "..." in term:
            if len(explicit) > len(shape):
                raise fail(
                    f"operand {position} has {len(shape)} dimension(s) (shape {shape}) but "
                    f"{len(explicit)} letters besides '...'"
                )
            ellipsis_dims.append(len(shape) - len(explicit))
        else:
            if len(explicit) != len(shape):
                raise fail(
                    f"term {term!r} has {len(explicit)} letter(s) for operand {position} of "
                    f"{len(shape)} dimension(s) (shape {shape})"
                )
            ellipsis_dims.append(0)
        letters.append(explicit)
    used = set("".join(letters)) | set(output)
    spare = [letter for letter in _LETTERS if letter not in used]
    width = max(ellipsis_dims)
    if width > len(spare):
        raise fail("too many dimensions under '...' for the letters left")
    broadcast = "".join(spare[:width])
    terms = []
    for term, dims in zip(input_terms, ellipsis_dims):
        before, _, after = term.partition("...")
        filler = broadcast[width - dims :] if "..." in term else ""
        terms.append(before + filler + after)
    if arrow:
        explicit_output = _letters_of(output, "the output", fail)
        for letter in explicit_output:
            if explicit_output.count(letter) > 1:
                raise fail(f"output index {letter!r} appears more than once")
            if not any(letter in term for term in letters):
                raise fail(f"output index {letter!r} is not an index of any operand")
        if "..." in output:
            before, _, after = output.partition("...")
            output = before + broadcast + after
        elif width:
            raise fail(
                f"the operands have {width} dimension(s) under '...' but the output has no "
                "'...' to put them in"
            )
        return terms, output
    counts = "".join(letters)
    once = sorted(letter for letter in set(counts) if counts.count(letter) == 1)
    return terms, broadcast + "".join(once)


def _letters_of(term: str, where: str, fail: Any) -> str:
    """The letters of one term without its '...'; errors for any other character."""
    if term.count("...") > 1:
        raise fail(f"'...' appears more than once in {where}")
    rest = term.replace("...", "", 1)
    for character in rest:
        if character not in _LETTERS:
            what = "a '.' that is not part of '...'" if character == "." else repr(character)
            raise fail(f"{what} in {where} (indices must be letters a-z, A-Z)")
    return rest
