"""Reruns cost almost nothing: 304 feeds are not parsed, known articles are never fetched
or extracted again, and only what is new is downloaded. Also the politeness bound."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import Server, page, rss

from curator import pipeline, tokens
from curator.cli import cli
from curator.config import Workspace, open_workspace
from curator.store import Store

CONTACTS = """\
contacts:
  - name: Ada Gardener
    interests: [growing tomatoes]
"""

WHEN = format_datetime(datetime.now(UTC))


def _article(http_server: Server, n: int, host: str = "") -> dict[str, str]:
    path = f"/tomatoes-{n}.html"
    http_server.add(
        path,
        page(
            f"Growing tomatoes, week {n}",
            [f"Growing tomatoes on a balcony, week {n}: sun, deep pots and water."] * 4,
        ),
    )
    base = http_server.base.replace("127.0.0.1", host) if host else http_server.base
    return {"title": f"Growing tomatoes, week {n}", "link": base + path, "pubDate": WHEN}


def _setup(workspace: Path, http_server: Server, items: list[dict[str, str]], **headers: str):
    feed = http_server.add("/feed.xml", rss(items), content_type="application/rss+xml", **headers)
    (workspace / "feeds.yaml").write_text(f"feeds:\n  - url: {feed}\n", encoding="utf-8")
    (workspace / "contacts.yaml").write_text(CONTACTS, encoding="utf-8")


def _workspace(root: Path, feeds: list[str], settings: str) -> Workspace:
    """The workspace with these feeds.yaml lines and curator.yaml text, and CONTACTS."""
    (root / "feeds.yaml").write_text("feeds:\n" + "".join(feeds), encoding="utf-8")
    (root / "contacts.yaml").write_text(CONTACTS, encoding="utf-8")
    (root / "curator.yaml").write_text(settings, encoding="utf-8")
    return open_workspace(str(root))


def _page_hits(http_server: Server) -> int:
    return sum(1 for p, _ in http_server.requests if p.startswith("/tomatoes-"))


def _run(workspace: Path) -> str:
    result = CliRunner().invoke(cli, ["-w", str(workspace), "run"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_warm_rerun_gets_304_and_fetches_no_page(workspace: Path, http_server: Server) -> None:
    _setup(workspace, http_server, [_article(http_server, n) for n in range(6)], ETag='"v1"')
    _run(workspace)
    assert _page_hits(http_server) == 6
    before = {p: p.read_text() for p in (workspace / "output").rglob("*.json")}
    assert before

    workspace_obj = open_workspace(str(workspace))
    with Store(workspace_obj.db_path) as store:
        report = pipeline.fetch(workspace_obj, store)
    assert (report.feeds_not_modified, report.pages_fetched, report.articles_new) == (1, 0, 0)
    assert report.entries_seen == 0  # a 304 is not parsed
    path, headers = http_server.requests[-1]
    assert (path, headers.get("If-None-Match")) == ("/feed.xml", '"v1"')

    _run(workspace)
    assert _page_hits(http_server) == 6  # still six: nothing fetched again
    with Store(workspace_obj.db_path) as store:
        assert store.article_count() == 6
    # The digest made from stored articles suggests the same as before.
    after = {p: p.read_text() for p in (workspace / "output").rglob("*.json")}
    assert set(before) <= set(after)
    assert "Growing tomatoes, week" in "".join(after.values())


def test_feed_without_validators_is_parsed_but_known_pages_are_not_fetched(
    workspace: Path, http_server: Server
) -> None:
    items = [_article(http_server, n) for n in range(3)]
    _setup(workspace, http_server, items)
    _run(workspace)
    assert _page_hits(http_server) == 3

    # One new entry: only its page is fetched; the three known ones are skipped.
    _setup(workspace, http_server, [*items, _article(http_server, 3)])
    workspace_obj = open_workspace(str(workspace))
    with Store(workspace_obj.db_path) as store:
        report = pipeline.fetch(workspace_obj, store)
        assert store.article_count() == 4
    assert (report.entries_seen, report.pages_fetched, report.articles_new) == (4, 1, 1)
    assert http_server.hits("/tomatoes-3.html") == 1
    assert all(http_server.hits(f"/tomatoes-{n}.html") == 1 for n in range(3))


def test_pages_stream_through_the_pool_within_the_per_host_bound(
    workspace: Path, http_server: Server
) -> None:
    """Twelve pages from two feeds on two hosts (127.0.0.1 and localhost name the same
    server), one
    request at a time per host: every page arrives, is extracted by the process pool and
    stored, and no host ever sees two requests at once."""
    lock = threading.Lock()
    active: dict[str, int] = {}
    most: dict[str, int] = {}
    items = []
    for n in range(12):
        host = "localhost" if n % 2 else "127.0.0.1"
        items.append(_article(http_server, n, host))
        body = http_server.routes[f"/tomatoes-{n}.html"][2]  # type: ignore[index]

        def slow(handler: BaseHTTPRequestHandler, body: bytes = body) -> None:
            name = handler.headers["Host"].split(":")[0]
            with lock:
                active[name] = active.get(name, 0) + 1
                most[name] = max(most.get(name, 0), active[name])
            time.sleep(0.02)  # long enough for a second request to overlap, if sent
            with lock:
                active[name] -= 1
            handler.send_response(200)
            handler.send_header("Content-Type", "text/html; charset=utf-8")
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)

        http_server.routes[f"/tomatoes-{n}.html"] = slow
    # One feed per host: a feed's links may point at its own (here private) host only.
    feeds = []
    for name, host in (("a", "127.0.0.1"), ("b", "localhost")):
        mine = [i for i in items if f"//{host}:" in i["link"]]
        url = http_server.add(f"/{name}.xml", rss(mine), content_type="application/rss+xml")
        feeds.append(f"  - url: {url.replace('127.0.0.1', host)}\n")
    workspace_obj = _workspace(workspace, feeds, "per_host: 1\nextract_workers: 2\n")
    with Store(workspace_obj.db_path) as store:
        report = pipeline.fetch(workspace_obj, store)
        stored = {a.title for a in store.all_articles()}
        rows = store.db.execute("SELECT title, text, tokens FROM articles").fetchall()
    assert (report.pages_fetched, report.pages_extracted, report.articles_new) == (12, 12, 12)
    # the workers split each stored title and text into words, so indexing need not
    assert all(words == tokens.pack(title, text) for title, text, words in rows)
    assert stored == {f"Growing tomatoes, week {n}" for n in range(12)}
    assert most == {"127.0.0.1": 1, "localhost": 1}
    assert report.timings["extract_cpu"] > 0  # extraction ran (in the pool) and was timed


@pytest.mark.parametrize(
    "settings",
    ["concurrency: 1\n", "concurrency: 4\nper_host: 1\n"],
    ids=["one fetch thread", "one request per host"],
)
def test_pages_of_the_first_feed_are_fetched_before_the_next_feed(
    workspace: Path, http_server: Server, settings: str
) -> None:
    """With one request at a time, each feed's pages come before the next feed, so
    extraction starts with the first feed instead of waiting for the last one. Free
    fetch threads do not change that: the other feeds on the same host wait for its
    slot behind the pages, instead of taking it while the pages wait."""
    feeds = []
    for f in range(3):
        items = [_article(http_server, f * 10 + n) for n in range(2)]
        url = http_server.add(f"/feed-{f}.xml", rss(items), content_type="application/rss+xml")
        feeds.append(f"  - url: {url}\n")
    workspace_obj = _workspace(workspace, feeds, settings)
    with Store(workspace_obj.db_path) as store:
        report = pipeline.fetch(workspace_obj, store)
    assert report.articles_new == 6
    order = [path.split("-")[0].lstrip("/") for path, _ in http_server.requests]
    assert order == ["feed", "tomatoes", "tomatoes"] * 3


TWO = """\
contacts:
  - name: Ada Gardener
    interests: [growing tomatoes]
  - name: Bo Baker
    interests: [sourdough bread]
