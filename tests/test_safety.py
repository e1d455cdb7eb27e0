"""Never lose the user's history: a damaged database, a full disk, no raw tracebacks."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import Server
from test_history import invoke, make_site

from curator import pipeline, render
from curator.config import open_workspace

PAGE = 4096


def damage_pages(db: Path, first: int = 5, last: int = 12) -> None:
    """Overwrite pages in the middle of the file, as a failing disk or a cut copy does."""
    data = bytearray(db.read_bytes())
    assert len(data) > (last + 1) * PAGE
    data[first * PAGE : (last + 1) * PAGE] = b"Z" * ((last + 1 - first) * PAGE)
    db.write_bytes(bytes(data))


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def ran(http_server: Server, workspace: Path) -> Server:
    make_site(http_server, workspace)
    invoke(workspace, "run")
    return http_server


def test_damaged_pages_give_one_line_naming_the_file_for_every_command(
    ran: Server, workspace: Path
):
    db = workspace / ".curator" / "curator.db"
    damage_pages(db)
    expected = (
        f"Error: the database {db} cannot be read (database disk image is malformed); "
        f"run: curator doctor --repair\n"
    )
    url = ran.url("/a/heat.html")
    for args in (["run", "--no-fetch"], ["suggest", "zoe"], ["explain", "zoe", url], ["articles"]):
        result = invoke(workspace, *args, code=1)
        assert result.stderr == expected, args


def test_a_file_that_is_not_a_database_is_named(ran: Server, workspace: Path):
    db = workspace / ".curator" / "curator.db"
    db.write_text("hello, not a database\n")
    for args in (["suggest", "zoe"], ["history", "zoe"], ["contacts", "list"], ["run"]):
        result = invoke(workspace, *args, code=1)
        assert result.stderr == (
            f"Error: the database {db} cannot be read (file is not a database); "
            f"run: curator doctor --repair\n"
        ), args
    assert db.read_text() == "hello, not a database\n"  # never overwritten


def _failing_write(fail_on: str):
    real = render.atomic_write

    def write(path: Path, data: str | bytes) -> None:
        if path.name == fail_on:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        real(path, data)

    return write


@pytest.mark.parametrize("fail_on", ["digest.json", "index.html"])
def test_a_failed_write_keeps_the_previous_digest_and_index(
    ran: Server, workspace: Path, monkeypatch: pytest.MonkeyPatch, fail_on: str
):
    output = workspace / "output"
    (week,) = [p for p in output.iterdir() if p.is_dir()]
    (week / "index.html").write_text("last week's digest as it was\n")
    before = tree(output)
    monkeypatch.setattr(render, "atomic_write", _failing_write(fail_on))
    result = invoke(workspace, "run", "--no-fetch", code=1)
    assert result.stderr == (
        f"Error: could not write the digest {week}: No space left on device; "
        f"the previous digest and index are unchanged\n"
    )
    assert tree(output) == before  # no partial folder, nothing half written
    assert sorted(p.name for p in output.iterdir()) == sorted(["index.html", week.name])
    monkeypatch.undo()
    invoke(workspace, "run", "--no-fetch")  # the next run works
    assert (week / "index.html").read_text() != "last week's digest as it was\n"


def test_a_format_not_rewritten_stays_with_its_mode(ran: Server, workspace: Path):
    (week,) = [p for p in (workspace / "output").iterdir() if p.is_dir()]
    (week / "index.html").chmod(0o644)
    md = (week / "digest.md").read_bytes()
    pipeline.run(open_workspace(str(workspace)), fetch_feeds=False, formats=("html", "json"))
    assert (week / "digest.md").read_bytes() == md
    assert (week / "index.html").stat().st_mode & 0o777 == 0o644


@pytest.mark.skipif(os.geteuid() != 0 or sys.platform != "linux", reason="mounts a tmpfs")
def test_a_full_disk_keeps_the_previous_digest(ran: Server, workspace: Path, tmp_path: Path):
    """A real full filesystem: output/ on a 200 KB tmpfs, filled up to the last bytes."""
    output = workspace / "output"
    saved = tmp_path / "saved"
    output.rename(saved)
    output.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(output)]).returncode:
        pytest.skip("tmpfs cannot be mounted here")
    try:
        for p in saved.rglob("*"):
            target = output / p.relative_to(saved)
            target.mkdir() if p.is_dir() else target.write_bytes(p.read_bytes())
        before = tree(output)
        filler = output / "filler"
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT)
        try:
            while os.write(fd, b"x" * 512):
                pass
        except OSError as exc:
            assert exc.errno == errno.ENOSPC
        finally:
            os.close(fd)
        result = invoke(workspace, "run", "--no-fetch", code=1)
        (week,) = [p for p in output.iterdir() if p.is_dir()]
        assert result.stderr == (
            f"Error: could not write the digest {week}: No space left on device; "
            f"the previous digest and index are unchanged\n"
        )
        filler.unlink()
        assert tree(output) == before
        (week / "digest.json").unlink()  # with room again, the next run writes the week whole
        invoke(workspace, "run", "--no-fetch")
        after = tree(output)
        assert sorted(after) == sorted(before)
        assert json.loads(after[f"{week.name}/digest.json"])["week"] == week.name
    finally:
        subprocess.run(["umount", str(output)], check=True)


def _boom(*args: object, **kwargs: object) -> None:
    raise RuntimeError("boom in matching")


def test_an_unexpected_failure_is_one_line_and_v_shows_the_traceback(
    ran: Server, workspace: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(pipeline, "build_digest", _boom)
    result = invoke(workspace, "run", "--no-fetch", code=1)
    assert result.stderr == (
        "Error: curator run failed unexpectedly: RuntimeError: boom in matching "
        "(run with -v to see the details)\n"
    )
    result = invoke(workspace, "-v", "run", "--no-fetch", code=1)
    assert "Traceback (most recent call last)" in result.stderr
    assert 'raise RuntimeError("boom in matching")' in result.stderr
    assert result.stderr.endswith(
        "Error: curator run failed unexpectedly: RuntimeError: boom in matching\n"
    )


def test_an_unexpected_failure_in_a_real_process(ran: Server, workspace: Path):
    code = (
        "import curator.pipeline as p\n"
        "def boom(*a, **k): raise ValueError('boom')\n"
        "p.build_digest = boom\n"
        "from curator.cli import main\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, "-w", str(workspace), "run", "--no-fetch"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert done.stderr == (
        "Error: curator run failed unexpectedly: ValueError: boom "
        "(run with -v to see the details)\n"
    )


def test_ctrl_c_is_one_line_and_exit_130(ran: Server, workspace: Path, monkeypatch):
    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(pipeline, "build_digest", interrupt)
    result = invoke(workspace, "run", "--no-fetch", code=130)
    assert result.stderr == "Interrupted; nothing was lost, the next run will finish the work\n"
    monkeypatch.setattr(pipeline, "suggest", interrupt)
    assert invoke(workspace, "suggest", "zoe", code=130).stderr == "Interrupted.\n"


# -- the user's own files: an edit made while curator works on them is never lost ----------

SAVED = "\n# saved in an editor meanwhile\n"


def _editing(module: object, name: str, path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``module.name`` append to ``path`` first, as the user saving it at that moment."""
    real = getattr(module, name)

    def edit_then(*args: object, **kwargs: object) -> object:
        with path.open("a") as fh:
            fh.write(SAVED)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, edit_then)


