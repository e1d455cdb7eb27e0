"""`curator coverage`: interests that no stored article matched lately."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import Server
from test_history import invoke, make_site

from curator.coverage import gaps
from curator.match import Index
from curator.models import Article, Contact, Interest


def test_coverage_names_the_uncovered_interests(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    with (workspace / "contacts.yaml").open("a") as fh:
        fh.write("  - name: Ivo Birder\n    interests: [bird migration, heat pumps]\n")
    invoke(workspace, "fetch")
    out = invoke(workspace, "coverage").stdout
    assert out == (
        "Checked 3 articles from the last 4 weeks.\n"
        "Interests no feed covered (consider a feed for these):\n"
        "  Ivo Birder (1 of 2): bird migration\n"
        "Fully covered: Zoe Park, Zack Lee, Ana Souza\n"
    )


def test_coverage_respects_the_period(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    invoke(workspace, "fetch")
    # Age every stored article by three weeks: a one-week window sees none of them.
    old = (datetime.now(UTC) - timedelta(weeks=3)).isoformat(timespec="seconds")
    db = sqlite3.connect(workspace / ".curator" / "curator.db")
    with db:
        db.execute("UPDATE articles SET published = ?, fetched_at = ?", (old, old))
    db.close()
    assert invoke(workspace, "coverage", "--weeks", "1").stdout == (
        "No articles stored from the last week; run `curator fetch` first.\n"
    )
    out = invoke(workspace, "coverage", "--weeks", "4").stdout
    assert out.startswith("Checked 3 articles from the last 4 weeks.\n")
    assert "Every interest matched at least one article." in out
    bad = invoke(workspace, "coverage", "--weeks", "0", code=2)
    assert "Invalid value for '--weeks'" in bad.stderr


def test_coverage_before_any_fetch(workspace: Path):
    (workspace / "feeds.yaml").write_text("feeds: []\n")
    (workspace / "contacts.yaml").write_text("contacts:\n  - {name: A, interests: [x]}\n")
    assert "No articles stored" in invoke(workspace, "coverage").stdout


def test_gaps_is_pure_and_keeps_the_contacts_order():
    now = datetime.now(UTC)
    articles = [
        Article(1, "https://e.org/1", "Sourdough baking at home", "Sourdough " * 20, published=now)
    ]
    people = [
        Contact("B", (Interest("knitting"), Interest("sourdough baking"), Interest("chess"))),
        Contact("A", (Interest("sourdough"),)),
    ]
    found = gaps(Index(articles), people)
    assert [(g.contact.name, g.missing, g.matched) for g in found] == [
        ("B", ("knitting", "chess"), 1),
        ("A", (), 1),
    ]
