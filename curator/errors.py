"""The errors curator raises. Only the CLI turns them into exit codes."""

from __future__ import annotations


class CuratorError(Exception):
    """Something the user can fix; the message says what to do."""

    exit_code = 1


class ConfigError(CuratorError):
    """A workspace file is missing, malformed or has a wrong value."""

    exit_code = 2


class UsageError(CuratorError):
    """An argument that names nothing or cannot be read: a person, a day, an address."""

    exit_code = 2


class NameError_(UsageError):
    """A contact name that matches nobody, or more than one person."""


class LockedError(CuratorError):
    """Another curator run holds the workspace lock."""

    exit_code = 75  # EX_TEMPFAIL: cron may simply try again later


class FetchError(CuratorError):
    """A feed or page could not be fetched; carries a short reason."""


class NotAFeedError(FetchError):
    """The bytes fetched are not a feed (empty, HTML page, binary)."""


class DamagedDatabaseError(CuratorError):
    """The workspace database is damaged or is not a curator database."""


class ChangedFileError(CuratorError):
    """A user's file changed between curator reading it and writing it back."""


# What a command prints when the user presses Ctrl-C (exit 130).
INTERRUPTED = "Interrupted."
# A run or fetch stopped by Ctrl-C: what it had stored is kept and its queue finishes next time.
RUN_INTERRUPTED = "Interrupted; nothing was lost, the next run will finish the work"


def damaged_database(path: object, exc: BaseException) -> DamagedDatabaseError:
    """The one-line error for a database SQLite cannot read, naming the file and the fix."""
    return DamagedDatabaseError(
        f"the database {path} cannot be read ({exc}); run: curator doctor --repair"
    )


# SQLite's words for a file it cannot read as a database, as opposed to a busy or full one.
DAMAGE_MESSAGES = ("malformed", "not a database", "file is encrypted", "corrupt")