def test_forget_refuses_to_overwrite_a_contacts_file_edited_meanwhile(
    ran: Server, workspace: Path, monkeypatch: pytest.MonkeyPatch
):
    from curator import contacts_io

    contacts = workspace / "contacts.yaml"
    db = workspace / ".curator" / "curator.db"
    state = db.read_bytes()
    _editing(contacts_io, "_remove_lines", contacts, monkeypatch)
    result = invoke(workspace, "forget", "Zoe Park", "--yes", code=1)
    assert result.stderr == (
        "Error: contacts.yaml changed while curator was editing it (saved in an editor?); "
        "nothing was written: run the command again\n"
    )
    assert contacts.read_text().endswith(SAVED) and "Zoe Park" in contacts.read_text()
    assert db.read_bytes() == state  # the history is untouched too
    assert [p.name for p in workspace.iterdir() if p.name.startswith(".contacts")] == []
    monkeypatch.undo()
    invoke(workspace, "forget", "Zoe Park", "--yes")  # run again: it works, the edit kept
    assert contacts.read_text().endswith(SAVED) and "Zoe Park" not in contacts.read_text()


def test_imports_and_feeds_add_refuse_a_file_edited_meanwhile(
    workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    from curator import contacts_io, opml

    contacts, feeds = workspace / "contacts.yaml", workspace / "feeds.yaml"
    contacts.write_text("contacts:\n  - name: Ana Souza\n    interests: [heat pumps]\n")
    feeds.write_text("feeds:\n  - url: https://example.org/feed.xml\n")
    card = tmp_path / "people.vcf"
    card.write_text("BEGIN:VCARD\nVERSION:3.0\nFN:Lena Berg\nCATEGORIES:cycling\nEND:VCARD\n")
    outline = tmp_path / "subs.opml"
    outline.write_text(
        '<opml version="2.0"><body><outline type="rss" xmlUrl="https://example.net/rss"/>'
        "</body></opml>"
    )
    for module, name, path, args in (
        (contacts_io, "_dump", contacts, ["contacts", "import", str(card)]),
        (opml, "refusal", feeds, ["feeds", "add", "https://example.com/atom.xml"]),
        (opml, "refusal", feeds, ["feeds", "import", str(outline)]),
    ):
        edited = path.read_text() + SAVED
        with monkeypatch.context() as patch:
            _editing(module, name, path, patch)
            result = invoke(workspace, *args, code=1)
        assert result.stderr == (
            f"Error: {path.name} changed while curator was editing it (saved in an editor?); "
            f"nothing was written: run the command again\n"
        ), args
        assert path.read_text() == edited, args
    assert "Lena Berg" not in contacts.read_text() and "example.com" not in feeds.read_text()


# -- backups --------------------------------------------------------------------------------


def history_rows(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT contact, url, action, note FROM history ORDER BY id").fetchall()


def test_each_run_leaves_a_private_intact_backup_and_keeps_the_last_few(
    ran: Server, workspace: Path
):
    (workspace / "curator.yaml").write_text("extract_workers: 1\nbackups: 3\n")
    backups = workspace / ".curator" / "backups"
    (first,) = backups.iterdir()
    assert stat.S_IMODE(backups.stat().st_mode) == 0o700
    assert stat.S_IMODE(first.stat().st_mode) == 0o600
    invoke(workspace, "shared", "zoe", ran.url("/a/heat.html"), "--note", "on Signal")
    for _ in range(4):
        invoke(workspace, "run", "--no-fetch")
    kept = sorted(backups.iterdir())
    assert len(kept) == 3 and first not in kept
    newest = kept[-1]
    with sqlite3.connect(newest) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert history_rows(newest) == history_rows(workspace / ".curator" / "curator.db")
    assert [r[3] for r in history_rows(newest)] == ["on Signal"]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in kept)


def test_no_backups_when_the_setting_is_zero(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    (workspace / "curator.yaml").write_text("extract_workers: 1\nbackups: 0\n")
    invoke(workspace, "run")
    assert not (workspace / ".curator" / "backups").exists()


def test_a_database_of_an_earlier_version_is_backed_up_before_migrating(
    ran: Server, workspace: Path
):
    db = workspace / ".curator" / "curator.db"
    shutil.rmtree(workspace / ".curator" / "backups")
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE contacts_seen")
        conn.execute("DELETE FROM migrations WHERE name = 'm008_contacts_seen'")
    invoke(workspace, "history", "zoe")
    (backup,) = (workspace / ".curator" / "backups").iterdir()
    with sqlite3.connect(backup) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "articles" in tables and "contacts_seen" not in tables  # as it was before


# -- the history is the user's: export in open formats ----------------------------------------


def test_history_exports_everyone_as_json_and_csv(ran: Server, workspace: Path):
    heat, retro = ran.url("/a/heat.html"), ran.url("/a/retrofit.html")
    invoke(workspace, "shared", "zoe", heat, "--note", "on Signal", "--on", "2026-11-02")
    invoke(workspace, "dismiss", "ana", retro, "--note", "=HYPERLINK(1)")
    invoke(workspace, "touched", "zoe", "--via", "call", "--on", "2026-11-05", "--note", "coffee")
    today = datetime.now(UTC).date().isoformat()
    records = json.loads(invoke(workspace, "history", "--all", "--format", "json").stdout)
    assert [
        (r["person"], r["email"], r["action"], r["date"], r["url"], r["note"], r["via"])
        for r in records
    ] == [
        ("Zoe Park", "zoe@example.org", "shared", "2026-11-02", heat, "on Signal", ""),
        ("Zoe Park", "zoe@example.org", "touched", "2026-11-05", "", "coffee", "call"),
        ("Ana Souza", "", "dismissed", today, retro, "=HYPERLINK(1)", ""),
    ]
    rows = list(
        csv.reader(io.StringIO(invoke(workspace, "history", "--all", "--format", "csv").stdout))
    )
    assert rows[0] == ["person", "email", "action", "date", "url", "title", "note", "via"]
    assert rows[1][:5] == ["Zoe Park", "zoe@example.org", "shared", "2026-11-02", heat]
    assert rows[3][-2] == "'=HYPERLINK(1)"  # a spreadsheet shows it, never runs it
    one = json.loads(invoke(workspace, "history", "zoe", "--format", "json").stdout)
    assert [r["person"] for r in one] == ["Zoe Park", "Zoe Park"]
    result = invoke(workspace, "history", code=2)
    assert result.stderr == "Error: give one person's NAME, or --all for everyone's history\n"


# -- curator doctor ---------------------------------------------------------------------------


def damage_tables(db: Path, *tables: str) -> None:
    """Overwrite the first page of each table, wherever SQLite put it in the file."""
    with sqlite3.connect(db) as conn:
        roots = [
            conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (t,)).fetchone()[0]
            for t in tables
        ]
    conn.close()
    data = bytearray(db.read_bytes())
    for page in roots:
        data[(page - 1) * PAGE : page * PAGE] = b"Z" * PAGE
    db.write_bytes(bytes(data))


def test_doctor_says_all_is_well(ran: Server, workspace: Path):
    out = invoke(workspace, "doctor").stdout
    assert out.startswith("curator ") and "SQLite" in out and "trafilatura" in out
    assert "ok       feeds.yaml: 1 feed\n" in out
    assert "ok       contacts.yaml: 3 people\n" in out
    assert "intact, 3 articles, 0 shares and dismissals, 1 runs\n" in out
    assert "fast selectors:" in out
    assert out.endswith("All is well.\n")


def test_doctor_names_what_is_wrong(ran: Server, workspace: Path):
    (workspace / "feeds.yaml").write_text("feeds: [\n")
    (next((workspace / ".curator" / "backups").iterdir())).write_text("not a backup")
    out = invoke(workspace, "doctor", code=1).stdout
    assert "PROBLEM  feeds.yaml" in out
    assert "PROBLEM  backup " in out and "is damaged; it cannot be restored" in out
    assert "PROBLEM  backups: 0 intact" in out
    assert out.endswith("Something is wrong: see the PROBLEM lines above.\n")


def test_repair_restores_the_backup_and_keeps_later_shares(ran: Server, workspace: Path):
    db = workspace / ".curator" / "curator.db"
    invoke(workspace, "shared", "zoe", ran.url("/a/heat.html"), "--note", "after the backup")
    yaml_before = {p.name: p.read_bytes() for p in workspace.glob("*.yaml")}
    damage_tables(db, "articles", "runs", "suggestions")
    out = invoke(workspace, "doctor", code=1).stdout
    assert f"PROBLEM  database {db} is damaged (" in out
    assert "run: curator doctor --repair" in out
    damaged = db.read_bytes()

    lines = invoke(workspace, "doctor", "--repair").stdout.splitlines()
    assert lines[0].startswith("Restored the backup of ")
    assert lines[0].endswith(
        "What the runs since then stored is lost; the next curator run fetches the articles again."
    )
    assert lines[1] == (
        "Recovered 1 shares and dismissals recorded after that backup from the damaged file."
    )
    (kept,) = db.parent.glob("curator.db.damaged-*")
    assert lines[2] == f"The damaged file is kept as {kept}."
    assert kept.read_bytes() == damaged and stat.S_IMODE(db.stat().st_mode) == 0o600
    assert {p.name: p.read_bytes() for p in workspace.glob("*.yaml")} == yaml_before
    assert "note: after the backup" in invoke(workspace, "history", "zoe").stdout
    invoke(workspace, "run")  # the next run works
    assert invoke(workspace, "doctor").stdout.endswith("All is well.\n")
    out = invoke(workspace, "doctor", "--repair").stdout
    assert out == f"The database {db} is intact; nothing to repair.\n"


def test_repair_of_a_file_that_is_not_a_database(ran: Server, workspace: Path):
    db = workspace / ".curator" / "curator.db"
    db.write_text("hello\n")
    out = invoke(workspace, "doctor", "--repair").stdout
    assert out.startswith("Restored the backup of ")
    assert len(invoke(workspace, "suggest", "zoe", "--format", "json").stdout) > 10


def test_repair_without_a_backup_salvages_every_readable_row(ran: Server, workspace: Path):
    db = workspace / ".curator" / "curator.db"
    shutil.rmtree(workspace / ".curator" / "backups")
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "INSERT INTO history (contact, url, action, on_date, note) VALUES (?,?,?,?,?)",
            [
                (
                    "ana souza",
                    f"https://e.org/{n}",
                    "shared",
                    "2026-11-02T00:00:00+00:00",
                    f"row-{n:05d} " + "x" * 80,
                )
                for n in range(1, 3001)
            ],
        )
    conn.close()
    data = bytearray(db.read_bytes())
    at = data.index(b"row-01500 ") // PAGE  # one page of history rows in the middle
    data[at * PAGE : (at + 1) * PAGE] = b"Z" * PAGE
    db.write_bytes(bytes(data))

    out = invoke(workspace, "doctor", "--repair").stdout
    assert out.startswith("No intact backup; salvaged every readable row into a new database: ")
    with sqlite3.connect(db) as conn:
        notes = [r[0][:9] for r in conn.execute("SELECT note FROM history ORDER BY id")]
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    conn.close()
    assert f", history {len(notes)}, " in out
    assert 2950 < len(notes) < 3000  # only the damaged page's rows are lost
    assert notes[0] == "row-00001" and notes[-1] == "row-03000" and "row-01500" not in notes
    assert "articles 3," in out  # the other tables come along too
    invoke(workspace, "run")  # the next run works


