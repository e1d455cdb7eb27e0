"""Remember each person's suggestions, so a rerun with nothing new skips matching.

Matching and ranking are the costliest part of a run once the pages are stored (about
10 s for 150 people over 2,000 articles on a small machine), and their result depends
only on what is fingerprinted here: the articles of the window, the person's entry in
contacts.yaml, their history and earlier suggestions, the settings that steer ranking,
the digest week, and curator's own code. When none of those changed, the person's last
suggestions are reused as they were; when any did, that person is matched afresh. The
draft notes are not cached: templates are applied to every run's suggestions.

The rows live in the workspace database (table ``decision_cache``), are deleted with the
person by ``curator forget`` and are only ever read back by this module. They are JSON:
a workspace may come from someone else, and a pickle runs code when it is loaded, so a
row in any other form (an older curator's pickle) is never decoded, only replaced.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from pathlib import Path

from curator import __version__
from curator.models import Article, Contact, Reason, Suggestion
from curator.store import IN_WINDOW, Store, iso, parse_iso


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

    def key(self, contact: Contact, *steering: object) -> str:
        """The key of one contact's decisions; ``steering`` is what else decides them (the
        bar their cadence sets)."""
        return _hash(
            self.common,
            repr(contact),
            self.history.get(contact.key, []),
            self.before.get(contact.key, []),
            *steering,
        )

    def get(self, contact: Contact, key: str) -> list[Suggestion] | None:
        row = self.store.db.execute(
            "SELECT key, suggestions FROM decision_cache WHERE contact = ?", (contact.key,)
        ).fetchone()
        if row is None or row[0] != key or not isinstance(row[1], str):
            return None  # not ours, or an older curator's pickle: match afresh
        try:
            return [_suggestion(contact, item) for item in json.loads(row[1])]
        except (ValueError, TypeError, KeyError, IndexError):  # damaged: match afresh
            return None

    def put(self, contact: Contact, key: str, suggestions: list[Suggestion]) -> None:
        self.store.db.execute(
            "INSERT INTO decision_cache (contact, key, suggestions) VALUES (?, ?, ?) "
            "ON CONFLICT(contact) DO UPDATE SET key = excluded.key, "
            "suggestions = excluded.suggestions",
            (contact.key, key, json.dumps([_suggestion_data(s) for s in suggestions])),
        )

    def keep_only(self, contacts: Iterable[Contact]) -> None:
        """Drop the rows of people no longer in contacts.yaml: nothing about them lingers."""
        keys = sorted({c.key for c in contacts})
        marks = ",".join("?" * len(keys))
        self.store.db.execute(f"DELETE FROM decision_cache WHERE contact NOT IN ({marks})", keys)


def _suggestion_data(s: Suggestion) -> list:
    """One suggestion as JSON (the contact is the cache row's own, so it is left out)."""
    a = s.article
    article = [a.id, a.url, a.title, a.text, a.feed, a.author]
    article += [_when(a.published), _when(a.fetched_at), a.source, a.summary_only]
    reasons = [
        [
            r.interest,
            r.matched,
            r.where,
            r.count,
            r.snippet,
            r.marks,
            r.score,
            r.evidence,
            r.closeness,
        ]
        for r in s.reasons
    ]
    return [article, s.score, reasons, s.draft]


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None  # to the microsecond: read back equal


def _suggestion(contact: Contact, data: list) -> Suggestion:
    """The suggestion ``_suggestion_data`` wrote, for ``contact``."""
    article, score, reasons, draft = data
    id_, url, title, text, feed, author, published, fetched_at, source, summary_only = article
    published, fetched_at = parse_iso(published), parse_iso(fetched_at)
    return Suggestion(
        contact,
        Article(id_, url, title, text, feed, author, published, fetched_at, source, summary_only),
        score,
        tuple(
            Reason(
                interest,
                tuple(map(tuple, matched)),
                where,
                n,
                snippet,
                tuple(map(tuple, marks)),
                rs,
                tuple((kind, value) for kind, value in evidence),
                closeness,
            )
            for interest, matched, where, n, snippet, marks, rs, evidence, closeness in reasons
        ),
        draft,
    )
