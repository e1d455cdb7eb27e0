"""Every feed and page of the shared corpora goes through our stages without an unhandled error.

One test per folder, reporting every failing file at once, so a regression shows its
whole extent. Skipped when ../shared/corpora is absent.
"""

from __future__ import annotations

import json
import sqlite3
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from adversarial import HostileServer, hostile_workspace
from click.testing import CliRunner
from conftest import CORPORA

from curator.cli import cli
from curator.errors import NotAFeedError
from curator.extract import extract_page
from curator.feeds import parse_feed
from curator.urls import safe_link

FEEDS = CORPORA / "feeds"
PAGES = CORPORA / "webpages"


def _folders(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted({p.parent for p in root.rglob("*.xml")})


def _check_feed(path: Path) -> str | None:
    """None if the feed stage handled the file; else why not."""
    body = path.read_bytes()
    try:
        parsed = parse_feed(body, "http://feeds.example.org/feed.xml", "application/xml", 200)
    except NotAFeedError:
        return None  # an allowed outcome: the user is told "not a feed"
    except Exception:
        return traceback.format_exc(limit=-3)
    for entry in parsed.entries:
        if safe_link(entry.url) != entry.url:
            return f"unsafe link {entry.url!r}"
        for text in (entry.title, entry.summary, entry.content, entry.author):
            if any(ord(c) < 32 and c != "\n" for c in text):
                return f"control character in {text[:60]!r}"
            if "<script" in text.lower() and "sanitize" in path.parts:
                return f"script left in {text[:60]!r}"
    return None


@pytest.mark.corpus
@pytest.mark.skipif(not FEEDS.is_dir(), reason="no ../shared/corpora/feeds")
@pytest.mark.parametrize(
    "folder", _folders(FEEDS), ids=lambda p: str(p.relative_to(FEEDS)) if FEEDS.is_dir() else ""
)
def test_every_corpus_feed_goes_through_the_feed_stage(folder: Path):
    failures = {}
    for path in sorted(folder.glob("*.xml")):
        problem = _check_feed(path)
        if problem:
            failures[path.name] = problem
    assert not failures, "\n".join(f"{name}: {why}" for name, why in failures.items())


@pytest.mark.corpus
def test_the_feed_corpus_is_all_covered():
    if not FEEDS.is_dir():
        pytest.skip("no ../shared/corpora/feeds")
    counted = sum(len(list(f.glob("*.xml"))) for f in _folders(FEEDS))
    assert counted == len(list(FEEDS.rglob("*.xml"))) > 1000


@pytest.mark.corpus
@pytest.mark.skipif(not PAGES.is_dir(), reason="no ../shared/corpora/webpages")
def test_every_corpus_page_goes_through_extraction():
    failures = {}
    found = 0
    pages = sorted(PAGES.glob("*.html"))
    assert len(pages) > 50
    for path in pages:
        try:
            page = extract_page(path.read_bytes(), f"https://pages.example.org/{path.name}")
        except Exception:
            failures[path.name] = traceback.format_exc(limit=-3)
            continue
        if page.text:
            found += 1
            if any(ord(c) < 32 and c != "\n" for c in page.text):
                failures[path.name] = "control character in the text"
        elif not page.note:
            failures[path.name] = "no text and no note saying why"
    assert not failures, "\n".join(f"{name}: {why}" for name, why in failures.items())
    # real articles: nearly all of them must yield text, or extraction silently broke
    assert found >= len(pages) * 0.9


# -- a whole run against a site full of traps --------------------------------------------


def test_a_run_against_a_site_full_of_traps(workspace: Path):
    with HostileServer() as server:
        expected = hostile_workspace(server, workspace)
        result = CliRunner().invoke(cli, ["-w", str(workspace), "run"], catch_exceptions=False)
        # a digest was written, so the run succeeded even though most feeds failed
        assert result.exit_code == 0, result.output
        digest = Path(result.stdout.strip().splitlines()[-1])
        assert digest.exists()
        assert f"{len(expected)} of {len(expected) + 3} feeds failed:" in result.stderr
        for name, fragment in expected.items():
            assert f"  {name}: " in result.stderr and fragment in result.stderr, name
        # the private link found in a feed was never requested
        assert server.hits("/a/secret.html") == 0

        db = sqlite3.connect(workspace / ".curator" / "curator.db")
        db.row_factory = sqlite3.Row
        rows = {r["title"]: r for r in db.execute("SELECT * FROM articles")}
        # the same article behind tracking parameters is stored once, from its page
        tomato = [r for r in rows.values() if r["url"].endswith("/a/tomatoes.html")]
        assert len(tomato) == 1 and tomato[0]["source"] == "page"
        for title in ("A PDF labelled as a page", "An image labelled as a page"):
            assert rows[title]["source"] == "feed", title  # the feed's own text is used
            assert "not a web page" in rows[title]["note"]
            assert rows[title]["text"]
        assert rows["A page that drips"]["note"].startswith("page not fetched: too slow")
        assert "private address" in rows["A link to the intranet"]["note"]
        assert not any(r["link"].startswith("javascript") for r in rows.values())
        many = db.execute("SELECT COUNT(*) FROM articles WHERE feed_name = 'Many'").fetchone()
        assert many[0] == 50  # max_entries_per_feed
        failed_pages = {r["url"] for r in db.execute("SELECT url FROM failures WHERE kind='page'")}
        assert server.url("/a/paper.html") in failed_pages

        busy = db.execute("SELECT * FROM feeds WHERE name = 'Busy'").fetchone()
        retry = datetime.fromisoformat(busy["next_attempt_at"])
        assert timedelta(minutes=55) < retry - datetime.now(UTC) <= timedelta(hours=1)
        assert db.execute("SELECT retired FROM feeds WHERE name = 'Gone'").fetchone()[0] == 1

        # the digest opens safely: hostile titles and pages are text, never markup
        html = digest.read_text()
        assert "&lt;script&gt;alert(" in html  # the hostile title is shown, as text
        assert "<script>alert" not in html and "onerror=" not in html
        assert "javascript:" not in html
        data = json.loads((digest.parent / "digest.json").read_text())
        assert {f["feed"] for f in data["failures"]} >= set(expected)

        # next run: the 429 feed waits for its Retry-After, the 410 feed is not asked again
        before = {path: server.hits(path) for path in ("/busy.xml", "/gone.xml", "/good.xml")}
        again = CliRunner().invoke(cli, ["-w", str(workspace), "run"], catch_exceptions=False)
        assert again.exit_code == 0
        assert server.hits("/busy.xml") == before["/busy.xml"]
        assert server.hits("/gone.xml") == before["/gone.xml"]
        assert server.hits("/good.xml") == before["/good.xml"] + 1
        assert "Gone: retired" in again.stderr
        count = db.execute("SELECT COUNT(*), COUNT(DISTINCT url) FROM articles").fetchone()
        assert count[0] == count[1]


# -- isolation and health ------------------------------------------------------------------


def _two_feeds(server: HostileServer, workspace: Path, settings: str = "") -> None:
    from adversarial import CONTACTS, _rss_items, respond

    items = [("Growing tomatoes", server.url("/a.html"), "Tomatoes in a small garden.")]
    server.route("/ok.xml", respond(_rss_items(items), content_type="application/rss+xml"))
    server.route("/a.html", respond("<html><body><p>Tomatoes.</p></body></html>"))
    server.route("/down.xml", respond(b"", 503))
    (workspace / "feeds.yaml").write_text(
        f"feeds:\n  - url: {server.url('/ok.xml')}\n    name: Fine\n"
        f"  - url: {server.url('/down.xml')}\n    name: Down\n"
    )
    (workspace / "contacts.yaml").write_text(CONTACTS)
    (workspace / "curator.yaml").write_text(settings)


def _run(workspace: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["-w", str(workspace), "run"])
    return result.exit_code, result.stderr


def test_a_feed_failing_run_after_run_backs_off_and_stays_named(workspace: Path):
    with HostileServer() as server:
        _two_feeds(server, workspace, "backoff_after: 2\n")
        assert _run(workspace) == (0, "1 of 2 feeds failed:\n  Down: HTTP 503\n")
        code, err = _run(workspace)
        assert code == 0 and "  Down: HTTP 503 (2 runs in a row)\n" in err
        assert server.hits("/down.xml") == 2
        # third run: not asked again, but still reported as failing
        code, err = _run(workspace)
        assert code == 0 and server.hits("/down.xml") == 2
        assert (
            "  Down: not retried until " in err and "2 failure(s) in a row; last: HTTP 503" in err
        )
        assert server.hits("/ok.xml") == 3
        db = sqlite3.connect(workspace / ".curator" / "curator.db")
        row = db.execute(
            "SELECT consecutive_failures, last_status, last_error, next_attempt_at "
            "FROM feeds WHERE name = 'Down'"
        ).fetchone()
        assert row[:3] == (2, "503", "HTTP 503")
        wait = datetime.fromisoformat(row[3]) - datetime.now(UTC)
        assert timedelta(hours=23) < wait <= timedelta(hours=24)
        assert db.execute("SELECT COUNT(*) FROM failures WHERE feed = 'Down'").fetchone()[0] == 3
        data = json.loads(next((workspace / "output").glob("*/digest.json")).read_text())
        assert [f["feed"] for f in data["failures"]] == ["Down"]


def test_a_feed_that_recovers_is_healthy_again(workspace: Path):
    from adversarial import _rss_items, respond

    with HostileServer() as server:
        _two_feeds(server, workspace)
        _run(workspace)
        items = [("Back", server.url("/a.html?utm_source=b"), "Back again.")]
        server.route("/down.xml", respond(_rss_items(items), content_type="application/rss+xml"))
        assert _run(workspace) == (0, "")
        db = sqlite3.connect(workspace / ".curator" / "curator.db")
        row = db.execute(
            "SELECT consecutive_failures, next_attempt_at, last_error FROM feeds "
            "WHERE name = 'Down'"
        ).fetchone()
        assert row == (0, None, None)


def test_a_permanent_redirect_updates_the_stored_feed_url(workspace: Path):
    from adversarial import redirect

    with HostileServer() as server:
        _two_feeds(server, workspace)
        server.route("/down.xml", redirect("/ok.xml", 301))
        assert _run(workspace)[0] == 0
        assert _run(workspace)[0] == 0
        assert server.hits("/down.xml") == 1  # the second run went straight to the new URL
        db = sqlite3.connect(workspace / ".curator" / "curator.db")
        moved = db.execute("SELECT moved_to FROM feeds WHERE name = 'Down'").fetchone()[0]
        assert moved == server.url("/ok.xml")


def test_a_parser_surprise_fails_one_feed_not_the_run(
    workspace: Path, monkeypatch: pytest.MonkeyPatch
):
    from curator import pipeline

    real = pipeline.parse_feed

    def fragile(body: bytes, url: str, *args: object) -> object:
        if url.endswith("/ok.xml"):
            raise RecursionError("maximum recursion depth exceeded")
        return real(body, url, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "parse_feed", fragile)
    with HostileServer() as server:
        _two_feeds(server, workspace)
        code, err = _run(workspace)
    assert code == 0
    assert "  Fine: unexpected error: RecursionError: maximum recursion depth exceeded\n" in err
    assert "  Down: HTTP 503\n" in err


def test_a_dead_extraction_worker_does_not_end_the_run():
    import os
    from concurrent.futures.process import BrokenProcessPool

    from curator.extract import extract_page
    from curator.pipeline import extraction_pool

    pool = extraction_pool(2)
    try:
        crashed = pool.submit(os._exit, 1)  # as a segfault in lxml or the OOM killer would
        with pytest.raises(BrokenProcessPool):
            crashed.result(timeout=60)
        html = b"<html><body><article>" + b"<p>Words in a paragraph here.</p>" * 20
        page = pool.submit(extract_page, html, "https://ex.org/a", "text/html").result(60)
        assert "Words in a paragraph" in page.text
    finally:
        pool.shutdown()