@pytest.mark.parametrize(
    ("failure", "says"),
    [
        (
            OSError(errno.EIO, os.strerror(errno.EIO), "/mnt/usb/feeds.yaml"),
            "Error: could not read or write /mnt/usb/feeds.yaml: Input/output error\n",
        ),
        (
            sqlite3.OperationalError("database or disk is full"),
            "Error: could not write {db}: the disk is full; nothing was lost\n",
        ),
    ],
)
def test_os_and_disk_full_errors_are_one_line(
    ran: Server, workspace: Path, monkeypatch: pytest.MonkeyPatch, failure: Exception, says: str
):
    def fail(*args: object, **kwargs: object) -> None:
        raise failure

    monkeypatch.setattr(pipeline, "build_digest", fail)
    result = invoke(workspace, "run", "--no-fetch", code=1)
    assert result.stderr == says.format(db=workspace / ".curator" / "curator.db")


def test_forget_without_an_answer_changes_nothing(ran: Server, workspace: Path):
    before = (workspace / "contacts.yaml").read_bytes()
    result = invoke(workspace, "forget", "Zoe Park", code=1, input="")
    assert result.stdout.endswith("Nothing was changed.\n") and "Aborted" not in result.output
    assert (workspace / "contacts.yaml").read_bytes() == before


