"""How a Module prints: PyTorch's tree in ``repr``, plus the parameter count in ``str``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


def addindent(text: str, spaces: int) -> str:
    """Indent every line of ``text`` but the first (PyTorch's helper of the same name)."""
    first, *rest = text.split("\n")
    return "\n".join([first] + [" " * spaces + line for line in rest])


class PrintMethods:
    """`extra_repr`, `__repr__` and `__str__`, mixed into `Module`."""

    _modules: dict[str, Any]
    parameters: Callable[..., Iterator[Any]]  # Module's

    def extra_repr(self) -> str:
        """The text between the parentheses of this module's repr (its settings)."""
        return ""

    def __repr__(self) -> str:
        """The module tree exactly as PyTorch prints it (settings, then the children)."""
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [
            f"({name}): {addindent(repr(child), 2)}" for name, child in self._modules.items()
        ]
        lines = extra_lines + child_lines
        text = type(self).__name__ + "("
        if len(extra_lines) == 1 and not child_lines:
            text += extra_lines[0]
        elif lines:
            text += "\n  " + "\n  ".join(lines) + "\n"
        return text + ")"

    def __str__(self) -> str:
        """The tree of `__repr__`, then the parameter count (for ``print(model)``).

        Example:
            >>> print(Sequential(Linear(2, 3), ReLU()))
            Sequential(
              (0): Linear(in_features=2, out_features=3, bias=True)
              (1): ReLU()
            )
            Parameters: 9 (trainable: 9)
        """
        params = list(self.parameters())
        if not params:
            return repr(self)
        total = sum(param.size for param in params)
        trainable = sum(param.size for param in params if param.requires_grad)
        return f"{self!r}\nParameters: {total:,} (trainable: {trainable:,})"
