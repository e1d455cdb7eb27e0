"""The store at the size of a year of weekly runs: a window is read through its date
index, never by reading every stored article, and old databases gain that index."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from curator.store import IN_WINDOW, Store, iso, now


def _add(store: Store, n: int, days_ago: int) -> None:
    for k in range(n):
        store.add_article(
            url=f"https://ex.org/{days_ago}/{k}",
            link=f"https://ex.org/{days_ago}/{k}",
            title=f"Article {k}",
            text="Words of an article. " * 50,
            author="",
            published=now() - timedelta(days=days_ago),
            feed_id=None,
            feed_name="Feed",
            source="page",
        )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "curator.db") as s:
        for week in range(8):
            _add(s, 30, 7 * week + 1)
        s.db.execute("ANALYZE")  # the plan must not depend on missing statistics either
        yield s


def _plan(store: Store, sql: str) -> str:
    rows = store.db.execute("EXPLAIN QUERY PLAN " + sql, (iso(now()),)).fetchall()
    return " / ".join(str(tuple(r)[3]) for r in rows)


def test_the_windows_articles_are_read_through_the_date_index(store: Store) -> None:
    since = now() - timedelta(days=7)
    assert len(store.articles_since(since)) == 30
    assert len(list(store.words_since(since))) == 30
    plan = _plan(store, f"SELECT * FROM articles WHERE {IN_WINDOW} ORDER BY id")
    assert "USING INDEX articles_seen" in plan and "SCAN articles" not in plan, plan


def test_an_older_database_gains_the_index(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with Store(path) as s:
        _add(s, 3, 1)
    db = sqlite3.connect(path)
    db.execute("DROP INDEX articles_seen")
    db.execute("DROP INDEX articles_link")
    db.execute("DELETE FROM migrations WHERE name = 'm007_window'")
    db.commit()
    db.close()
    with Store(path) as s:
        names = {r[0] for r in s.db.execute("SELECT name FROM sqlite_master WHERE type='index'")}
        assert "articles_seen" in names
        assert len(s.articles_since(now() - timedelta(days=7))) == 3


def test_a_shared_link_is_found_without_reading_texts(store: Store) -> None:
    found = store.article_by_canonical_url("https://ex.org/8/3?utm_source=mail")
    assert found is not None and found.url == "https://ex.org/8/3"
    assert found.text.startswith("Words of an article.")
    assert store.article_by_canonical_url("https://ex.org/nope") is None
    # stored under a key of an older canonical form: found by its link
    store.add_article(
        url="https://ex.org/Legacy/",
        link="https://ex.org/legacy",
        title="Legacy",
        text="Old words.",
        author="",
        published=now(),
        feed_id=None,
        feed_name="Feed",
        source="page",
    )
    legacy = store.article_by_canonical_url("https://ex.org/legacy?utm_source=mail")
    assert legacy is not None and legacy.title == "Legacy"


def test_queued_entries_come_back_whole_until_their_articles_are_stored(tmp_path: Path):
    from curator.models import Entry

    entries = [
        Entry("https://ex.org/a?x=1", "Tomatoes «à» \u2028", "sum", "<p>all</p>", "Ann", now()),
        Entry("https://ex.org/b", "Undated", published=None),
    ]
    with Store(tmp_path / "curator.db") as store:
        feed = store.feed_state("https://ex.org/feed.xml").id
        with store.transaction():
            new = store.queue_entries(feed, [("https://ex.org/a", entries[0]), ("k-b", entries[1])])
        assert new == ["https://ex.org/a", "k-b"]
        assert store.queue_entries(feed, [("k-c", entries[1]), ("k-b", entries[1])]) == ["k-c"]
        store.drop_stored_entries(["k-c"])
        got = store.pending_entries()
        assert [(f, key) for f, key, _ in got] == [(feed, "https://ex.org/a"), (feed, "k-b")]
        assert got[0][2] == replace(
            entries[0], published=entries[0].published.replace(microsecond=0)
        )
        assert got[1][2] == entries[1]
        _add(store, 1, 0)  # stores https://ex.org/0/0: not queued, changes nothing
        store.add_article(
            url="k-b",
            link="https://ex.org/b",
            title="Undated",
            text="t",
            author="",
            published=None,
            feed_id=feed,
            feed_name="",
            source="feed",
        )
        assert [key for _, key, _ in store.pending_entries()] == ["https://ex.org/a"]
        store.drop_stored_entries(["https://ex.org/a"])
        assert store.pending_entries() == []