def test_ctrl_c_at_the_prompt_is_interrupted(
    ran: Server, workspace: Path, monkeypatch: pytest.MonkeyPatch
):
    import click

    def interrupted(*args: object, **kwargs: object) -> bool:
        try:  # what click.confirm does when Ctrl-C comes while it waits
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise click.Abort() from None

    monkeypatch.setattr(click, "confirm", interrupted)
    result = invoke(workspace, "forget", "Zoe Park", code=130)
    assert result.stderr == "Interrupted.\n"


def test_forget_cleans_a_backup_of_an_earlier_version_without_nesting_backups(
    ran: Server, workspace: Path
):
    backups = workspace / ".curator" / "backups"
    (old,) = backups.iterdir()
    with sqlite3.connect(old) as conn:
        conn.execute("DROP TABLE contacts_seen")
        conn.execute("DELETE FROM migrations WHERE name = 'm008_contacts_seen'")
    conn.close()
    invoke(workspace, "forget", "Zoe Park", "--yes")
    assert sorted(p.name for p in backups.iterdir() if p.is_dir()) == []
    assert all(b"Zoe Park" not in p.read_bytes() for p in backups.iterdir())


def test_a_backup_that_fails_is_said_and_the_run_still_succeeds(
    ran: Server, workspace: Path, monkeypatch: pytest.MonkeyPatch
):
    from curator.store import Store

    def full(*args: object, **kwargs: object) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(Store, "backup", full)
    result = invoke(workspace, "run", "--no-fetch")
    assert result.stderr == "Warning: the database was not backed up: database or disk is full\n"
    assert result.stdout.strip().endswith("index.html")


