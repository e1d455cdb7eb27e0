"""Progress on stderr: shown on a terminal, never when stderr is a file or pipe, never under -q."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

from click.testing import CliRunner
from conftest import Server, page, rss

from curator.cli import cli

CONTACTS = """\
contacts:
  - name: Ada Gardener
    interests: [tomatoes]
"""


def _week(workspace: Path, http_server: Server, pages: int = 6) -> None:
    when = format_datetime(datetime.now(UTC))
    items = []
    for n in range(pages):
        link = http_server.add(
            f"/a{n}.html",
            page(
                f"Tomatoes, part {n}",
                [f"Tomatoes need sun, water and patience, lesson {n} of {pages}."] * 4,
            ),
        )
        items.append({"title": f"Tomatoes, part {n}", "link": link, "pubDate": when})
    feed = http_server.add("/feed.xml", rss(items), content_type="application/rss+xml")
    (workspace / "feeds.yaml").write_text(f"feeds:\n  - url: {feed}\n", encoding="utf-8")
    (workspace / "contacts.yaml").write_text(CONTACTS, encoding="utf-8")


def _run_on_pty(args: list[str]) -> tuple[int, str, str]:
    """Run curator with stderr on a pseudo-terminal; return exit code, stdout and what the
    terminal showed."""
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CURATOR_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "curator", *args],
        stdout=subprocess.PIPE,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    shown = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        shown += chunk
    out, _ = proc.communicate(timeout=60)
    os.close(leader)
    return proc.returncode, out.decode(), shown.decode(errors="replace")


def test_no_progress_when_stderr_is_not_a_terminal(workspace: Path, http_server: Server) -> None:
    _week(workspace, http_server)
    result = CliRunner().invoke(cli, ["-w", str(workspace), "fetch"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stderr == ""
    assert "\r" not in result.output
    assert result.stdout == "6 new articles from 1 feeds\n"


def test_progress_on_a_terminal(workspace: Path, http_server: Server) -> None:
    # Three pages: extracted inline, so the test does not wait for a process pool.
    _week(workspace, http_server, pages=3)
    code, out, shown = _run_on_pty(["-w", str(workspace), "fetch"])
    assert code == 0, shown
    assert out == "3 new articles from 1 feeds\n"
    # Redrawn in place and finished with a newline, the last state complete.
    assert "\r" in shown
    # the new articles' vectors of meaning are made after the pages
    assert _last_state(shown) == "feeds 1/1  articles 3/3  meaning 3/3"
    assert shown.endswith("\n")
    # Nothing new the second time: only the feeds are counted.
    code, out, shown = _run_on_pty(["-w", str(workspace), "fetch"])
    assert (code, out) == (0, "0 new articles from 1 feeds\n")
    assert _last_state(shown) == "feeds 1/1"


def test_quiet_silences_progress_on_a_terminal(workspace: Path, http_server: Server) -> None:
    _week(workspace, http_server, pages=3)
    code, out, shown = _run_on_pty(["-q", "-w", str(workspace), "fetch"])
    assert code == 0, shown
    assert (out, shown) == ("", "")
    assert http_server.hits("/a2.html") == 1  # it did fetch, silently


def _last_state(shown: str) -> str:
    return shown.replace("\r\n", "\n").split("\r")[-1].strip()
