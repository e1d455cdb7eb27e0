"""`curator doctor`: check a workspace and, with --repair, mend its database.

The checks only read. A repair moves the damaged database aside (renamed, never deleted)
and puts in its place the newest intact backup, plus the shares and dismissals recorded
after it that can still be read; with no intact backup, every readable row of the history
tables goes into a new database. The user's YAML files are never touched.
"""

from __future__ import annotations

import os
import platform
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from curator import __version__
from curator.config import Workspace, load_contacts, load_feeds
from curator.errors import CuratorError
from curator.files import PRIVATE_FILE
from curator.store import Store, list_backups, now

LIBRARIES = ("feedparser", "trafilatura", "lxml", "rapidfuzz", "jinja2", "ruamel.yaml", "httpx")

# The tables a repair salvages, parents first: what curator remembers and cannot fetch again.
SALVAGED = ("feeds", "articles", "runs", "failures", "suggestions", "history", "contacts_seen")


@dataclass(frozen=True)
class Finding:
    """One line of the check: what was looked at and, when ``problem``, what is wrong."""

    text: str
    problem: bool = False


@dataclass
class Repair:
    """What `curator doctor --repair` did, for the lines it prints."""

    lines: list[str] = field(default_factory=list)
    repaired: bool = False


def versions() -> str:
    """curator's version and those of Python, SQLite and the libraries it leans on."""
    found = []
    for name in LIBRARIES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} missing")
    return (
        f"curator {__version__}, Python {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}; " + ", ".join(found)
    )


def integrity(path: Path, quick: bool = False) -> str | None:
    """None when SQLite finds the database file intact, else what is wrong, in a line."""
    try:
        conn = sqlite3.connect(path)
    except sqlite3.Error as exc:
        return str(exc)
    try:
        rows = conn.execute(f"PRAGMA {'quick_check' if quick else 'integrity_check'}").fetchall()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()
    if [tuple(r) for r in rows] == [("ok",)]:
        return None
    return f"{len(rows)} problems, the first: {rows[0][0]}"


def check(workspace: Workspace) -> list[Finding]:
    """Every check, in the order printed."""
    findings = []
    for path, load, one, many in (
        (workspace.feeds_path, load_feeds, "feed", "feeds"),
        (workspace.contacts_path, load_contacts, "person", "people"),
    ):
        try:
            n = len(load(workspace))
            findings.append(Finding(f"{path.name}: {n} {one if n == 1 else many}"))
        except CuratorError as exc:
            findings.append(Finding(str(exc), problem=True))
    findings.append(_database(workspace))
    findings.extend(_backups(workspace))
    findings.append(_output(workspace))
    findings.append(_selectors())
    return findings


def _database(workspace: Workspace) -> Finding:
    db = workspace.db_path
    if not db.exists():
        return Finding(f"database {db}: none yet (the first curator run makes it)")
    problem = integrity(db)
    if problem:
        return Finding(
            f"database {db} is damaged ({problem}); run: curator doctor --repair", problem=True
        )
    conn = sqlite3.connect(db)  # not a Store: checking never migrates
    try:
        counts = [
            conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in ("articles", "history", "runs")
        ]
    except sqlite3.DatabaseError as exc:
        return Finding(f"database {db} is not curator's ({exc})", problem=True)
    finally:
        conn.close()
    return Finding(
        f"database {db}: intact, {counts[0]} articles, {counts[1]} shares and dismissals, "
        f"{counts[2]} runs"
    )


def _backups(workspace: Workspace) -> list[Finding]:
    found = list_backups(workspace.backups_dir)
    if not found:
        if workspace.settings.backups <= 0:
            return [Finding("backups: none (the backups setting is 0)")]
        return [Finding(f"backups: none yet in {workspace.backups_dir} (each run makes one)")]
    damaged = [p for p in found if integrity(p, quick=True)]
    findings = [
        Finding(f"backup {p} is damaged; it cannot be restored (delete it)", problem=True)
        for p in damaged
    ]
    intact = len(found) - len(damaged)
    newest = next((p for p in found if p not in damaged), None)
    when = f", the newest from {_when(newest)}" if newest else ""
    findings.append(
        Finding(
            f"backups: {intact} intact in {workspace.backups_dir}{when}",
            problem=intact == 0,
        )
    )
    return findings


def _when(backup: Path) -> str:
    """The UTC time in a backup's name (curator-20261207T051500123456Z.db)."""
    stamp = backup.stem.removeprefix("curator-")
    return f"{stamp[0:4]}-{stamp[4:6]}-{stamp[6:8]} {stamp[9:11]}:{stamp[11:13]} UTC"


def _output(workspace: Workspace) -> Finding:
    folder = workspace.output_dir
    place = folder if folder.is_dir() else workspace.root
    try:
        with tempfile.TemporaryFile(dir=place):
            pass
    except OSError as exc:
        return Finding(f"{folder} cannot be written: {exc.strerror}", problem=True)
    free = shutil.disk_usage(place).free
    if free < 10_000_000:
        return Finding(f"{folder}: only {free // 1000} kB free on its disk", problem=True)
    return Finding(f"{folder}: writable, {free / 1e9:.1f} GB free")


