"""Remember each person's suggestions, so a rerun with nothing new skips matching.

Matching and ranking are the costliest part of a run once the pages are stored (about
10 s for 150 people over 2,000 articles on a small machine), and their result depends
only on what is fingerprinted here: the articles of the window, the person's entry in
contacts.yaml, their history and earlier suggestions, the settings that steer ranking,
the digest week, and curator's own code. When none of those changed, the person's last
suggestions are reused as they were; when any did, that person is matched afresh. The
draft notes are not cached: templates are applied to every run's suggestions.

The rows live in the workspace database (table ``decision_cache``), are deleted with the
person by ``curator forget`` and are only ever read back by this module.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from pathlib import Path

from curator import __version__
from curator.models import Contact, Suggestion
from curator.store import IN_WINDOW, Store, iso


@cache
def code_fingerprint() -> str:
    """Changes whenever any of curator's modules does: a new matcher never sees old results."""
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _hash(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


class DecisionCache:
    """Cached suggestions for one digest: the window's articles and the week are fixed."""

    def __init__(self, store: Store, since: datetime, week: str, steering: Iterable[object]):
        self.store = store
        rows = store.db.execute(
            f"SELECT id, title, length(text) FROM articles WHERE {IN_WINDOW} ORDER BY id",
            (iso(since),),
        ).fetchall()
        self.article_count = len(rows)
        self.common = _hash(code_fingerprint(), week, tuple(steering), [tuple(r) for r in rows])
        self.before: dict[str, list[int]] = {}
        for contact, article_id in store.db.execute(
            "SELECT contact, article_id FROM suggestions WHERE week <> ? ORDER BY contact, "
            "article_id",
            (week,),
        ):
            self.before.setdefault(contact, []).append(article_id)
        self.history: dict[str, list[tuple]] = {}
        for row in store.history():
            self.history.setdefault(row["contact"], []).append(tuple(row))

    def key(self, contact: Contact) -> str:
        return _hash(
            self.common,
            repr(contact),
            self.history.get(contact.key, []),
            self.before.get(contact.key, []),
        )

    def get(self, contact: Contact, key: str) -> list[Suggestion] | None:
        row = self.store.db.execute(
            "SELECT key, suggestions FROM decision_cache WHERE contact = ?", (contact.key,)
        ).fetchone()
        if row is None or row[0] != key:
            return None
        try:
            return list(pickle.loads(row[1]))
        except Exception:  # written by another version: match afresh
            return None

    def put(self, contact: Contact, key: str, suggestions: list[Suggestion]) -> None:
        self.store.db.execute(
            "INSERT INTO decision_cache (contact, key, suggestions) VALUES (?, ?, ?) "
            "ON CONFLICT(contact) DO UPDATE SET key = excluded.key, "
            "suggestions = excluded.suggestions",
            (contact.key, key, pickle.dumps(suggestions, protocol=pickle.HIGHEST_PROTOCOL)),
        )

    def keep_only(self, contacts: Iterable[Contact]) -> None:
        """Drop the rows of people no longer in contacts.yaml: nothing about them lingers."""
        keys = sorted({c.key for c in contacts})
        marks = ",".join("?" * len(keys))
        self.store.db.execute(f"DELETE FROM decision_cache WHERE contact NOT IN ({marks})", keys)
