"""Data loading: `Dataset`, `TensorDataset` and `DataLoader`, with PyTorch's names.

A `DataLoader` yields one batch at a time, a tuple with one entry per field of the samples:
floating-point data as a `Tensor` (float32 stays float32; other float types become float64,
as `Tensor` does), integer data (class labels) as a NumPy int64 array, booleans as a NumPy
bool array. Shuffling draws a new order every epoch from a seeded `numpy.random.Generator`:
the one passed as ``generator``, or the engine's global one (`nn.manual_seed`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from autograd_lite import Tensor

from .init import default_generator


class Dataset:
    """A collection of samples: override ``__getitem__(index)`` and ``__len__()``.

    Example:
        >>> class Squares(nn.data.Dataset):
        ...     def __len__(self): return 4
        ...     def __getitem__(self, i): return np.array([float(i)]), i * i
        >>> [labels.tolist() for _, labels in nn.data.DataLoader(Squares(), batch_size=2)]
        [[0, 1], [4, 9]]
    """

    def __getitem__(self, index: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} does not define __len__")


class TensorDataset(Dataset):
    """Samples along the first axis of each array: sample i is ``(a[i], b[i], ...)``.

    Args:
        *arrays: arrays, Tensors or nested lists with the same first-axis length.

    Raises:
        ValueError: when no array is given, an array has no first axis, or the lengths differ.

    Example:
        >>> data = nn.data.TensorDataset(np.zeros((3, 2)), np.array([0, 1, 1]))
        >>> len(data), data[2][1]
        (3, np.int64(1))
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset: give at least one array")
        self.arrays = tuple(_as_array(f"TensorDataset: array {i}", a) for i, a in enumerate(arrays))
        lengths = [len(array) for array in self.arrays]
        if len(set(lengths)) != 1:
            raise ValueError(f"TensorDataset: the arrays have different lengths {lengths}")

    def __getitem__(self, index: Any) -> tuple[Any, ...]:
        return tuple(array[index] for array in self.arrays)

    def __len__(self) -> int:
        return len(self.arrays[0])


def _as_array(where: str, values: Any) -> np.ndarray:
    array = values.data if isinstance(values, Tensor) else np.asarray(values)
    if array.ndim == 0:
        raise ValueError(f"{where} has no sample axis (a 0-d array)")
    if array.dtype.kind not in "biuf":
        raise TypeError(f"{where}: data must be numeric, got dtype {array.dtype}")
    return array


def _convert(where: str, array: np.ndarray) -> Any:
    """A batched field: a Tensor for floats, int64 for integers, bool kept."""
    kind = array.dtype.kind
    if kind == "f":
        return Tensor(array)  # float32 kept, float64 kept, float16 -> float64 (Tensor's rule)
    if kind in "iu":
        if kind == "u" and array.size and array.max() > np.iinfo(np.int64).max:
            raise ValueError(f"{where}: labels above the int64 range")
        return array.astype(np.int64, copy=False)
    if kind == "b":
        return array
    raise TypeError(f"DataLoader: {where} has dtype {array.dtype}, not numeric")


def _stack(where: str, items: list[Any]) -> np.ndarray:
    arrays = [item.data if isinstance(item, Tensor) else item for item in items]
    try:
        return np.stack([np.asarray(item) for item in arrays])
    except ValueError as exc:
        raise ValueError(f"DataLoader: the samples' {where} differ in shape ({exc})") from None


def default_collate(samples: list[Any]) -> Any:
    """Stack a list of samples into a batch, field by field (tuples, lists and dicts of
    arrays, Tensors or numbers), converting as the module's docstring says."""
    first = samples[0]
    if isinstance(first, Mapping):
        return {key: _convert(f"field {key!r}", _stack(f"{key!r}", [s[key] for s in samples]))
                for key in first}  # fmt: skip
    if isinstance(first, (tuple, list)):
        return tuple(
            _convert(f"field {i}", _stack(f"field {i}", [s[i] for s in samples]))
            for i in range(len(first))
        )
    return _convert("sample", _stack("values", samples))


class DataLoader:
    """Iterate over a dataset in batches, optionally shuffled and dropping a short last batch.

    Args:
        dataset: a `Dataset` (or anything with ``__getitem__`` and ``__len__``).
        batch_size: samples per batch.
        shuffle: visit the samples in a new random order every epoch (every ``iter()``).
        drop_last: leave out the last batch when it is smaller than ``batch_size``.
        generator: a ``numpy.random.Generator`` for the shuffling; None uses the engine's
            global one (`nn.manual_seed`), read at the start of each epoch.
        collate_fn: turns a list of samples into a batch (default: `default_collate`).

    Raises:
        ValueError: for a batch size that is not a positive integer.
        TypeError: for a generator that is not a ``numpy.random.Generator``.

    Example:
        >>> x = np.arange(10, dtype=np.float32).reshape(5, 2); y = np.array([0, 1, 0, 1, 1])
        >>> loader = nn.data.DataLoader(nn.data.TensorDataset(x, y), batch_size=2)
        >>> [(inputs.shape, labels.dtype.name) for inputs, labels in loader]
        [((2, 2), 'int64'), ((2, 2), 'int64'), ((1, 2), 'int64')]
        >>> next(iter(loader))[0].dtype
        dtype('float32')
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        generator: np.random.Generator | None = None,
        collate_fn: Any = None,
    ) -> None:
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise ValueError(
                f"DataLoader: batch_size must be a positive integer, got {batch_size!r}"
            )
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size}")
        if generator is not None and not isinstance(generator, np.random.Generator):
            raise TypeError(
                f"DataLoader: generator must be a numpy.random.Generator (np.random.default_rng"
                f"(seed)), got {type(generator).__name__}"
            )
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self.generator = generator
        self.collate_fn = default_collate if collate_fn is None else collate_fn

    def __len__(self) -> int:
        """The number of batches in an epoch."""
        samples = len(self.dataset)
        if self.drop_last:
            return samples // self.batch_size
        return math.ceil(samples / self.batch_size)

    def samples_per_epoch(self) -> int:
        """How many samples an epoch visits (all of them, unless ``drop_last`` leaves some)."""
        samples = len(self.dataset)
        return samples - samples % self.batch_size if self.drop_last else samples

    def _order(self) -> np.ndarray:
        samples = len(self.dataset)
        if not self.shuffle:
            return np.arange(samples)
        rng = default_generator() if self.generator is None else self.generator
        return rng.permutation(samples)

    def __iter__(self) -> Iterator[Any]:
        order = self._order()
        stop = self.samples_per_epoch()
        arrays = self.dataset.arrays if type(self.dataset) is TensorDataset else None
        for start in range(0, stop, self.batch_size):
            indices = order[start : min(start + self.batch_size, stop)]
            if arrays is not None and self.collate_fn is default_collate:
                # one fancy index per array instead of a list of samples
                yield tuple(_convert(f"field {i}", a[indices]) for i, a in enumerate(arrays))
            else:
                yield self.collate_fn([self.dataset[int(i)] for i in indices])

    def __repr__(self) -> str:
        return (
            f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, batch_size="
            f"{self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last})"
        )


__all__: Sequence[str] = ["DataLoader", "Dataset", "TensorDataset", "default_collate"]
