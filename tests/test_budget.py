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

from curator.cli import cli
from curator.store import Store


@pytest.mark.parametrize(("budget", "fetched"), [("60", 3), ("0.000001", 0)])
def test_a_feed_past_its_budget_keeps_its_text(
    workspace: Path, http_server: Server, budget: str, fetched: int
):
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
    (workspace / "curator.yaml").write_text(f"extract_workers: 1\nfeed_budget: {budget}\n")
    result = CliRunner().invoke(cli, ["-w", str(workspace), "fetch"])
    assert result.exit_code == 0
    assert sum(http_server.hits(f"/a{i}") for i in range(3)) == fetched
    with Store(workspace / ".curator" / "curator.db") as store:
        sources = sorted(r[0] for r in store.db.execute("SELECT source FROM articles"))
    assert sources == (["page"] * 3 if fetched else ["feed"] * 3)
    if not fetched:  # said once for the feed, not once a page
        assert "1 article page could not be read" in result.stderr
