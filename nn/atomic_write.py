"""Replacing files safely: write a temporary file beside the target, fsync, rename over it.

- The target is the file a path names after following symbolic links: saving through a
  link writes the file it points to, and the link stays a link.
- An existing target must be a regular file (a device, directory, FIFO or socket is
  refused before anything is written) and keeps its permission bits (and, where allowed,
  its owner); a new file gets ``0o666 & ~umask``, as ``open()`` would make it.
- The temporary file is named ``.NAME.nn-save-PID-RANDOM.tmp``. A save that fails removes
  it; one killed outright cannot, so each save first removes the temporaries of this writer
  in the same directory whose process is gone (or that nobody has written for an hour).
- After the rename the directory is fsynced, so the new name survives a power failure.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import time
from collections.abc import Callable
from typing import BinaryIO

TEMPORARY = re.compile(r"^\..+\.nn-save-(\d+)-[0-9a-f]{8}\.tmp$")
#: a temporary nobody wrote to for this long is stale even if its process id is in use
STALE_SECONDS = 3600.0

Writer = Callable[[BinaryIO], None]


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISSOCK, "a socket")):  # fmt: skip
        if test(mode):
            return name
    return "not a regular file"


def resolve(path: str, owner: str = "save") -> tuple[str, os.stat_result | None]:
    """The file to replace for ``path`` (links followed) and its current status, if any.

    Raises:
        ValueError: when it exists and is not a regular file.
        FileNotFoundError: when its directory does not exist.
    """
    target = os.path.realpath(path)
    try:
        status: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        status = None
    if status is not None and not stat.S_ISREG(status.st_mode):
        raise ValueError(
            f"{owner}: {path} is {_kind(status.st_mode)}, not a regular file; refusing to "
            f"replace it"
        )
    directory = os.path.dirname(target)
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"{owner}: cannot write {path}: the directory {directory} does not exist"
        )
    return target, status


def _umask() -> int:
    """The process's umask, read without changing it where Linux shows it."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # elsewhere: set and restore (not thread-safe, but brief)
    os.umask(mask)
    return mask


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def clean_stale(directory: str) -> list[str]:
    """Remove this writer's temporaries in ``directory`` left by saves that were killed.

    Returns:
        The names removed.
    """
    removed: list[str] = []
    now = time.time()
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        match = TEMPORARY.match(entry.name)
        if match is None or not entry.is_file(follow_symlinks=False):
            continue
        pid = int(match.group(1))
        try:
            idle = now - entry.stat(follow_symlinks=False).st_mtime
        except OSError:
            continue
        if pid == os.getpid() and idle < STALE_SECONDS:
            continue  # another save of this process, still writing
        if _alive(pid) and idle < STALE_SECONDS:
            continue
        try:
            os.unlink(entry.path)
            removed.append(entry.name)
        except OSError:
            pass
    return removed


def _fsync_directory(directory: str) -> None:
    try:
        descriptor = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return  # a platform or filesystem without directory handles
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def replace_files(files: list[tuple[str, Writer]], owner: str = "save") -> None:
    """Write each (path, writer) pair to a temporary file, then rename them into place.

    The renames happen after every file is written and fsynced, the last pair's first, so
    for a (model, optimizer) pair the model file is renamed last.

    Raises:
        ValueError: for a target that is not a regular file (nothing is written).
        FileNotFoundError: for a missing directory. OSError: from the writes; the old
            files stay as they were and the temporaries are removed.
    """
    targets = [resolve(os.fspath(path), owner) for path, _ in files]
    for directory in {os.path.dirname(target) for target, _ in targets}:
        clean_stale(directory)
    mask = _umask()
    temporaries: list[str] = []
    try:
        for (_, writer), (target, status) in zip(files, targets):
            name = os.path.basename(target)
            temporary = os.path.join(
                os.path.dirname(target), f".{name}.nn-save-{os.getpid()}-{secrets.token_hex(4)}.tmp"
            )
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            temporaries.append(temporary)
            with os.fdopen(descriptor, "wb") as stream:
                writer(stream)
                stream.flush()
                os.fsync(stream.fileno())
            if status is None:
                os.chmod(temporary, 0o666 & ~mask)
            else:
                os.chmod(temporary, stat.S_IMODE(status.st_mode))
                if hasattr(os, "chown") and (status.st_uid, status.st_gid) != (
                    os.getuid(),
                    os.getgid(),
                ):
                    try:
                        os.chown(temporary, status.st_uid, status.st_gid)
                    except OSError:
                        pass  # not allowed: the file becomes the saver's, as with cp
        for temporary, (target, _) in reversed(list(zip(temporaries, targets))):
            os.replace(temporary, target)
    except BaseException:
        for temporary in temporaries:
            try:
                os.unlink(temporary)
            except FileNotFoundError:
                pass  # already renamed into place
        raise
    for directory in {os.path.dirname(target) for target, _ in targets}:
        _fsync_directory(directory)
