"""The local SQLite state: feed validators, articles, suggestions, history.

The schema is built by numbered migrations recorded in ``migrations``; add new ones at the
end of MIGRATIONS, never edit a released one.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import unicodedata
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from curator import tokens
from curator.errors import DAMAGE_MESSAGES, damaged_database
from curator.files import PRIVATE_FILE, private_dir, refuse_symlink
from curator.models import Article, Entry
from curator.urls import canonical_url

if TYPE_CHECKING:
    from curator.config import Workspace

M001_INITIAL = """
CREATE TABLE feeds (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    etag TEXT,
    last_modified TEXT,
    last_status TEXT,
    last_error TEXT,
    last_fetched_at TEXT,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT,
    moved_to TEXT,
    retired INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    link TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    text TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL DEFAULT '',
    published TEXT,
    feed_id INTEGER REFERENCES feeds(id) ON DELETE SET NULL,
    feed_name TEXT NOT NULL DEFAULT '',
    fetched_at TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT 'page',
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX articles_dates ON articles(published, fetched_at);
CREATE TABLE failures (
    id INTEGER PRIMARY KEY,
    run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    feed TEXT NOT NULL DEFAULT '',
    error TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    week TEXT,
    report TEXT
);
CREATE TABLE suggestions (
    id INTEGER PRIMARY KEY,
    contact TEXT NOT NULL,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    week TEXT NOT NULL,
    score REAL NOT NULL,
    reasons TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (contact, article_id, week)
);
CREATE INDEX suggestions_contact ON suggestions(contact, week);
CREATE TABLE history (
    id INTEGER PRIMARY KEY,
    contact TEXT NOT NULL,
    article_id INTEGER REFERENCES articles(id) ON DELETE SET NULL,
    url TEXT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL CHECK (action IN ('shared', 'dismissed')),
    on_date TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX history_contact ON history(contact);
"""

# Each person's last suggestions with a fingerprint of all they depend on, so a rerun
# with nothing new skips matching (curator/digestcache.py).
M005_SPEED = """
CREATE TABLE decision_cache (
    contact TEXT PRIMARY KEY,
    key TEXT NOT NULL,
    suggestions BLOB NOT NULL
)
"""

# Each article's words as extraction split them (curator/tokens.py), so indexing a week
# does not split its text again; NULL for articles stored before, which are split then.
M006_TOKENS = "ALTER TABLE articles ADD COLUMN tokens BLOB"

# An index for the window's articles, by the date IN_WINDOW asks for, and one for
# looking up an article by the link a person shares.
M007_WINDOW = """
CREATE INDEX IF NOT EXISTS articles_seen ON articles(COALESCE(published, fetched_at));
CREATE INDEX IF NOT EXISTS articles_link ON articles(link)
"""

# The day curator first saw each contact: a cadence counts from it until something is
# shared, so nobody is overdue on the day they are added.
M008_CONTACTS_SEEN = """
CREATE TABLE contacts_seen (
    contact TEXT PRIMARY KEY,
    first_seen TEXT NOT NULL
)
"""

# The entries a feed listed whose articles are not stored yet. They are written in the
# transaction that stores the feed's validators, and each leaves once its article is
# stored, so a run interrupted in between is finished by the next one even when the feed
# then answers 304 (curator/pipeline.py).
M009_PENDING_ENTRIES = """
CREATE TABLE pending_entries (
    url TEXT PRIMARY KEY,
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    link TEXT NOT NULL,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    content TEXT NOT NULL,
    author TEXT NOT NULL,
    published TEXT
)
"""

# Each article's vector of meaning (curator/embedding.py) and the model and passage
# recipe that made it: a vector from another model is computed afresh, never compared.
M010_ARTICLE_VECTORS = """
CREATE TABLE article_vectors (
    article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    model TEXT NOT NULL,
    vector BLOB NOT NULL
)
"""

# Contacts made outside curator (a call, a meeting, a message), which restart a cadence
# as a share does. ``after_history`` is the last history row's id when the touch was
# recorded, so `undo` can tell which of the two tables holds the record made last.
M011_TOUCHES = """
CREATE TABLE touches (
    id INTEGER PRIMARY KEY,
    contact TEXT NOT NULL,
    on_date TEXT NOT NULL,
    via TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    after_history INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX touches_contact ON touches(contact)
"""

# People set aside for a while: no suggestions and no reminder until ``until`` (NULL:
# until the user lifts it).
M012_SNOOZES = """
CREATE TABLE snoozes (
    contact TEXT PRIMARY KEY,
    until TEXT,
    since TEXT NOT NULL
)
"""

MIGRATIONS: list[tuple[str, str]] = [
    ("m001_initial", M001_INITIAL),
    ("m005_speed", M005_SPEED),
    ("m006_tokens", M006_TOKENS),
    ("m007_window", M007_WINDOW),
    ("m008_contacts_seen", M008_CONTACTS_SEEN),
    ("m009_pending_entries", M009_PENDING_ENTRIES),
    ("m010_article_vectors", M010_ARTICLE_VECTORS),
    ("m011_touches", M011_TOUCHES),
    ("m012_snoozes", M012_SNOOZES),
]


# The combining marks NFKD splits off accented letters (Latin, Greek, Cyrillic and more).
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def _fold(value: str | None) -> str:
    """A text's letter-case and accent-free form, for searches (a SQL function): one
    regular expression over the whole text, not a test per character, as a window's
    texts are folded at each search."""
    value = value or ""
    if value.isascii():
        return value.lower()
    return _COMBINING.sub("", unicodedata.normalize("NFKD", value.casefold()))


def now() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else None


def _utc_day(when: datetime) -> tuple[str | None, str | None]:
    """The start of the UTC day of ``when`` and of the next, as stored: one record a day
    is counted by the day history shows."""
    day = when.astimezone(UTC)
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return iso(start), iso(start + timedelta(days=1))


def parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass
class FeedState:
    """What the database remembers about one feed between runs."""

    id: int
    url: str
    etag: str | None
    last_modified: str | None
    consecutive_failures: int
    next_attempt_at: datetime | None
    moved_to: str | None
    retired: bool
    last_status: str | None = None
    last_error: str | None = None


_WITHOUT_TEXT = "id, url, link, title, author, published, feed_name, fetched_at, source, note"

# The articles of a window (published, or first seen when undated, at or after ?), for
# "WHERE {IN_WINDOW} ORDER BY id". The subquery reads the date index; a plain WHERE on
# the date made SQLite scan the whole table (so that ORDER BY id came free), reading past
# every stored text to the date columns: 0.42 s instead of 0.04 for 104,000 articles, a
# year of weekly runs, in every run and every rerun.
IN_WINDOW = "id IN (SELECT id FROM articles WHERE COALESCE(published, fetched_at) >= ?)"


def _private_database(path: Path) -> None:
    """Make the database and its side files the owner's alone, and never a followed link.

    SQLite gives its -wal, -shm and -journal files the database file's mode, so creating
    that file 0600 before SQLite opens it keeps them all private.
    """
    private_dir(path.parent)
    for side in ("", "-wal", "-shm", "-journal"):
        refuse_symlink(path.with_name(path.name + side))
    try:
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, PRIVATE_FILE))
    except FileExistsError:
        for side in ("", "-wal", "-shm", "-journal"):
            part = path.with_name(path.name + side)
            try:
                if part.stat().st_mode & 0o077:
                    part.chmod(PRIVATE_FILE)
            except OSError:
                pass  # absent, or not ours to change


BACKUP_PATTERN = "curator-*.db"


def list_backups(folder: Path) -> list[Path]:
    """The database backups in ``folder`` (see Store.backup), newest first."""
    if not folder.is_dir() or folder.is_symlink():
        return []
    found = [p for p in folder.glob(BACKUP_PATTERN) if p.is_file() and not p.is_symlink()]
    return sorted(found, reverse=True)


def backup_workspace(workspace: Workspace) -> Path | None:
    """Back up the workspace database as its ``backups`` setting says (0: never);
    None when there is no database or no backup is wanted."""
    keep = workspace.settings.backups
    if keep <= 0 or not workspace.db_path.exists():
        return None
    with Store(workspace.db_path) as store:
        return store.backup(workspace.backups_dir, keep)


class Store:
    """A connection to the workspace database with the queries curator needs."""

    def __init__(self, path: Path | str, *, backup_before_migrating: bool = True):
        self.path = Path(path)
        self.backup_before_migrating = backup_before_migrating and str(path) != ":memory:"
        if str(path) != ":memory:":
            _private_database(self.path)
        self.db = sqlite3.connect(str(path), timeout=30, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        try:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA busy_timeout=30000")
            # Overwrite deleted content so a forgotten contact's bytes do not linger in
            # free pages.
            self.db.execute("PRAGMA secure_delete=ON")
            self.migrate()
        except sqlite3.DatabaseError as exc:
            self.db.close()
            if any(words in str(exc) for words in DAMAGE_MESSAGES):
                raise damaged_database(self.path, exc) from None
            raise

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any error."""
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    def backup(self, folder: Path, keep: int | None = None) -> Path:
        """Write a consistent copy of the database to folder/curator-<UTC time>.db,
        readable by its owner only, and keep the newest ``keep`` (None: remove none).

        VACUUM INTO reads one snapshot while others may write, and copies no free page,
        so no deleted row's bytes travel into a backup.
        """
        private_dir(folder)
        target = folder / f"curator-{now():%Y%m%dT%H%M%S%fZ}.db"
        partial = folder / f".{target.name}.tmp"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
        os.close(os.open(partial, flags, PRIVATE_FILE))
        try:
            self.db.execute("VACUUM INTO ?", (str(partial),))
            fd = os.open(partial, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        for old in list_backups(folder)[keep:] if keep is not None else []:
            old.unlink()
        return target

    def migrate(self) -> list[str]:
        """Apply the migrations not yet recorded; return their names.

        A database made by an earlier version is backed up first (beside it, in
        backups/), so a migration that goes wrong loses nothing."""
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS migrations "
            "(id INTEGER PRIMARY KEY, name TEXT UNIQUE, applied_at TEXT)"
        )
        done = {row[0] for row in self.db.execute("SELECT name FROM migrations")}
        pending = any(name not in done for name, _ in MIGRATIONS)
        if done and pending and self.backup_before_migrating:
            self.backup(self.path.parent / "backups")
        applied = []
        for name, sql in MIGRATIONS:
            if name in done:
                continue
            with self.transaction() as db:
                for statement in sql.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(
                    "INSERT INTO migrations (name, applied_at) VALUES (?, ?)", (name, iso(now()))
                )
            applied.append(name)
        return applied

    # -- feeds ---------------------------------------------------------------------------

    def feed_state(self, url: str, name: str = "") -> FeedState:
        """The stored state of a feed, creating its row on first sight."""
        self.db.execute(
            "INSERT INTO feeds (url, name) VALUES (?, ?) "
            "ON CONFLICT(url) DO UPDATE SET name = excluded.name",
            (url, name),
        )
        row = self.db.execute("SELECT * FROM feeds WHERE url = ?", (url,)).fetchone()
        return FeedState(
            id=row["id"],
            url=row["url"],
            etag=row["etag"],
            last_modified=row["last_modified"],
            consecutive_failures=row["consecutive_failures"],
            next_attempt_at=parse_iso(row["next_attempt_at"]),
            moved_to=row["moved_to"],
            retired=bool(row["retired"]),
            last_status=row["last_status"],
            last_error=row["last_error"],
        )

    def feed_ok(
        self,
        feed_id: int,
        status: str,
        etag: str | None = None,
        last_modified: str | None = None,
        keep_validators: bool = False,
    ) -> None:
        if keep_validators:
            self.db.execute(
                "UPDATE feeds SET last_status=?, last_error=NULL, last_fetched_at=?, "
                "consecutive_failures=0, next_attempt_at=NULL WHERE id=?",
                (status, iso(now()), feed_id),
            )
        else:
            self.db.execute(
                "UPDATE feeds SET last_status=?, last_error=NULL, last_fetched_at=?, etag=?, "
                "last_modified=?, consecutive_failures=0, next_attempt_at=NULL WHERE id=?",
                (status, iso(now()), etag, last_modified, feed_id),
            )

    def feed_failed(
        self,
        feed_id: int,
        status: str,
        error: str,
        next_attempt_at: datetime | None = None,
        retire: bool = False,
    ) -> int:
        self.db.execute(
            "UPDATE feeds SET last_status=?, last_error=?, last_fetched_at=?, "
            "consecutive_failures=consecutive_failures+1, next_attempt_at=?, "
            "retired=MAX(retired, ?) WHERE id=?",
            (status, error, iso(now()), iso(next_attempt_at), int(retire), feed_id),
        )
        row = self.db.execute(
            "SELECT consecutive_failures FROM feeds WHERE id=?", (feed_id,)
        ).fetchone()
        return int(row[0])

    def queue_entries(self, feed_id: int, entries: Iterable[tuple[str, Entry]]) -> list[str]:
        """Remember a feed's entries (canonical URL, entry) until their articles are stored;
        call it in the transaction that stores the feed's validators. Returns the URLs
        that were not queued already, in order."""
        entries = list(entries)
        queued = self._pending_urls([url for url, _ in entries])
        new = [(url, entry) for url, entry in entries if url not in queued]
        self.db.executemany(
            "INSERT INTO pending_entries (url, feed_id, link, title, summary, content, author, "
            "published) VALUES (?,?,?,?,?,?,?,?) ON CONFLICT(url) DO NOTHING",
            [
                (url, feed_id, e.url, e.title, e.summary, e.content, e.author, iso(e.published))
                for url, e in new
            ],
        )
        return [url for url, _ in new]

    def _pending_urls(self, urls: list[str]) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(urls), 500):
            chunk = urls[i : i + 500]
            marks = ",".join("?" * len(chunk))
            found.update(
                r[0]
                for r in self.db.execute(
                    f"SELECT url FROM pending_entries WHERE url IN ({marks})", chunk
                )
            )
        return found

    def pending_entries(self) -> list[tuple[int, str, Entry]]:
        """The queued entries whose articles are still not stored, as (feed id, canonical
        URL, entry), in the order they were queued; those stored meanwhile leave the queue."""
        self.drop_stored_entries()
        rows = self.db.execute(
            "SELECT feed_id, url, link, title, summary, content, author, published "
            "FROM pending_entries ORDER BY rowid"
        )
        return [
            (feed_id, url, Entry(link, title, summary, content, author, parse_iso(published)))
            for feed_id, url, link, title, summary, content, author, published in rows
        ]

    def drop_stored_entries(self, urls: Iterable[str] = ()) -> None:
        """Take off the queue the entries whose articles are stored, and ``urls`` as well."""
        with self.transaction() as db:
            db.executemany("DELETE FROM pending_entries WHERE url = ?", [(u,) for u in urls])
            db.execute(
                "DELETE FROM pending_entries "
                "WHERE EXISTS (SELECT 1 FROM articles WHERE articles.url = pending_entries.url)"
            )

    def feed_moved(self, feed_id: int, new_url: str) -> None:
        self.db.execute("UPDATE feeds SET moved_to=? WHERE id=?", (new_url, feed_id))

    def feed_rows(self) -> list[sqlite3.Row]:
        return list(self.db.execute("SELECT * FROM feeds ORDER BY url"))

    # -- articles ------------------------------------------------------------------------

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """Those of the canonical URLs that are already stored."""
        urls = list(urls)
        found: set[str] = set()
        for i in range(0, len(urls), 500):
            chunk = urls[i : i + 500]
            marks = ",".join("?" * len(chunk))
            found.update(
                r[0]
                for r in self.db.execute(f"SELECT url FROM articles WHERE url IN ({marks})", chunk)
            )
        return found

    def add_article(
        self,
        *,
        url: str,
        link: str,
        title: str,
        text: str,
        author: str,
        published: datetime | None,
        feed_id: int | None,
        feed_name: str,
        source: str,
        note: str = "",
        words: bytes | None = None,
    ) -> int | None:
        """Store a new article; return its id, or None if the URL was already stored.

        ``words`` are its title's and text's words packed by ``tokens.pack``; split here
        when not given."""
        if words is None:
            words = tokens.pack(title, text)
        cursor = self.db.execute(
            "INSERT INTO articles (url, link, title, text, author, published, feed_id, "
            "feed_name, fetched_at, source, note, tokens) VALUES (?,?,?,?,?,?,?,?,?,?,?,?) "
            "ON CONFLICT(url) DO NOTHING",
            (
                url,
                link,
                title,
                text,
                author,
                iso(published),
                feed_id,
                feed_name,
                iso(now()),
                source,
                note,
                words,
            ),
        )
        return cursor.lastrowid if cursor.rowcount else None

    def save_vectors(self, model: str, vectors: Iterable[tuple[int, bytes]]) -> None:
        """Store (article id, vector bytes) made by ``model``, replacing older vectors."""
        self.db.executemany(
            "INSERT OR REPLACE INTO article_vectors (article_id, model, vector) VALUES (?,?,?)",
            [(article_id, model, blob) for article_id, blob in vectors],
        )

    def vectors(self, ids: list[int], model: str) -> dict[int, bytes]:
        """The stored vectors made by ``model`` of those articles that have one."""
        found: dict[int, bytes] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            found.update(
                self.db.execute(
                    f"SELECT article_id, vector FROM article_vectors "
                    f"WHERE model = ? AND article_id IN ({marks})",
                    [model, *chunk],
                ).fetchall()
            )
        return found

    def passages(self, ids: list[int], chars: int) -> dict[int, tuple[str, str]]:
        """(title, the first ``chars`` characters of the text) of each of those articles."""
        found: dict[int, tuple[str, str]] = {}
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            marks = ",".join("?" * len(chunk))
            for article_id, title, text in self.db.execute(
                f"SELECT id, title, substr(text, 1, ?) FROM articles WHERE id IN ({marks})",
                [chars, *chunk],
            ):
                found[article_id] = (title, text)
        return found

    def _article(self, row: sqlite3.Row) -> Article:
        return Article(
            id=row["id"],
            url=row["link"],
            title=row["title"],
            text=row["text"] if "text" in row.keys() else "",  # noqa: SIM118 (Row: values)
            feed=row["feed_name"],
            author=row["author"],
            published=parse_iso(row["published"]),
            fetched_at=parse_iso(row["fetched_at"]),
            source=row["source"],
            # a feed's text stands in for a page that could not be read only with a note why
            summary_only=row["source"] == "feed" and bool(row["note"]),
        )

    def articles_since(self, since: datetime, *, text: bool = True) -> list[Article]:
        """Articles published (or first seen, when undated) at or after ``since``; with
        ``text=False`` their text is left empty (see ``words_since``)."""
        columns = "*" if text else _WITHOUT_TEXT
        rows = self.db.execute(
            f"SELECT {columns} FROM articles WHERE {IN_WINDOW} ORDER BY id",
            (iso(since),),
        )
        return [self._article(r) for r in rows]

    def words_since(self, since: datetime) -> Iterator[str | bytes]:
        """For each article ``articles_since`` gives, in the same order and one at a time,
        its packed words (bytes, see curator/tokens.py) or, where none were stored, its
        text: a week of text is never all held at once."""
        rows = self.db.execute(
            "SELECT tokens, CASE WHEN tokens IS NULL THEN text END FROM articles "
            f"WHERE {IN_WINDOW} ORDER BY id",
            (iso(since),),
        )
        for packed, text in rows:
            yield packed if packed is not None else text

    def article_text(self, article_id: int) -> str:
        row = self.db.execute("SELECT text FROM articles WHERE id = ?", (article_id,)).fetchone()
        return row[0] if row else ""

    def all_articles(self) -> list[Article]:
        return [self._article(r) for r in self.db.execute("SELECT * FROM articles ORDER BY id")]

    def article_by_url(self, url: str) -> Article | None:
        row = self.db.execute(
            "SELECT * FROM articles WHERE url = ? OR link = ?", (url, url)
        ).fetchone()
        return self._article(row) if row else None

    def article_by_canonical_url(self, url: str) -> Article | None:
        """The article whose link has this canonical form (tracking parameters and the
        like removed, see urls.canonical_url). Articles are stored under that form; one
        stored before the form changed is found by its link, read from the link index
        alone (never from the rows, which hold the texts)."""
        wanted = canonical_url(url)
        found = self.article_by_url(wanted)
        if found is None:
            ids = [
                article_id
                for article_id, link in self.db.execute(
                    "SELECT id, link FROM articles INDEXED BY articles_link"
                )
                if canonical_url(link) == wanted
            ]
            if ids:
                row = self.db.execute("SELECT * FROM articles WHERE id = ?", (min(ids),))
                found = self._article(row.fetchone())
        return found

    def find_articles(
        self, since: datetime, words: Iterable[str] = (), feed: str = ""
    ) -> list[Article]:
        """The window's articles, newest first (published, else first seen), text left
        empty: those whose title or text holds every one of ``words``, from a feed whose
        name holds ``feed``; letter case and accents aside."""
        self.db.create_function("curator_fold", 1, _fold, deterministic=True)
        where, args = [IN_WINDOW], [iso(since)]
        for word in words:
            where.append("instr(curator_fold(title || ' ' || text), ?) > 0")
            args.append(_fold(word))
        if feed:
            where.append("instr(curator_fold(feed_name), ?) > 0")
            args.append(_fold(feed))
        rows = self.db.execute(
            f"SELECT {_WITHOUT_TEXT} FROM articles WHERE {' AND '.join(where)} "
            "ORDER BY COALESCE(published, fetched_at) DESC, id DESC",
            args,
        )
        return [self._article(r) for r in rows]

    def article_count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])

    # -- runs and failures ---------------------------------------------------------------

    def start_run(self) -> int:
        return int(
            self.db.execute("INSERT INTO runs (started_at) VALUES (?)", (iso(now()),)).lastrowid
        )

    def finish_run(self, run_id: int, week: str | None, report: dict) -> None:
        self.db.execute(
            "UPDATE runs SET finished_at=?, week=?, report=? WHERE id=?",
            (iso(now()), week, json.dumps(report), run_id),
        )

    def record_failure(
        self, run_id: int | None, kind: str, url: str, error: str, feed: str = ""
    ) -> None:
        self.db.execute(
            "INSERT INTO failures (run_id, kind, url, feed, error, at) VALUES (?,?,?,?,?,?)",
            (run_id, kind, url, feed, error, iso(now())),
        )

    def last_fetch_failures(self, since: datetime) -> list[sqlite3.Row] | None:
        """What failed (kind, url, feed, error) in the last run started at or after
        ``since`` that read every feed, or None if no run did (runs record "fetched")."""
        rows = self.db.execute(
            "SELECT id, report FROM runs WHERE started_at >= ? AND finished_at IS NOT NULL "
            "ORDER BY started_at DESC, id DESC",
            (iso(since),),
        )
        for run_id, report in rows:
            try:
                fetched = json.loads(report or "{}").get("fetched") is True
            except (ValueError, AttributeError):
                fetched = False
            if fetched:
                return list(
                    self.db.execute(
                        "SELECT kind, url, feed, error FROM failures WHERE run_id = ? ORDER BY id",
                        (run_id,),
                    )
                )
        return None

    def failures_since(self, since: datetime) -> list[sqlite3.Row]:
        return list(
            self.db.execute(
                "SELECT kind, url, feed, error, MAX(at) AS at, COUNT(*) AS times FROM failures "
                "WHERE at >= ? GROUP BY kind, url ORDER BY kind, feed, url",
                (iso(since),),
            )
        )

    # -- suggestions and history ---------------------------------------------------------

    def replace_suggestions(
        self, week: str, rows: list[tuple[str, int, float, list[dict]]]
    ) -> None:
        """Set the suggestions of one digest week: (contact key, article id, score, reasons)."""
        with self.transaction() as db:
            db.execute("DELETE FROM suggestions WHERE week = ?", (week,))
            db.executemany(
                "INSERT INTO suggestions (contact, article_id, week, score, reasons, created_at) "
                "VALUES (?,?,?,?,?,?)",
                [(c, a, w, s, json.dumps(r), iso(now())) for c, a, s, r in rows for w in (week,)],
            )

    def suggested_before(self, week: str) -> dict[str, set[int]]:
        """Article ids suggested to each contact in digests of other weeks."""
        seen: dict[str, set[int]] = {}
        for contact, article_id in self.db.execute(
            "SELECT contact, article_id FROM suggestions WHERE week <> ?", (week,)
        ):
            seen.setdefault(contact, set()).add(article_id)
        return seen

    def suggestions_for_week(self, week: str) -> list[sqlite3.Row]:
        return list(
            self.db.execute(
                "SELECT * FROM suggestions WHERE week = ? ORDER BY contact, score DESC", (week,)
            )
        )

    def weeks(self) -> list[str]:
        return [
            r[0]
            for r in self.db.execute(
                "SELECT DISTINCT week FROM runs WHERE week IS NOT NULL ORDER BY week DESC"
            )
        ]

    def add_history(
        self,
        contact: str,
        url: str,
        action: str,
        on: datetime,
        article_id: int | None = None,
        title: str = "",
        note: str = "",
    ) -> None:
        self.db.execute(
            "INSERT INTO history (contact, article_id, url, title, action, on_date, note) "
            "VALUES (?,?,?,?,?,?,?)",
            (contact, article_id, url, title, action, iso(on), note),
        )

    def history(self, contact: str | None = None) -> list[sqlite3.Row]:
        if contact is None:
            return list(self.db.execute("SELECT * FROM history ORDER BY on_date DESC, id DESC"))
        return list(
            self.db.execute(
                "SELECT * FROM history WHERE contact = ? ORDER BY on_date DESC, id DESC", (contact,)
            )
        )

    def history_of_day(self, contact: str, action: str, day: datetime) -> list[sqlite3.Row]:
        """One contact's rows of one action on the (UTC) day of ``day``, oldest first."""
        return list(
            self.db.execute(
                "SELECT * FROM history WHERE contact = ? AND action = ? "
                "AND on_date >= ? AND on_date < ? ORDER BY id",
                (contact, action, *_utc_day(day)),
            )
        )

    def add_touch(self, contact: str, on: datetime, via: str, note: str = "") -> None:
        self.db.execute(
            "INSERT INTO touches (contact, on_date, via, note, after_history) "
            "VALUES (?, ?, ?, ?, (SELECT COALESCE(MAX(id), 0) FROM history))",
            (contact, iso(on), via, note),
        )

    def touches(self, contact: str | None = None) -> list[sqlite3.Row]:
        """One contact's touches (everyone's with None), newest first."""
        if contact is None:
            return list(self.db.execute("SELECT * FROM touches ORDER BY on_date DESC, id DESC"))
        return list(
            self.db.execute(
                "SELECT * FROM touches WHERE contact = ? ORDER BY on_date DESC, id DESC",
                (contact,),
            )
        )

    def touches_of_day(self, contact: str, via: str, day: datetime) -> list[sqlite3.Row]:
        """One contact's touches by one means on the (UTC) day of ``day``."""
        return list(
            self.db.execute(
                "SELECT * FROM touches WHERE contact = ? AND via = ? "
                "AND on_date >= ? AND on_date < ? ORDER BY id",
                (contact, via, *_utc_day(day)),
            )
        )

    def take_back_last(self) -> tuple[str, sqlite3.Row] | None:
        """Delete the share, dismissal or touch recorded last and return ('history' or
        'touches', its row); None if there is none."""
        with self.transaction() as db:
            touch = db.execute("SELECT * FROM touches ORDER BY id DESC LIMIT 1").fetchone()
            row = db.execute("SELECT * FROM history ORDER BY id DESC LIMIT 1").fetchone()
            if touch is not None and (row is None or row["id"] <= touch["after_history"]):
                db.execute("DELETE FROM touches WHERE id = ?", (touch["id"],))
                return "touches", touch
            if row is not None:
                db.execute("DELETE FROM history WHERE id = ?", (row["id"],))
                return "history", row
        return None

    def last_touched(self) -> dict[str, datetime]:
        return {
            row[0]: parse_iso(row[1])
            for row in self.db.execute("SELECT contact, MAX(on_date) FROM touches GROUP BY contact")
        }

    def shared_since(self, since: datetime) -> dict[str, int]:
        """How many articles were shared with each contact on or after ``since``."""
        return dict(
            self.db.execute(
                "SELECT contact, COUNT(*) FROM history WHERE action = 'shared' AND on_date >= ? "
                "GROUP BY contact",
                (iso(since),),
            ).fetchall()
        )

    def snooze(self, contact: str, until: datetime | None, since: datetime) -> None:
        """Set a contact aside until ``until`` (None: until lifted), replacing any snooze."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO snoozes (contact, until, since) VALUES (?, ?, ?) "
                "ON CONFLICT(contact) DO UPDATE SET until = excluded.until, since = excluded.since",
                (contact, iso(until), iso(since)),
            )

    def unsnooze(self, contact: str) -> bool:
        """Lift a contact's snooze; False if there was none."""
        with self.transaction() as db:
            return db.execute("DELETE FROM snoozes WHERE contact = ?", (contact,)).rowcount > 0

    def snoozes(self, when: datetime) -> dict[str, datetime | None]:
        """The contacts snoozed at ``when``, with the end of each snooze (None: until lifted)."""
        rows = self.db.execute(
            "SELECT contact, until FROM snoozes WHERE until IS NULL OR until > ?", (iso(when),)
        )
        return {contact: parse_iso(until) for contact, until in rows}

    def last_shared(self) -> dict[str, datetime]:
        return {
            row[0]: parse_iso(row[1])
            for row in self.db.execute(
                "SELECT contact, MAX(on_date) FROM history WHERE action = 'shared' GROUP BY contact"
            )
        }

    def first_seen(self, contacts: Iterable[str], when: datetime) -> dict[str, datetime]:
        """The day each contact was first seen; ``when`` for those seen for the first time."""
        keys = set(contacts)
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO contacts_seen (contact, first_seen) VALUES (?, ?) "
                "ON CONFLICT(contact) DO NOTHING",
                [(key, iso(when)) for key in sorted(keys)],
            )
        rows = self.db.execute("SELECT contact, first_seen FROM contacts_seen")
        return {key: parse_iso(day) for key, day in rows if key in keys}

    def seen_on(self, contact: str) -> datetime | None:
        """The day a contact was first seen by a digest, without recording a sight."""
        row = self.db.execute(
            "SELECT first_seen FROM contacts_seen WHERE contact = ?", (contact,)
        ).fetchone()
        return parse_iso(row[0]) if row else None

    def forget_contact(self, contact_key: str) -> int:
        """Delete every row about a contact and scrub the freed pages; return rows deleted."""
        with self.transaction() as db:
            n = db.execute("DELETE FROM suggestions WHERE contact = ?", (contact_key,)).rowcount
            n += db.execute("DELETE FROM history WHERE contact = ?", (contact_key,)).rowcount
            n += db.execute("DELETE FROM contacts_seen WHERE contact = ?", (contact_key,)).rowcount
            n += db.execute("DELETE FROM touches WHERE contact = ?", (contact_key,)).rowcount
            n += db.execute("DELETE FROM snoozes WHERE contact = ?", (contact_key,)).rowcount
            db.execute("DELETE FROM decision_cache WHERE contact = ?", (contact_key,))
        self.compact()
        return n

    def compact(self) -> None:
        """Fold the WAL into the database and rewrite it, leaving no stale bytes behind."""
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.db.execute("VACUUM")
        self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
