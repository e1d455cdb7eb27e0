"""One run at a time per workspace: an advisory lock the OS releases even after kill -9."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from curator.errors import ConfigError, LockedError
from curator.files import PRIVATE_FILE, private_dir


@contextmanager
def workspace_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` or raise LockedError at once."""
    private_dir(path.parent)
    try:
        # O_NOFOLLOW: a link planted in place of the lock must not truncate its target
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, PRIVATE_FILE)
    except OSError as exc:
        if path.is_symlink():
            raise ConfigError(
                f"{path} is a symbolic link; curator does not follow it (remove it)"
            ) from None
        raise ConfigError(f"cannot open the lock {path}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip()
            who = f" (process {holder})" if holder else ""
            raise LockedError(
                f"another curator run is using this workspace{who}; try again when it has finished"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
