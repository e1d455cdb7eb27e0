"""`curator articles`: the stored articles with their URLs, filtered, newest first."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from conftest import Server, page, rss
from test_history import invoke

DAY = timedelta(days=1)
NOW = datetime.now(UTC)

GREEN = [  # (slug, title, text, days ago)
    ("heat", "Heat pumps in old houses", "A heat pump warms an old house well.", 1),
    ("cafe", "The Café on Mill Lane reopens", "Coffee and cake again from Monday.", 3),
    ("old", "Heat pumps, a decade on", "What ten years of heat pumps taught us.", 10),
]
PULSE = [("run", "Marathon training at fifty", "Start slowly; four runs a week.", 2)]


@pytest.fixture
def ws(http_server: Server, workspace: Path) -> Path:
    feeds = []
    for feed, items in (("Green Street", GREEN), ("Pulse", PULSE)):
        entries = []
        for slug, title, text, days in items:
            link = http_server.add(f"/{slug}", page(title, [text] * 3))
            when = format_datetime(NOW - days * DAY)
            entries.append({"title": title, "link": link, "description": text, "pubDate": when})
        path = f"/{feed.split()[0].lower()}.xml"
        http_server.add(path, rss(entries, feed), content_type="application/rss+xml")
        feeds.append(f"  - url: {http_server.url(path)}\n    name: {feed}\n")
    (workspace / "feeds.yaml").write_text("feeds:\n" + "".join(feeds))
    (workspace / "contacts.yaml").write_text("contacts: []\n")
    (workspace / "curator.yaml").write_text("extract_workers: 1\nsince: 30d\n")
    invoke(workspace, "fetch")
    return workspace


def day(days: int) -> str:
    return f"{NOW - days * DAY:%Y-%m-%d}"


def test_lists_the_window_newest_first_with_feed_date_and_url(ws: Path, http_server: Server):
    out = invoke(ws, "articles", "--since", "7d").stdout
    assert out == (
        f"{day(1)}  Heat pumps in old houses  (Green Street)\n"
        f"            {http_server.url('/heat')}\n"
        f"{day(2)}  Marathon training at fifty  (Pulse)\n"
        f"            {http_server.url('/run')}\n"
        f"{day(3)}  The Café on Mill Lane reopens  (Green Street)\n"
        f"            {http_server.url('/cafe')}\n"
    )
    # The workspace's own window (since: 30d) when --since is not given.
    assert invoke(ws, "articles").stdout.count(http_server.url("/")) == 4


def test_search_and_feed_filters(ws: Path, http_server: Server):
    def urls(*args: str) -> list[str]:
        out = invoke(ws, "articles", *args).stdout
        return [line.strip() for line in out.splitlines() if line.startswith(" ")]

    heat, old, cafe = (http_server.url(p) for p in ("/heat", "/old", "/cafe"))
    assert urls("--search", "HEAT pumps") == [heat, old]
    assert urls("--search", "heat pumps", "--since", "7d") == [heat]
    assert urls("--search", "cafe") == [cafe]  # accents folded
    assert urls("--search", "café MONDAY") == [cafe]  # every word, title or text
    assert urls("--search", "heat monday") == []
    assert urls("--feed", "green") == [heat, cafe, old]
    assert urls("--feed", "pulse", "--search", "heat") == []
    assert urls("--search", "%") == []  # no pattern syntax


def test_json_format(ws: Path, http_server: Server):
    data = json.loads(invoke(ws, "articles", "--search", "marathon", "--format", "json").stdout)
    assert len(data) == 1
    assert data[0]["title"] == "Marathon training at fifty"
    assert data[0]["feed"] == "Pulse"
    assert data[0]["url"] == http_server.url("/run")
    assert data[0]["published"].startswith(day(2))
    assert data[0]["first_seen"].startswith(f"{NOW:%Y-%m-%d}")


def test_nothing_matches_is_said(ws: Path):
    since = day(7)
    result = invoke(ws, "articles", "--since", "7d", "--search", "sailing", "--feed", "pulse")
    assert result.stdout == (
        f"No stored article holding 'sailing' from a feed named like 'pulse' since {since} "
        "(--since widens the window; curator fetch reads the feeds).\n"
    )
    result = invoke(ws, "articles", "--search", "sailing", "--format", "json")
    assert result.stdout == "[]\n"
    assert result.stderr.startswith("No stored article holding 'sailing' since ")


def test_a_workspace_with_nothing_stored(workspace: Path):
    (workspace / "feeds.yaml").write_text("feeds: []\n")
    result = invoke(workspace, "articles")
    assert result.stdout.startswith("No stored article since ")
    assert not (workspace / ".curator").exists()


def test_limit_says_how_many_more(ws: Path, http_server: Server):
    result = invoke(ws, "articles", "--limit", "2")
    assert result.stdout.count(http_server.url("/")) == 2
    assert result.stderr == (
        "Showed the newest 2 of 4; narrow with --search or --feed, or raise --limit.\n"
    )
