"""A run killed with kill -9 part-way loses nothing: the database stays consistent, the
previous digest stays intact, and the next run completes with no duplicated rows."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from adversarial import ARTICLE, HostileServer, _rss_items, drip, respond

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
