"""Writing generated files so that a crash never leaves half a file behind.

Curator's own folders (``.curator/``, ``output/`` and each week's folder) hold names,
emails and notes, so they are made readable by their owner only, and a symbolic link in
their place is refused rather than followed: a workspace may come from someone else.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from curator.errors import ChangedFileError, ConfigError

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: Path, *, tighten: bool = True) -> Path:
    """Create ``path`` (0700) if missing; refuse a symbolic link.

    An existing folder is tightened to 0700 too, unless ``tighten`` is false (``output/``
    may be shared or served on purpose: its mode is the user's choice).
    """
    if path.is_symlink():
        raise ConfigError(
            f"{path} is a symbolic link; curator writes only into a real folder there "
            f"(replace the link with a folder)"
        )
    try:
        path.mkdir(mode=PRIVATE_DIR, parents=True)
    except FileExistsError:
        if not path.is_dir():
            raise ConfigError(f"{path} exists and is not a folder") from None
    if tighten and stat.S_IMODE(path.stat().st_mode) != PRIVATE_DIR:
        with contextlib.suppress(OSError):  # not ours to change: its files stay 0600
            path.chmod(PRIVATE_DIR)
    return path


def refuse_symlink(path: Path) -> None:
    """Raise ConfigError when ``path`` is a symbolic link curator would otherwise follow."""
    if path.is_symlink():
        raise ConfigError(f"{path} is a symbolic link; curator does not follow it (remove it)")


_UNCHECKED = object()


def snapshot(path: Path) -> bytes | None:
    """A file's bytes as read now, or None when it does not exist (see atomic_write)."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def atomic_write(path: Path, data: str | bytes, *, unchanged_since: object = _UNCHECKED) -> None:
    """Write to a temporary file beside ``path``, fsync it, then rename it into place.

    The file keeps the mode it had (a ``chmod 600`` contacts.yaml stays private); a new
    one is readable by its owner only. With ``unchanged_since`` (a ``snapshot`` taken
    before reading the file), nothing is written if the file changed since: the user
    may have saved it in an editor meanwhile, and their edit must not be lost.
    """
    if not path.parent.is_dir():
        path.parent.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        mode = PRIVATE_FILE
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        if unchanged_since is not _UNCHECKED and snapshot(path) != unchanged_since:
            raise ChangedFileError(
                f"{path.name} changed while curator was editing it (saved in an editor?); "
                f"nothing was written: run the command again"
            )
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
