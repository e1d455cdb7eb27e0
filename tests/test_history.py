"""shared / dismiss / history end to end: a loopback feed, a real database, the CLI."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import Server, page, rss

from curator.cli import cli

ARTICLES = {
    "heat": (
        "Heat pumps in old houses: what actually works",
        "Heat pumps can warm old houses if the radiators are big enough. Installers of heat "
        "pumps now survey old houses room by room before fitting heat pumps.",
    ),
    "retrofit": (
        "Retrofitting a Victorian flat, one room at a time",
        "Retrofitting old houses starts with draughts. A retrofit of a flat can be done room "
        "by room, and retrofitting old houses pays back within a decade.",
    ),
    "marathon": (
        "Marathon training for people with desk jobs",
        "Marathon training fits around office hours. Most marathon training plans ask for "
        "four runs a week, and marathon training can start at any age.",
    ),
}

CONTACTS = """\
# My people. Keep this short.
contacts:
  # From the co-op; prefers long reads.
  - name: Zoe Park
    email: zoe@example.org
    interests: [heat pumps, retrofitting old houses]
    cadence: 30d
    notes: Renovating a flat on Elm Street.

  - name: Zack Lee
    email: zack@example.net
    interests: [marathon training]

  # Runs the book club.
  - name: Ana Souza
    interests: [heat pumps]
