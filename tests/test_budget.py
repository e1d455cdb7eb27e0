"""One feed's parsing and extraction share a CPU budget; past it, its pages keep the
feed's own text, so one hostile feed (200,000 items, pages of 40,000 attributes on many
hostnames) cannot hold a run for minutes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import Server, page, rss

from curator import pipeline
from curator.cli import cli
from curator.store import Store


@pytest.mark.parametrize(("budget", "extracted"), [("60", 3), ("15", 2)])
def test_a_feed_past_its_budget_keeps_its_text(
    workspace: Path,
    http_server: Server,
    monkeypatch: pytest.MonkeyPatch,
    budget: str,
    extracted: int,
):
    # each page's extraction is reported as 10 s of CPU, so the budget runs out at a known page
    real = pipeline._extract_timed
    monkeypatch.setattr(pipeline, "_extract_timed", lambda *args: (real(*args)[0], 10.0))
    when = format_datetime(datetime.now(UTC) - timedelta(hours=1))
    items = [
        {
            "title": f"Story {i}",
            "link": http_server.add(f"/a{i}", page(f"Story {i}", ["Full page text. " * 40])),
            "description": f"Snippet {i}",
            "pubDate": when,
        }
        for i in range(3)
    ]
    feed = http_server.add("/feed.xml", rss(items), content_type="application/rss+xml")
    (workspace / "feeds.yaml").write_text(f"feeds:\n  - url: {feed}\n")
    (workspace / "contacts.yaml").write_text("contacts: []\n")
    # one download at a time: each page is extracted and counted before the next arrives
    settings = f"extract_workers: 1\nconcurrency: 1\nfeed_budget: {budget}\n"
    (workspace / "curator.yaml").write_text(settings)
    result = CliRunner().invoke(cli, ["-w", str(workspace), "fetch"])
    assert result.exit_code == 0
    with Store(workspace / ".curator" / "curator.db") as store:
        sources = sorted(r[0] for r in store.db.execute("SELECT source FROM articles"))
    assert sources == ["feed"] * (3 - extracted) + ["page"] * extracted
    if extracted < 3:  # said once for the feed, not once a page
        assert "1 article page could not be read" in result.stderr


def test_a_feed_too_costly_to_parse_fails_and_the_run_goes_on(workspace: Path, http_server: Server):
    # one element with 200,000 attributes: minutes in feedparser's strict parser
    attributes = b"".join(b"a%d='1' " % i for i in range(200_000))
    hostile = rss([{"title": "A", "link": "https://ex.org/a"}]).encode()
    hostile = hostile.replace(b"</item>", b"<x " + attributes + b"/></item>")
    bad = http_server.add("/bad.xml", hostile, content_type="application/rss+xml")
    fine = http_server.add("/fine", page("Fine", ["A fine page. " * 30]))
    good = http_server.add(
        "/good.xml",
        rss([{"title": "Fine", "link": fine, "description": "ok"}]),
        content_type="application/rss+xml",
    )
    (workspace / "feeds.yaml").write_text(f"feeds:\n  - url: {bad}\n  - url: {good}\n")
    (workspace / "contacts.yaml").write_text("contacts: []\n")
    (workspace / "curator.yaml").write_text("extract_workers: 1\nfeed_budget: 0.5\n")
    result = CliRunner().invoke(cli, ["-w", str(workspace), "fetch"])
    assert result.exit_code == 0
    assert result.stderr.startswith(
        f"1 of 2 feeds failed:\n  {bad}: refused: parsing took more than 0.5 s of CPU\n"
    )
    assert http_server.hits("/fine") == 1
