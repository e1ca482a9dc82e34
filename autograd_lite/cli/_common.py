"""What the subcommands share: the exit status of a run that could not happen, one-line
reports of the user's errors, importing the user's file, and checking an output path.

Exit status, as the README says: 0 the command did its job (gradients agree), 1 gradients
disagree (``gradcheck`` only), 2 the command could not run. Every status-2 failure is one
line on stderr that names the cause: the exception type and message, and for an error in
the user's code the file and line in that code.
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
import traceback
from pathlib import Path
from types import ModuleType

#: exit status of a command that could not run (the same as argparse's usage errors)
USAGE_ERROR = 2

#: the file types `render_graph` writes
PICTURE_SUFFIXES = (".png", ".svg", ".pdf")


class CommandError(Exception):
    """A reason the command cannot run, reported as one line on stderr (exit status 2)."""


def describe(exc: BaseException, user_file: str | os.PathLike[str] | None = None) -> str:
    """``Type: message (file.py:line)`` on one line, for an exception from the user's code.

    The line named is the deepest frame in ``user_file`` when there is one (an error raised
    inside a library the user called is reported at the user's call), else the deepest
    frame; a SyntaxError names its own file and line. `SystemExit` is spelled out, since
    its message is only the exit code.
    """
    if isinstance(exc, SystemExit):
        text = f"the code called sys.exit({exc.code!r})"
    else:
        text = " ".join(str(exc).split())
    kind = type(exc).__name__
    head = f"{kind}: {text}" if text else kind
    where = _location(exc, user_file)
    return f"{head} ({where})" if where else head


def _location(exc: BaseException, user_file: str | os.PathLike[str] | None) -> str:
    if isinstance(exc, SyntaxError) and exc.filename and exc.lineno:
        return f"{Path(exc.filename).name}:{exc.lineno}"
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    chosen = frames[-1]
    if user_file is not None:
        target = Path(user_file).resolve()
        mine = [frame for frame in frames if _same_file(frame.filename, target)]
        if mine:
            chosen = mine[-1]
    return f"{Path(chosen.filename).name}:{chosen.lineno}"


def _same_file(filename: str, target: Path) -> bool:
    try:
        return Path(filename).resolve() == target
    except (OSError, ValueError):  # "<string>" and the like
        return False


def import_user_file(path: Path, module_name: str) -> ModuleType:
    """Run the user's file as a module and return it.

    Raises:
        CommandError: when the file is not a Python file, or running it raised anything,
            ``sys.exit()`` included (which would otherwise end the command with the user's
            status); the message names the exception type and the user's file and line.
    """
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise CommandError(f"cannot import {str(path)!r} (is it a .py file?)")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the user's file is at fault
        raise CommandError(f"cannot import {str(path)!r}: {describe(exc, path)}") from exc
    return module


def check_picture_path(text: str, option: str) -> Path:
    """Check, before any work, that a picture can be written at ``text``.

    Returns:
        The path.

    Raises:
        CommandError: the path is a directory, has a suffix other than .png/.svg/.pdf,
            lies under a regular file, or its folder (or the nearest existing folder above
            it, when folders are to be made) does not accept new files.
    """
    path = Path(text)
    if path.is_dir():
        raise CommandError(
            f"{option} {text!r} is a directory; give a file name ending in .png, .svg or .pdf"
        )
    if path.suffix.lower() not in PICTURE_SUFFIXES:
        raise CommandError(f"{option} must end in .png, .svg or .pdf, got {path.name!r}")
    folder = path.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not folder.is_dir():
        raise CommandError(f"{option} {text!r}: {folder} is not a directory")
    try:  # the one sure test that new files can go there (os.access trusts root)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise CommandError(f"{option} {text!r}: cannot write into {folder}: {reason}") from None
    return path