"""


def make_site(server: Server, workspace: Path, extra: dict | None = None) -> None:
    """One feed of three articles (plus ``extra`` slug -> (title, text)), pages included."""
    when = datetime.now(UTC) - timedelta(days=1)
    items = []
    for slug, (title, text) in {**ARTICLES, **(extra or {})}.items():
        link = server.add(f"/a/{slug}.html", page(title, [text] * 4))
        items.append(
            {"title": title, "link": link, "description": text, "pubDate": format_datetime(when)}
        )
    server.add("/feed.xml", rss(items), content_type="application/rss+xml")
    (workspace / "feeds.yaml").write_text(f"feeds:\n  - url: {server.url('/feed.xml')}\n")
    (workspace / "contacts.yaml").write_text(CONTACTS)
    # Extraction in-process: a process pool per CLI call would dominate the test's time.
    (workspace / "curator.yaml").write_text("extract_workers: 1\n")


def invoke(workspace: Path, *args: str, code: int = 0, input: str | None = None):
    result = CliRunner().invoke(
        cli, ["-w", str(workspace), *args], catch_exceptions=code != 0, input=input
    )
    assert result.exit_code == code, (result.output, result.stderr)
    return result


def suggested(workspace: Path, name: str) -> list[str]:
    out = invoke(workspace, "suggest", name, "--format", "json").stdout
    return [s["url"].rsplit("/", 1)[-1] for s in json.loads(out)]


@pytest.fixture
def site(http_server: Server, workspace: Path) -> Server:
    make_site(http_server, workspace)
    invoke(workspace, "fetch")
    return http_server


def test_shared_article_is_never_suggested_again(site: Server, workspace: Path):
    assert suggested(workspace, "zoe") == ["heat.html", "retrofit.html"]
    result = invoke(workspace, "shared", "zoe", site.url("/a/heat.html"), "--note", "on Signal")
    assert result.stdout == (
        f"Recorded: {ARTICLES['heat'][0]!r} shared with Zoe Park on {datetime.now(UTC):%Y-%m-%d}.\n"
    )
    assert suggested(workspace, "zoe") == ["retrofit.html"]
    # Only for her: Ana shares the interest and still gets it.
    assert suggested(workspace, "ana") == ["heat.html"]


def test_dismissed_article_is_never_suggested_and_history_lists_both(site: Server, workspace: Path):
    invoke(workspace, "shared", "Zoe Park", site.url("/a/heat.html"), "--on", "2026-10-01")
    result = invoke(workspace, "dismiss", "ZOE", site.url("/a/retrofit.html"))
    assert "dismissed for Zoe Park" in result.stdout
    assert suggested(workspace, "zoe") == []
    out = invoke(workspace, "history", "zoe").stdout
    lines = out.splitlines()
    assert lines[0].startswith("Zoe Park: 1 shared, most recently ")
    assert f"shared     {ARTICLES['heat'][0]}" in out
    assert "2026-10-01" in out
    assert f"dismissed  {ARTICLES['retrofit'][0]}" in out
    # newest first: the dismissal (today) comes before the October share
    assert out.index("dismissed") < out.index("2026-10-01")


def test_same_story_from_another_url_is_excluded_too(http_server: Server, workspace: Path):
    # A second feed item carries the same story under a new URL with a tracking parameter.
    extra = {"heat-again": ("Heat pumps in old houses: what actually works!", ARTICLES["heat"][1])}
    make_site(http_server, workspace, extra)
    invoke(workspace, "fetch")
    before = suggested(workspace, "zoe")
    assert "heat.html" in before or "heat-again.html" in before
    invoke(workspace, "shared", "zoe", http_server.url("/a/heat.html?utm_source=x"))
    after = suggested(workspace, "zoe")
    assert "heat.html" not in after and "heat-again.html" not in after


def test_url_unknown_to_the_database_is_still_remembered(site: Server, workspace: Path):
    url = "https://elsewhere.example/story?id=7&ref=1"
    result = invoke(workspace, "shared", "zack", url, "--title", "A story from a friend")
    assert "remembered by its URL" in result.stderr
    out = invoke(workspace, "history", "zack").stdout
    assert "A story from a friend" in out and url in out


def test_share_sets_last_contact_for_cadence(site: Server, workspace: Path):
    long_ago = (datetime.now(UTC) - timedelta(days=45)).strftime("%Y-%m-%d")
    invoke(workspace, "shared", "zoe", site.url("/a/heat.html"), "--on", long_ago)
    invoke(workspace, "run", "--no-fetch")
    data = json.loads(next((workspace / "output").glob("*/digest.json")).read_text())
    zoe = next(p for p in data["people"] if p["name"] == "Zoe Park")
    assert zoe["overdue"] is True and zoe["days_since_last_contact"] == 45
    assert data["people"][0]["name"] == "Zoe Park"  # overdue first
    invoke(workspace, "shared", "zoe", site.url("/a/retrofit.html"))
    invoke(workspace, "run", "--no-fetch")
    data = json.loads(next((workspace / "output").glob("*/digest.json")).read_text())
    zoe = next(p for p in data["people"] if p["name"] == "Zoe Park")
    assert zoe["overdue"] is False and zoe["days_since_last_contact"] == 0


def test_bad_input_gives_clear_errors(site: Server, workspace: Path):
    result = invoke(workspace, "shared", "zoe", "not a url", code=2)
    assert (
        result.stderr == "Error: 'not a url' is not a web address; give the article's http(s) URL\n"
    )
    result = invoke(workspace, "shared", "zoe", site.url("/a/heat.html"), "--on", "soon", code=2)
    assert "is not a date" in result.stderr
    future = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%d")
    result = invoke(workspace, "shared", "zoe", site.url("/a/heat.html"), "--on", future, code=2)
    assert "in the future" in result.stderr
    result = invoke(workspace, "history", "nobody-at-all", code=2)
    assert result.stderr.startswith("Error: no contact called 'nobody-at-all'")


def history_rows(workspace: Path) -> list[tuple[str, str, str]]:
    db = sqlite3.connect(workspace / ".curator" / "curator.db")
    try:
        return db.execute("SELECT contact, action, url FROM history ORDER BY id").fetchall()
    finally:
        db.close()


def test_the_same_share_recorded_twice_is_one_record(site: Server, workspace: Path):
    heat, title, today = (
        site.url("/a/heat.html"),
        ARTICLES["heat"][0],
        f"{datetime.now(UTC):%Y-%m-%d}",
    )
    invoke(workspace, "shared", "zoe", heat, "--note", "on Signal")
    # Again the same day: by another spelling of her name, of the URL, of the day.
    for name, url, on in (
        ("Zoe Park", heat, []),
        ("zoe", heat + "?utm_source=digest", []),
        ("zoe", heat, ["--on", "today"]),
    ):
        result = invoke(workspace, "shared", name, url, *on)
        assert result.stdout == f"Already recorded: {title!r} shared with Zoe Park on {today}.\n"
        assert result.stderr == ""
    out = invoke(workspace, "history", "zoe").stdout
    assert out.startswith("Zoe Park: 1 shared, most recently today\n")
    assert out.count(title) == 1
    # A URL curator never stored, twice: one record too.
    elsewhere = "https://elsewhere.example/story"
    invoke(workspace, "dismiss", "zack", elsewhere)
    again = invoke(workspace, "dismiss", "zack", elsewhere)
    assert again.stdout == f"Already recorded: {elsewhere} dismissed for Zack Lee on {today}.\n"
    assert len(history_rows(workspace)) == 2
    # Another day, another person or another action is a record of its own.
    invoke(workspace, "shared", "zoe", heat, "--on", "yesterday")
    invoke(workspace, "shared", "ana", heat)
    invoke(workspace, "dismiss", "zoe", heat)
    assert len(history_rows(workspace)) == 5


def test_undo_takes_back_the_last_record(site: Server, workspace: Path):
    today = f"{datetime.now(UTC):%Y-%m-%d}"
    nothing = "Nothing to undo: no share, dismissal or touch is recorded.\n"
    assert invoke(workspace, "undo").stdout == nothing
    invoke(workspace, "shared", "zoe", site.url("/a/heat.html"), "--on", "2026-10-01")
    invoke(workspace, "dismiss", "zoe", site.url("/a/retrofit.html"))
    invoke(workspace, "shared", "zack", "https://elsewhere.example/story")
    assert suggested(workspace, "zoe") == []

    result = invoke(workspace, "undo")
    assert result.stdout == (
        f"Took back: https://elsewhere.example/story shared with Zack Lee on {today}.\n"
    )
    result = invoke(workspace, "undo")
    assert result.stdout == (
        f"Took back: {ARTICLES['retrofit'][0]!r} dismissed for Zoe Park on {today}.\n"
    )
    assert suggested(workspace, "zoe") == ["retrofit.html"]  # suggested again
    out = invoke(workspace, "history", "zoe").stdout
    assert "dismissed" not in out and ARTICLES["heat"][0] in out
    result = invoke(workspace, "undo")
    assert result.stdout == (
        f"Took back: {ARTICLES['heat'][0]!r} shared with Zoe Park on 2026-10-01.\n"
    )
    assert history_rows(workspace) == []
    nothing = "Nothing to undo: no share, dismissal or touch is recorded.\n"
    assert invoke(workspace, "undo").stdout == nothing


def test_undo_in_a_workspace_that_never_recorded_anything(workspace: Path):
    (workspace / "contacts.yaml").write_text(CONTACTS)
    result = invoke(workspace, "undo")
    assert result.stdout == "Nothing to undo: no share, dismissal or touch is recorded.\n"
    assert not (workspace / ".curator").exists()


def test_history_of_someone_with_nothing_yet(site: Server, workspace: Path):
    out = invoke(workspace, "history", "ana").stdout
    assert out == "Nothing shared with, dismissed for or touched with Ana Souza yet.\n"


def test_an_article_in_an_earlier_digest_is_not_suggested_the_next_week(
    http_server: Server, workspace: Path
):
    from curator import pipeline
    from curator.config import load_contacts, open_workspace
    from curator.store import Store

    make_site(http_server, workspace)
    (workspace / "curator.yaml").write_text("extract_workers: 1\nsince: 30d\n")
    invoke(workspace, "fetch")
    ws = open_workspace(str(workspace))
    contacts = load_contacts(ws)
    today = datetime.now(UTC)

    def digest(when: datetime) -> dict[str, list[str]]:
        with Store(ws.db_path) as store:
            d = pipeline.build_digest(ws, store, contacts, when=when)
        return {
            p.contact.name: [s.article.url.rsplit("/", 1)[-1] for s in p.suggestions]
            for p in d.people
        }

    first = digest(today)
    assert first["Zoe Park"] == ["heat.html", "retrofit.html"]
    assert first["Zack Lee"] == ["marathon.html"]
    assert digest(today) == first  # the same week again: the same digest
    # The next week the articles are still in the window, but each person has had them.
    assert digest(today + timedelta(days=7)) == {name: [] for name in first}
    with Store(ws.db_path) as store:
        matcher = pipeline.Matcher.build(store, today - timedelta(days=30), "2099-W01")
    zoe = next(c for c in contacts if c.name == "Zoe Park")
    assert set(matcher.excluded(zoe).values()) == {
        ("suggested before", "already in an earlier digest")
    }
    assert len(matcher.excluded(zoe)) == 2