"""


def _cached_rows(workspace: Path) -> dict[str, str]:
    with Store(open_workspace(str(workspace)).db_path) as store:
        return dict(store.db.execute("SELECT contact, key FROM decision_cache").fetchall())


def test_rerun_with_nothing_new_reuses_each_persons_decisions(
    workspace: Path, http_server: Server, monkeypatch
) -> None:
    _setup(workspace, http_server, [_article(http_server, n) for n in range(3)], ETag='"v1"')
    (workspace / "contacts.yaml").write_text(TWO, encoding="utf-8")
    first = _run(workspace)
    digest = Path(first.strip())
    before = digest.read_text()
    assert set(_cached_rows(workspace)) == {"ada gardener", "bo baker"}

    # Nothing changed: nobody needs the matcher, and the digest says the same.
    def no_matching(*args: object, **kwargs: object) -> None:
        raise AssertionError("matched again although nothing changed")

    monkeypatch.setattr(pipeline.Matcher, "build", no_matching)
    assert _run(workspace) == first
    assert "Growing tomatoes, week" in digest.read_text()
    assert _strip_times(digest.read_text()) == _strip_times(before)

    # Ada's interests change: she is matched afresh (so the matcher is needed again).
    monkeypatch.undo()
    keys = _cached_rows(workspace)
    (workspace / "contacts.yaml").write_text(
        TWO.replace("[growing tomatoes]", "[balcony tomatoes]"), encoding="utf-8"
    )
    _run(workspace)
    after = _cached_rows(workspace)
    assert after["bo baker"] == keys["bo baker"]
    assert after["ada gardener"] != keys["ada gardener"]

    # Bo leaves contacts.yaml: his row goes at the next run.
    (workspace / "contacts.yaml").write_text(CONTACTS, encoding="utf-8")
    _run(workspace)
    assert set(_cached_rows(workspace)) == {"ada gardener"}


def test_forget_removes_the_cached_decisions(workspace: Path, http_server: Server) -> None:
    _setup(workspace, http_server, [_article(http_server, 0)], ETag='"v1"')
    _run(workspace)
    assert set(_cached_rows(workspace)) == {"ada gardener"}
    result = CliRunner().invoke(
        cli, ["-w", str(workspace), "forget", "Ada Gardener", "--yes"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert _cached_rows(workspace) == {}


def _strip_times(html: str) -> str:
    import re

    return re.sub(r"\d{1,2}:\d{2}(:\d{2})?|\d{4}-\d{2}-\d{2}T[\d:.+Z-]+", "", html)


def _children() -> list[str]:
    """Command lines of this process's living children (from /proc)."""
    import os

    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == os.getpid() and fields[0] != "Z":
                out.append((stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (OSError, IndexError, ValueError):
            continue
    return out


def test_no_extraction_process_outlives_fetching(workspace: Path, http_server: Server) -> None:
    """Matching must not carry the forkserver's copy of trafilatura (about 50 MB)."""
    _setup(workspace, http_server, [_article(http_server, n) for n in range(8)])
    (workspace / "curator.yaml").write_text("extract_workers: 2\n", encoding="utf-8")
    workspace_obj = open_workspace(str(workspace))
    with Store(workspace_obj.db_path) as store:
        report = pipeline.fetch(workspace_obj, store)
    assert report.pages_extracted == 8 and report.timings["extract_cpu"] > 0
    assert not [c for c in _children() if "forkserver" in c]


def test_the_pipe_to_the_extraction_workers_holds_whole_pages() -> None:
    """Pages are often larger than a pipe's default 64 kB; a worker should find the next
    one whole instead of waiting for the pool's writer thread (bench/README.md). This
    fails if Python moves the pool's private pipe, which would quietly undo that."""
    fcntl = pytest.importorskip("fcntl")
    if not hasattr(fcntl, "F_GETPIPE_SZ"):
        pytest.skip("pipes have a fixed size here")
    pool = pipeline.extraction_pool(2)
    try:
        writer = pool._pool._call_queue._writer  # type: ignore[attr-defined]
        assert fcntl.fcntl(writer.fileno(), fcntl.F_GETPIPE_SZ) >= pipeline.TASK_PIPE_BYTES
    finally:
        pool.shutdown()
