"""A run killed with kill -9 or stopped with Ctrl-C part-way loses nothing: the database
stays consistent, the previous digest stays intact, and the next run completes the work
with no duplicated rows. Ctrl-C says so in one line and exits 130."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from adversarial import ARTICLE, HostileServer, _rss_items, drip, respond
from conftest import Server, page, rss

CONTACTS = "contacts:\n  - name: Ada Gardener\n    interests: [growing tomatoes, urban gardening]\n"


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as s:
        yield s


def _site(server: HostileServer, workspace: Path, feeds: int, slow: bool) -> None:
    """``feeds`` feeds of five articles each; when ``slow``, every third page drips."""
    lines = ["feeds:"]
    for f in range(feeds):
        items = []
        for a in range(5):
            path = f"/f{f}/a{a}.html"
            body = ARTICLE.format(title=f"Tomatoes {f}-{a}").replace(
                "Tomatoes grow", f"Tomatoes {f} {a} grow"
            )
            if slow and a % 3 == 2:
                server.route(path, drip(body.encode(), interval=0.05, limit=60))
            else:
                server.route(path, respond(body))
            items.append((f"Growing tomatoes, part {f}-{a}", server.url(path), "Urban gardening."))
        # the same article twice in a feed, once with tracking parameters
        items.append(
            ("Growing tomatoes, part 0-0", server.url("/f0/a0.html?utm_source=x"), "Again.")
        )
        server.route(f"/f{f}.xml", respond(_rss_items(items), content_type="application/rss+xml"))
        lines.append(f"  - url: {server.url(f'/f{f}.xml')}\n    name: Feed {f}")
    (workspace / "feeds.yaml").write_text("\n".join(lines) + "\n")
    (workspace / "contacts.yaml").write_text(CONTACTS)
    (workspace / "curator.yaml").write_text("deadline: 60\nread_timeout: 10\nper_host: 4\n")


def _curator(workspace: Path, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CURATOR_")}
    return subprocess.Popen(
        [sys.executable, "-m", "curator", "-w", str(workspace), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group, for a Ctrl-C to reach it whole
    )


def _check_database(db_path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(db_path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    return db


def test_kill_9_part_way_loses_nothing(server: HostileServer, workspace: Path):
    # a first, complete run leaves a digest behind
    _site(server, workspace, feeds=1, slow=False)
    first = _curator(workspace, "run")
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    digest = Path(out.strip().splitlines()[-1])
    before = digest.read_bytes()

    # the second run has more feeds, some of whose pages drip; kill it mid-way
    _site(server, workspace, feeds=4, slow=True)
    victim = _curator(workspace, "run")
    stop = time.monotonic() + 60
    while server.hits("/f3/a2.html") == 0 and time.monotonic() < stop:
        assert victim.poll() is None, victim.communicate()
        time.sleep(0.05)
    assert server.hits("/f3/a2.html") == 1, "the run never reached the slow pages"
    time.sleep(0.3)  # fast pages are being stored meanwhile
    os.kill(victim.pid, signal.SIGKILL)
    victim.communicate(timeout=30)
    assert victim.returncode == -signal.SIGKILL

    db_path = workspace / ".curator" / "curator.db"
    db = _check_database(db_path)
    half = db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    db.close()
    assert digest.read_bytes() == before  # the previous digest is intact

    # the next run completes normally, with no duplicated rows
    _site(server, workspace, feeds=4, slow=False)
    last = _curator(workspace, "run")
    out, err = last.communicate(timeout=120)
    assert last.returncode == 0, err
    assert "Error" not in err and "Traceback" not in err
    db = _check_database(db_path)
    total, distinct = db.execute("SELECT COUNT(*), COUNT(DISTINCT url) FROM articles").fetchone()
    assert total == distinct == 20 >= half
    rows = db.execute(
        "SELECT COUNT(*), COUNT(DISTINCT week || contact || article_id) FROM suggestions"
    ).fetchone()
    assert rows[0] == rows[1] > 0
    assert Path(out.strip().splitlines()[-1]).read_bytes() != before
    # no half-written files are left for a browser to open
    assert not [p for p in (workspace / "output").rglob("*") if p.suffix == ".tmp"]


# -- an interrupted run is completed by the next one -------------------------------------

INTERRUPTED = "Interrupted; nothing was lost, the next run will finish the work\n"


@dataclass
class _SlowSite:
    """Two feeds of six articles each on one loopback server; each feed answers 304 to
    its own ETag. While ``slow``, the second feed takes seconds and every page a while."""

    server: Server
    slow: bool = True
    served: list[str] = field(default_factory=list)  # page paths, as each response is sent

    def links(self) -> set[str]:
        return {self.server.url(f"/f{f}/a{a}.html") for f in range(2) for a in range(6)}

    def page_requests(self) -> int:
        return sum(1 for path, _ in self.server.requests if path.startswith("/f") and "/a" in path)


def _send(handler: BaseHTTPRequestHandler, body: bytes, content_type: str, etag: str) -> None:
    if etag and handler.headers.get("If-None-Match") == etag:
        handler.send_response(304)
        handler.send_header("ETag", etag)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        return
    handler.send_response(200)
    handler.send_header("Content-Type", content_type)
    if etag:
        handler.send_header("ETag", etag)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _slow_site(server: Server, workspace: Path) -> _SlowSite:
    site = _SlowSite(server)
    when = format_datetime(datetime.now(UTC) - timedelta(hours=1))
    lines = ["feeds:"]
    for f in range(2):
        items = []
        for a in range(6):
            path = f"/f{f}/a{a}.html"
            # the second feed's pages are long: each takes a while to extract
            words = [
                f"Growing tomatoes {f} {a} on a balcony, part {n}: sun, deep pots, water."
                for n in range(1500 if f else 40)
            ]
            body = page(f"Tomatoes {f}-{a}", words).encode()  # too short to be one story

            def answer(h: BaseHTTPRequestHandler, body: bytes = body, path: str = path) -> None:
                if site.slow:
                    time.sleep(0.4)
                _send(h, body, "text/html; charset=utf-8", "")
                site.served.append(path)

            server.routes[path] = answer
            items.append({"title": f"Tomatoes {f}-{a}", "link": server.url(path), "pubDate": when})
        feed = rss(items).encode()

        def answer_feed(h: BaseHTTPRequestHandler, feed: bytes = feed, f: int = f) -> None:
            if site.slow and f == 1:
                time.sleep(3)
            _send(h, feed, "application/rss+xml", f'"v{f}"')

        server.routes[f"/f{f}.xml"] = answer_feed
        lines.append(f"  - url: {server.url(f'/f{f}.xml')}\n    name: Feed {f}")
    (workspace / "feeds.yaml").write_text("\n".join(lines) + "\n")
    (workspace / "contacts.yaml").write_text(CONTACTS)
    (workspace / "curator.yaml").write_text("per_contact: 20\nextract_workers: 2\n")
    return site


def _interrupt(victim: subprocess.Popen, how: signal.Signals) -> None:
    if how == signal.SIGINT:  # as Ctrl-C does: the whole process group, workers too
        os.killpg(victim.pid, signal.SIGINT)
    else:
        os.kill(victim.pid, how)


def _wait_for(victim: subprocess.Popen, ready: Callable[[], bool]) -> None:
    stop = time.monotonic() + 60
    while not ready():
        assert victim.poll() is None, victim.communicate()
        assert time.monotonic() < stop, "the run never got there"
        time.sleep(0.01)


MOMENTS = {
    # the first feed's validators could be saved while the second feed is still coming
    "during feeds": lambda site: site.server.hits("/f1.xml") and site.page_requests(),
    "during pages": lambda site: len(site.served) >= 3,
    # the last page was sent: what remains is its extraction and storing
    "during extraction": lambda site: len(site.served) == 12,
}


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["Ctrl-C", "kill -9"])
@pytest.mark.parametrize("moment", list(MOMENTS))
def test_an_interrupted_run_is_finished_by_the_next_even_when_the_feeds_answer_304(
    http_server: Server, workspace: Path, moment: str, how: signal.Signals
):
    site = _slow_site(http_server, workspace)
    victim = _curator(workspace, "run")
    _wait_for(victim, lambda: MOMENTS[moment](site))
    _interrupt(victim, how)
    out, err = victim.communicate(timeout=30)
    if how == signal.SIGINT:
        assert (victim.returncode, out, err) == (130, "", INTERRUPTED)
        assert (workspace / ".curator" / "run.lock").read_text() == ""  # released
    else:
        assert victim.returncode == -signal.SIGKILL
    db = _check_database(workspace / ".curator" / "curator.db")
    stored_before = db.execute("SELECT COUNT(*) FROM articles").fetchone()[0]
    db.close()
    assert stored_before < 12, "the run was interrupted too late to tell anything"

    site.slow = False
    last = _curator(workspace, "run")
    out, err = last.communicate(timeout=120)
    assert (last.returncode, err) == (0, "")
    feed0 = [headers for path, headers in http_server.requests if path == "/f0.xml"]
    assert feed0[-1].get("If-None-Match") == '"v0"'  # the feed had nothing new to say
    db = _check_database(workspace / ".curator" / "curator.db")
    rows = db.execute("SELECT link, source FROM articles").fetchall()
    assert {link for link, _ in rows} == site.links() and len(rows) == 12
    assert {source for _, source in rows} == {"page"}  # each page was fetched and read
    digest = json.loads(Path(out.strip()).with_name("digest.json").read_text())
    assert {a["url"] for a in digest["articles"]} == site.links()


@pytest.mark.parametrize("moment", ["during feeds", "during pages"])
def test_ctrl_c_during_fetch_says_one_line_and_exits_130(
    http_server: Server, workspace: Path, moment: str
):
    site = _slow_site(http_server, workspace)
    victim = _curator(workspace, "fetch")
    _wait_for(victim, lambda: MOMENTS[moment](site))
    _interrupt(victim, signal.SIGINT)
    out, err = victim.communicate(timeout=30)
    assert (victim.returncode, out, err) == (130, "", INTERRUPTED)
    assert "Traceback" not in err


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path: Path):
    from curator.files import atomic_write

    target = tmp_path / "index.html"
    atomic_write(target, "old")
    with pytest.raises(TypeError):
        atomic_write(target, 42)  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]
    atomic_write(target, "new")
    assert target.read_text() == "new" and oct(target.stat().st_mode & 0o777) == "0o600"