def test_doctor_reports_a_broken_settings_file(ran: Server, workspace: Path):
    (workspace / "curator.yaml").write_text("per_contact: lots\n")
    out = invoke(workspace, "doctor", code=1).stdout
    assert out.startswith("PROBLEM  curator.yaml")
    assert "ok       contacts.yaml: 3 people\n" in out
    assert out.endswith("Something is wrong: see the PROBLEM lines above.\n")


def test_folders_left_by_a_killed_run_are_cleared(ran: Server, workspace: Path):
    output = workspace / "output"
    (week,) = [p for p in output.iterdir() if p.is_dir()]
    left = output / f".{week.name}.k1ll3d"
    shutil.copytree(week, left)
    invoke(workspace, "run", "--no-fetch")
    assert sorted(p.name for p in output.iterdir()) == sorted(["index.html", week.name])
    assert (output / "index.html").read_text().count(f"{week.name}/index.html") == 1


def test_repair_brings_back_a_deleted_database(ran: Server, workspace: Path):
    db = workspace / ".curator" / "curator.db"
    invoke(workspace, "shared", "zoe", ran.url("/a/heat.html"))
    invoke(workspace, "run", "--no-fetch")  # its backup holds the share
    db.unlink()
    out = invoke(workspace, "doctor", "--repair").stdout
    assert out.startswith(f"There was no database {db}; restored the backup of ")
    assert ran.url("/a/heat.html") in invoke(workspace, "history", "zoe").stdout
    shutil.rmtree(workspace / ".curator")
    out = invoke(workspace, "doctor", "--repair").stdout
    assert out == f"There is no database {db} yet, nor a backup; nothing to repair.\n"
