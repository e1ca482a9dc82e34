"""The engine's one global random generator, and `manual_seed` that resets it.

Every function that draws (``rand``, ``randn``, nn's initialisers, Dropout, fit's
shuffling) takes ``generator=``; when it is None the draw comes from this module's
`numpy.random.Generator`. Two runs that call ``manual_seed(0)`` first draw the same numbers.
Base layer: nothing of the package is imported here.
"""

from __future__ import annotations

import numpy as np

_generator: np.random.Generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reset the global generator (``nn.manual_seed`` is this same function).

    Args:
        seed: a non-negative integer.

    Returns:
        The new global generator, ``numpy.random.default_rng(seed)``.

    Raises:
        TypeError: for a seed that is not an integer (bools included).
        ValueError: for a negative seed.

    Example:
        >>> _ = manual_seed(0); a = randn(3).numpy()
        >>> _ = manual_seed(0); bool((randn(3).numpy() == a).all())
        True
    """
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed: seed must be an integer, got {type(seed).__name__}")
    if seed < 0:
        raise ValueError(f"manual_seed: seed must be non-negative, got {seed}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def default_generator() -> np.random.Generator:
    """The global generator: the one `manual_seed` last made (an unseeded one before).

    Example:
        >>> manual_seed(3) is default_generator()
        True
    """
    return _generator


def generator_or_default(generator: np.random.Generator | None, name: str) -> np.random.Generator:
    """``generator`` itself, or the global one when it is None; TypeError for anything else."""
    if generator is None:
        return _generator
    if not isinstance(generator, np.random.Generator):
        raise TypeError(
            f"{name}: generator must be a numpy.random.Generator or None, got "
            f"{type(generator).__name__}"
        )
    return generator
