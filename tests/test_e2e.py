"""The weekly job end to end: loopback feeds and pages, a real SQLite file, the CLI."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CORPORA, Server, page, rss

from curator.cli import cli

TOPICS = {
    "garden": (
        "Growing tomatoes in a small urban garden",
        [
            "Tomatoes grow well in a small garden if they get six hours of sun.",
            "Urban gardening on balconies needs deep pots and regular watering.",
            "Gardeners who grow tomatoes should pinch out the side shoots.",
            "A small garden can still feed a family through the summer.",
        ],
    ),
    "climbing": (
        "Bouldering for beginners: your first month at the climbing wall",
        [
            "Bouldering is climbing without ropes on short walls above thick mats.",
            "Most climbing gyms run an introduction to bouldering every weekend.",
            "Good climbing shoes matter more than strength in your first month.",
            "Rest days keep your fingers healthy between bouldering sessions.",
        ],
    ),
    "jazz": (
        "The return of the jazz piano trio",
        [
            "Jazz piano trios are filling small clubs again across Europe.",
            "A new generation of jazz pianists records live to tape.",
            "The trio format leaves room for improvisation between piano, bass and drums.",
            "Several jazz festivals now programme a piano trio every night.",
        ],
    ),
    "tax": (
        "New rules for the pension tax allowance",
        [
            "The pension tax allowance changes next April for higher earners.",
            "Savers should check the tapered allowance before moving money.",
            "Accountants expect questions about pension contributions this winter.",
            "The allowance applies to contributions from employers as well.",
        ],
    ),
}

CONTACTS = """\
contacts:
  - name: Ada Gardener
    email: ada@example.org
    interests: [growing tomatoes, urban gardening]
  - name: Bo Climber
    interests: [bouldering, climbing shoes]
  - name: Cy Musician
    interests: [jazz piano]
    avoid: [pension]
  - name: Di Nobody
    interests: [medieval tapestry]
"""


def make_site(server: Server) -> None:
    """Three feeds on the loopback server, each with its articles' pages."""
    now = datetime.now(UTC)
    layout = {
        "/feeds/home.xml": ["garden"],
        "/feeds/sport.xml": ["climbing"],
        "/feeds/mixed.xml": ["jazz", "tax"],
    }
    for feed_path, topics in layout.items():
        items = []
        for topic in topics:
            title, paragraphs = TOPICS[topic]
            link = server.add(f"/articles/{topic}.html", page(title, paragraphs * 3))
            items.append(
                {
                    "title": title,
                    "link": link,
                    "description": paragraphs[0],
                    "pubDate": format_datetime(now - timedelta(days=1)),
                }
            )
        items.append(
            {
                "title": "An old story",
                "link": server.url("/articles/old.html"),
                "description": "Jazz piano from long ago.",
                "pubDate": format_datetime(now - timedelta(days=40)),
            }
        )
        server.add(
            feed_path, rss(items), content_type="application/rss+xml", ETag=f'"{feed_path}-v1"'
        )


@pytest.fixture
def site(http_server: Server, workspace: Path) -> Server:
    make_site(http_server)
    (workspace / "feeds.yaml").write_text(
        "feeds:\n"
        + "".join(
            f"  - url: {http_server.url(p)}\n    name: {p[7:-4]}\n"
            for p in ("/feeds/home.xml", "/feeds/sport.xml", "/feeds/mixed.xml")
        )
    )
    (workspace / "contacts.yaml").write_text(CONTACTS)
    return http_server


def invoke(workspace: Path, *args: str, code: int = 0) -> str:
    result = CliRunner().invoke(cli, ["-w", str(workspace), *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result.output


def test_run_writes_a_digest_with_each_contacts_own_articles(site: Server, workspace: Path):
    out = invoke(workspace, "run")
    digest = Path(out.strip().splitlines()[-1])
    assert digest.exists() and digest.parent.parent == workspace / "output"
    assert (workspace / "output" / "index.html").exists()
    data = json.loads((digest.parent / "digest.json").read_text())
    titles = {p["name"]: [s["title"] for s in p["suggestions"]] for p in data["people"]}
    assert titles["Ada Gardener"] == [TOPICS["garden"][0]]
    assert titles["Bo Climber"] == [TOPICS["climbing"][0]]
    assert titles["Cy Musician"] == [TOPICS["jazz"][0]]
    assert titles["Di Nobody"] == []
    reason = data["people"][0]["suggestions"][0]["reasons"][0]
    assert reason["interest"] and reason["snippet"] and reason["where"]
    html = digest.read_text()
    assert "Ada Gardener" in html and "Bouldering for beginners" in html
    # the state lives in the workspace, not under the publishable output/
    assert (workspace / ".curator" / "curator.db").exists()
    assert not list((workspace / "output").rglob("*.db"))
    # the 40-day-old entry is outside the window: never fetched
    assert site.hits("/articles/old.html") == 0


def test_second_run_downloads_and_extracts_nothing_again(site: Server, workspace: Path):
    invoke(workspace, "run")
    pages_before = sum(1 for p, _ in site.requests if p.startswith("/articles/"))
    assert pages_before == 4
    site.requests.clear()
    invoke(workspace, "run")
    assert [p for p, _ in site.requests if p.startswith("/articles/")] == []
    feed_requests = [h for p, h in site.requests if p.startswith("/feeds/")]
    assert len(feed_requests) == 3
    assert all(h.get("If-None-Match") for h in feed_requests)  # conditional GET


def test_suggest_json_lists_articles_with_reasons(site: Server, workspace: Path):
    invoke(workspace, "fetch")
    out = invoke(workspace, "suggest", "bo", "--format", "json")
    items = json.loads(out)
    assert [i["title"] for i in items] == [TOPICS["climbing"][0]]
    assert items[0]["url"].endswith("/articles/climbing.html")
    assert items[0]["score"] > 0
    for reason in items[0]["reasons"]:
        assert {"interest", "matched", "where", "snippet"} <= set(reason)


def test_a_failing_feed_is_reported_and_the_run_goes_on(site: Server, workspace: Path):
    with (workspace / "feeds.yaml").open("a") as fh:
        fh.write(f"  - url: {site.url('/feeds/missing.xml')}\n    name: Broken\n")
    result = CliRunner().invoke(cli, ["-w", str(workspace), "run"])
    assert result.exit_code == 0
    assert "Broken: HTTP 404" in result.stderr
    data = json.loads(next((workspace / "output").glob("*/digest.json")).read_text())
    assert any(f["feed"] == "Broken" for f in data["failures"])


@pytest.mark.skipif(not (CORPORA / "webpages").is_dir(), reason="needs ../shared/corpora")
def test_real_pages_are_extracted_end_to_end(http_server: Server, workspace: Path):
    items = []
    for name in ("w001.html", "w002.html", "w003.html"):
        link = http_server.add(f"/real/{name}", (CORPORA / "webpages" / name).read_bytes())
        items.append({"title": f"Page {name}", "link": link, "description": "x"})
    http_server.add("/real.xml", rss(items), content_type="application/rss+xml")
    (workspace / "feeds.yaml").write_text(f"feeds:\n  - url: {http_server.url('/real.xml')}\n")
    (workspace / "contacts.yaml").write_text(
        "contacts:\n  - name: Pat\n    interests: [coronavirus fines, buttercream frosting]\n"
    )
    invoke(workspace, "run")
    data = json.loads(invoke(workspace, "suggest", "pat", "--format", "json"))
    assert data, "real pages should yield text that matches"
    assert all(len(s["reasons"]) >= 1 for s in data)
