"""Running from cron: one run at a time, silence when all is well, meaningful exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from adversarial import ARTICLE, HostileServer, _rss_items, drip, respond
from click.testing import CliRunner
from conftest import CORPORA

from curator.cli import cli

CONTACTS = "contacts:\n  - name: Ada Gardener\n    interests: [growing tomatoes]\n"


@pytest.fixture
def server() -> Iterator[HostileServer]:
    with HostileServer() as s:
        yield s


def _workspace(server: HostileServer, root: Path, slow: bool = False) -> None:
    items = []
    for i in range(3):
        path = f"/a{i}.html"
        body = ARTICLE.format(title=f"Tomatoes {i}")
        if slow and i == 2:
            server.route(path, drip(body.encode(), interval=0.1, limit=20))
        else:
            server.route(path, respond(body))
        items.append((f"Growing tomatoes {i}", server.url(path), "Urban gardening."))
    server.route("/feed.xml", respond(_rss_items(items), content_type="application/rss+xml"))
    (root / "feeds.yaml").write_text(f"feeds:\n  - url: {server.url('/feed.xml')}\n")
    (root / "contacts.yaml").write_text(CONTACTS)
    if slow:  # the dripping page holds the run for this long, then fails
        (root / "curator.yaml").write_text("deadline: 6\n")


def _curator(root: Path, *args: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CURATOR_")}
    return subprocess.Popen(
        [sys.executable, "-m", "curator", "-w", str(root), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_a_second_run_exits_75_at_once_while_the_first_holds_the_lock(
    server: HostileServer, workspace: Path
):
    _workspace(server, workspace, slow=True)
    first = _curator(workspace, "run")
    stop = time.monotonic() + 30
    while server.hits("/a2.html") == 0 and time.monotonic() < stop:
        time.sleep(0.05)
    assert first.poll() is None, "the first run should still be dripping"
    second = _curator(workspace, "-q", "run")
    out, err = second.communicate(timeout=20)
    assert second.returncode == 75
    assert out == ""
    assert err.startswith("Error: another curator run is using this workspace (process ")
    assert "try again when it has finished" in err
    assert "Traceback" not in err and "database is locked" not in err
    assert first.poll() is None  # the second run did not disturb the first
    out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    # once the first has finished, the lock is free again
    third = _curator(workspace, "-q", "run")
    assert third.communicate(timeout=60) == ("", "") and third.returncode == 0


def test_quiet_prints_nothing_when_all_went_well(server: HostileServer, workspace: Path):
    _workspace(server, workspace)
    result = CliRunner().invoke(cli, ["-w", str(workspace), "-q", "run"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout == "" and result.stderr == ""
    assert list((workspace / "output").glob("*/index.html"))


@pytest.mark.skipif(not (CORPORA / "webpages").is_dir(), reason="needs ../shared/corpora")
def test_quiet_stays_silent_on_real_pages_in_a_real_process(server: HostileServer, workspace: Path):
    # library loggers (trafilatura, htmldate) must not leak warnings past --quiet
    items = []
    for name in ("w001.html", "w010.html", "w020.html", "w030.html", "w040.html", "w050.html"):
        path = f"/real/{name}"
        server.route(path, respond((CORPORA / "webpages" / name).read_bytes()))
        items.append((f"Page {name}", server.url(path), "x"))
    server.route("/feed.xml", respond(_rss_items(items), content_type="application/rss+xml"))
    (workspace / "feeds.yaml").write_text(f"feeds:\n  - url: {server.url('/feed.xml')}\n")
    (workspace / "contacts.yaml").write_text(CONTACTS)
    run = _curator(workspace, "-q", "run")
    assert run.communicate(timeout=120) == ("", "")
    assert run.returncode == 0


def test_quiet_still_names_failing_feeds_and_exits_0_with_a_digest(
    server: HostileServer, workspace: Path
):
    _workspace(server, workspace)
    server.route("/gone.xml", respond(b"", 500))
    with (workspace / "feeds.yaml").open("a") as fh:
        fh.write(f"  - url: {server.url('/gone.xml')}\n    name: Flaky\n")
    result = CliRunner().invoke(cli, ["-w", str(workspace), "-q", "run"])
    assert result.exit_code == 0
    assert result.stdout == ""
    assert result.stderr == "1 of 2 feeds failed:\n  Flaky: HTTP 500\n"
    assert list((workspace / "output").glob("*/index.html"))


def test_every_feed_failing_still_writes_a_digest_and_exits_0(workspace: Path):
    from adversarial import refused_url

    (workspace / "feeds.yaml").write_text(f"feeds:\n  - url: {refused_url()}\n    name: Down\n")
    (workspace / "contacts.yaml").write_text(CONTACTS)
    result = CliRunner().invoke(cli, ["-w", str(workspace), "run"])
    assert result.exit_code == 0
    assert "Down: cannot connect" in result.stderr
    assert Path(result.stdout.strip().splitlines()[-1]).exists()


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"contacts.yaml": CONTACTS}, "feeds.yaml"),
        ({"feeds.yaml": "feeds: [{url: 'https://ex.org/f'}]\n"}, "contacts.yaml"),
        (
            {
                "feeds.yaml": "feeds: [{url: 'https://ex.org/f'}]\n",
                "contacts.yaml": CONTACTS,
                "curator.yaml": "deadline: soon\n",
            },
            "curator.yaml",
        ),
        (
            {
                "feeds.yaml": "feeds: [{url: 'https://ex.org/f'}]\n",
                "contacts.yaml": CONTACTS,
                "curator.yaml": "max_entries_per_feed: 0\n",
            },
            "must be at least 1",
        ),
    ],
)
def test_configuration_errors_exit_2_with_a_message_and_no_traceback(
    workspace: Path, files: dict[str, str], message: str
):
    for name, text in files.items():
        (workspace / name).write_text(text)
    result = CliRunner().invoke(cli, ["-w", str(workspace), "-q", "run"])
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert "Traceback" not in result.output
    assert not (workspace / "output").exists()


def test_exit_codes_are_documented_in_help():
    result = CliRunner().invoke(cli, ["--help"])
    text = " ".join(result.output.split())
    assert "Exit codes:" in result.output
    for code, meaning in [
        ("0", "a digest was written, even if some feeds failed"),
        ("1", "nothing could be produced"),
        ("2", "configuration error"),
        ("75", "another curator run is using this workspace"),
        ("130", "interrupted (Ctrl-C)"),
    ]:
        assert f"{code} " in text and meaning in text, code