def _selectors() -> Finding:
    """How many of trafilatura's selectors the fast path (curator/selectors.py) replaces."""
    from curator import selectors

    places = selectors.current()
    fast = 0
    for item in places.values():
        try:
            selectors.compile_xpath(getattr(item, "path", ""))
            fast += 1
        except Exception:  # Unsupported, or a selector that is not an XPath
            continue
    return Finding(f"fast selectors: {fast} of trafilatura's {len(places)} run in Python")


# -- repair ----------------------------------------------------------------------------------


def repair(workspace: Workspace) -> Repair:
    """Restore the newest intact backup, or salvage what can be read; see the module."""
    db, done = workspace.db_path, Repair()
    backups = list_backups(workspace.backups_dir)
    if not db.exists():
        backup = next((p for p in backups if not integrity(p)), None)
        if backup is None:
            done.lines.append(f"There is no database {db} yet, nor a backup; nothing to repair.")
            return done
        _restore(backup, db)
        done.lines.append(f"There was no database {db}; restored the backup of {_when(backup)}.")
        done.repaired = True
        return done
    if integrity(db) is None:
        done.lines.append(f"The database {db} is intact; nothing to repair.")
        return done
    aside = db.with_name(f"{db.name}.damaged-{now():%Y%m%dT%H%M%SZ}")
    for side in ("", "-wal", "-shm"):  # the WAL holds committed rows: it goes along
        if os.path.lexists(f"{db}{side}"):
            os.rename(f"{db}{side}", f"{aside}{side}")
    backup = next((p for p in backups if not integrity(p)), None)
    if backup is not None:
        _restore(backup, db)
    with Store(db) as store:
        store.db.execute("PRAGMA foreign_keys=OFF")  # salvaged rows may lose their parents
        source = sqlite3.connect(aside)
        try:
            if backup is not None:
                later = _salvage(source, store, ("history", "contacts_seen"), only_new=True)
                done.lines.append(
                    f"Restored the backup of {_when(backup)}. What the runs since then "
                    f"stored is lost; the next curator run fetches the articles again."
                )
                if later["history"]:
                    done.lines.append(
                        f"Recovered {later['history']} shares and dismissals recorded after "
                        f"that backup from the damaged file."
                    )
            else:
                counts = _salvage(source, store, SALVAGED)
                read = ", ".join(f"{table} {n}" for table, n in counts.items())
                done.lines.append(
                    f"No intact backup; salvaged every readable row into a new database: {read}."
                )
        finally:
            source.close()
    done.lines.append(f"The damaged file is kept as {aside}.")
    done.repaired = True
    return done


def _restore(backup: Path, db: Path) -> None:
    """Copy the backup to ``db`` (a new file, readable by its owner only)."""
    fd = os.open(db, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as out, backup.open("rb") as copy:
        shutil.copyfileobj(copy, out)
        out.flush()
        os.fsync(out.fileno())


def _salvage(
    source: sqlite3.Connection, store: Store, tables: tuple[str, ...], only_new: bool = False
) -> dict[str, int]:
    """Copy the readable rows of each table; with ``only_new``, those with an id beyond
    the last one the database already holds. Returns the rows copied per table."""
    counts = {}
    for table in tables:
        columns = [r[1] for r in store.db.execute(f"PRAGMA table_info({table})")]
        try:
            theirs = {r[1] for r in source.execute(f"PRAGMA table_info({table})")}
        except sqlite3.DatabaseError:
            theirs = set()
        columns = [c for c in columns if c in theirs]
        after = None
        if only_new and "id" in columns:
            after = store.db.execute(f"SELECT MAX(id) FROM {table}").fetchone()[0]
        copied = 0
        if columns:
            marks = ",".join("?" * len(columns))
            insert = f"INSERT OR IGNORE INTO {table} ({','.join(columns)}) VALUES ({marks})"
            with store.transaction() as db:
                for row in readable_rows(source, table, columns, after):
                    copied += db.execute(insert, row).rowcount
        counts[table] = copied
    return counts


def readable_rows(
    source: sqlite3.Connection, table: str, columns: list[str], after: int | None = None
) -> list[tuple]:
    """Every row of ``table`` SQLite can still read, in rowid order, stepping over the
    damaged pages: a scan that fails resumes past the rowid it stopped at, probing ever
    further ahead until a read succeeds."""
    rows: list[tuple] = []
    last = -(2**63) if after is None else after
    query = f"SELECT rowid, {','.join(columns)} FROM {table} WHERE rowid > ? ORDER BY rowid"
    for _ in range(10_000):  # each round skips at least one damaged page
        try:
            for row in source.execute(query, (last,)):
                rows.append(tuple(row[1:]))
                last = row[0]
            return rows
        except sqlite3.DatabaseError:
            pass
        resume = _next_readable(source, table, last)
        if resume is None:
            return rows
        last = resume
    return rows


def _next_readable(source: sqlite3.Connection, table: str, last: int) -> int | None:
    """A rowid to resume after: the nearest point past ``last`` from which a read works."""
    probe = f"SELECT rowid FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT 1"

    def readable(rowid: int) -> bool:
        try:
            source.execute(probe, (rowid,)).fetchall()
            return True
        except sqlite3.DatabaseError:
            return False

    start = max(last, 0)
    step = 1
    while not readable(start + step):
        step *= 2
        if step > 2**40:
            return None
    low, high = start + step // 2, start + step  # low fails (or is start), high reads
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if readable(middle) else (middle, high)
    return high
