"""Local hostile input: file modes, symbolic links, the workspace as code, stored caches.

A workspace holds names, emails and notes, and may come from someone else: what curator
writes there is its owner's alone, and what it reads there never runs.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Server
from test_history import invoke, make_site

from curator.pipeline import iso_week
from curator.store import now


def mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.fixture
def usual_umask() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


# -- file modes (issue 24, item 8) -----------------------------------------------------------


def test_a_run_leaves_state_and_output_readable_by_their_owner_only(
    http_server: Server, workspace: Path, usual_umask: None
):
    make_site(http_server, workspace)
    invoke(workspace, "run")
    state, output = workspace / ".curator", workspace / "output"
    assert mode(state) == 0o700 and mode(output) == 0o700
    week = output / iso_week(now())
    assert mode(week) == 0o700
    reader = sqlite3.connect(state / "curator.db")  # WAL side files exist while it is open
    reader.execute("SELECT COUNT(*) FROM articles").fetchone()
    modes = {p.name: oct(mode(p)) for p in [*state.iterdir(), *output.rglob("*")] if p.is_file()}
    reader.close()
    assert {"curator.db", "curator.db-wal", "curator.db-shm", "run.lock"} <= set(modes)
    assert {"coverage-cache.json", "index.html", "digest.md", "digest.json"} <= set(modes)
    assert modes == dict.fromkeys(modes, "0o600")


def test_a_private_contacts_file_stays_private_after_forget(workspace: Path, usual_umask: None):
    (workspace / "contacts.yaml").write_text(
        "contacts:\n  - name: Ana Souza\n    interests: [a]\n  - name: Zoe Park\n"
        "    interests: [b]\n"
    )
    (workspace / "feeds.yaml").write_text("feeds: []\n")
    (workspace / "contacts.yaml").chmod(0o600)
    invoke(workspace, "forget", "Zoe Park", "--yes")
    assert "Zoe" not in (workspace / "contacts.yaml").read_text()
    assert mode(workspace / "contacts.yaml") == 0o600


def test_a_shared_file_keeps_its_mode_too(tmp_path: Path):
    from curator.files import atomic_write

    target = tmp_path / "feeds.yaml"
    target.write_text("old")
    target.chmod(0o640)
    atomic_write(target, "new")
    assert target.read_text() == "new" and mode(target) == 0o640


def test_an_existing_open_state_folder_is_tightened(
    http_server: Server, workspace: Path, usual_umask: None
):
    make_site(http_server, workspace)
    invoke(workspace, "run")
    state = workspace / ".curator"
    state.chmod(0o755)
    for p in state.iterdir():
        p.chmod(0o644)
    invoke(workspace, "history", "zoe")
    assert mode(state) == 0o700
    assert mode(state / "curator.db") == 0o600


# -- symbolic links (issue 24, item 9) -------------------------------------------------------


def test_a_linked_lock_does_not_truncate_its_target(tmp_path: Path, workspace: Path):
    (workspace / "feeds.yaml").write_text("feeds: []\n")
    (workspace / "contacts.yaml").write_text("contacts: []\n")
    precious = tmp_path / "precious.txt"
    precious.write_text("keep me\n")
    (workspace / ".curator").mkdir()
    (workspace / ".curator" / "run.lock").symlink_to(precious)
    result = invoke(workspace, "run", "--no-fetch", code=2)
    assert result.stderr == (
        f"Error: {workspace / '.curator' / 'run.lock'} is a symbolic link; curator does not "
        f"follow it (remove it)\n"
    )
    assert precious.read_text() == "keep me\n"


def test_a_linked_database_is_refused(tmp_path: Path, workspace: Path):
    (workspace / "feeds.yaml").write_text("feeds: []\n")
    (workspace / "contacts.yaml").write_text("contacts: []\n")
    elsewhere = tmp_path / "other.db"
    elsewhere.write_bytes(b"")
    (workspace / ".curator").mkdir()
    (workspace / ".curator" / "curator.db").symlink_to(elsewhere)
    result = invoke(workspace, "run", "--no-fetch", code=2)
    assert "curator.db is a symbolic link; curator does not follow it" in result.stderr
    assert elsewhere.read_bytes() == b""


def test_a_linked_state_folder_is_refused(tmp_path: Path, workspace: Path):
    (workspace / "feeds.yaml").write_text("feeds: []\n")
    (workspace / "contacts.yaml").write_text("contacts: []\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (workspace / ".curator").symlink_to(elsewhere)
    result = invoke(workspace, "run", "--no-fetch", code=2)
    assert result.stderr.startswith(f"Error: {workspace / '.curator'} is a symbolic link;")
    assert list(elsewhere.iterdir()) == []


def test_a_linked_week_folder_is_refused(http_server: Server, tmp_path: Path, workspace: Path):
    make_site(http_server, workspace)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (workspace / "output").mkdir()
    (workspace / "output" / iso_week(now())).symlink_to(elsewhere)
    result = invoke(workspace, "run", code=2)
    assert f"{iso_week(now())} is a symbolic link; curator writes only into a real folder" in (
        result.stderr
    )
    assert list(elsewhere.iterdir()) == []


def test_forget_takes_the_week_from_the_folder_not_from_digest_json(
    http_server: Server, tmp_path: Path, workspace: Path
):
    make_site(http_server, workspace)
    invoke(workspace, "run")
    data_file = next((workspace / "output").glob("*/digest.json"))
    data = json.loads(data_file.read_text())
    data["week"] = "../../escaped"
    data_file.write_text(json.dumps(data))
    # forget backs the database up first: a new file in .curator/backups is expected
    before = sorted(p for p in tmp_path.rglob("*") if not {"output", "backups"} & set(p.parts))
    result = invoke(workspace, "forget", "Zoe Park", "--yes")
    assert "1 digest rewritten" in result.stdout
    assert not (tmp_path / "escaped").exists()
    after = sorted(p for p in tmp_path.rglob("*") if not {"output", "backups"} & set(p.parts))
    assert after == before
    assert json.loads(data_file.read_text())["week"] == data_file.parent.name
    assert "Zoe Park" not in (data_file.parent / "index.html").read_text()


# -- a workspace is data, never code (issue 24, item 14) -------------------------------------


class _Plant:
    """Unpickling this makes a folder: proof that a pickle ran."""

    def __init__(self, path: Path):
        self.path = path

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.mkdir, (str(self.path),))


def test_a_planted_pickle_in_the_decision_cache_never_runs(
    http_server: Server, tmp_path: Path, workspace: Path
):
    import pickle

    make_site(http_server, workspace)
    invoke(workspace, "run")
    proof = tmp_path / "pickle-ran"
    db = sqlite3.connect(workspace / ".curator" / "curator.db")
    with db:  # the keys stay right, so only the payload decides
        db.execute("UPDATE decision_cache SET suggestions = ?", (pickle.dumps(_Plant(proof)),))
    db.close()
    first = json.loads(next((workspace / "output").glob("*/digest.json")).read_text())
    invoke(workspace, "run", "--no-fetch")
    assert not proof.exists()
    again = json.loads(next((workspace / "output").glob("*/digest.json")).read_text())
    assert again["people"] == first["people"]
    db = sqlite3.connect(workspace / ".curator" / "curator.db")
    kinds = {row[0] for row in db.execute("SELECT typeof(suggestions) FROM decision_cache")}
    assert kinds == {"text"}  # replaced by JSON


def test_cached_decisions_read_back_equal(http_server: Server, workspace: Path):
    from datetime import timedelta

    from curator.config import load_contacts, open_workspace
    from curator.digestcache import DecisionCache
    from curator.pipeline import Matcher
    from curator.store import Store

    make_site(http_server, workspace)
    invoke(workspace, "fetch")
    ws = open_workspace(workspace)
    since, week = now() - timedelta(days=7), iso_week(now())
    with Store(ws.db_path) as store:
        cache = DecisionCache(store, since, week, (3, 0.0))
        matcher = Matcher.build(store, since, week)
        made = 0
        for contact in load_contacts(ws):
            suggestions, _ = matcher.decide(contact, 3, 0.0)
            cache.put(contact, "k", suggestions)
            assert cache.get(contact, "k") == suggestions
            made += len(suggestions)
        assert made >= 3


@pytest.mark.parametrize("name", ["digest.html.j2", "share.txt.j2", "index.html.j2"])
def test_a_workspace_template_cannot_reach_python(
    http_server: Server, tmp_path: Path, workspace: Path, name: str
):
    make_site(http_server, workspace)
    proof = tmp_path / "template-ran"
    (workspace / "templates").mkdir()
    (workspace / "templates" / name).write_text(
        f"{{{{ cycler.__init__.__globals__.os.mkdir('{proof}') }}}}\n"
    )
    result = invoke(workspace, "run", code=2)
    assert not proof.exists()
    assert result.stderr.endswith(
        "Error: a template in templates/ reaches for '__init__' of type, which templates may "
        "not use; remove it from the template\n"
    )


def test_a_sandboxed_workspace_template_still_formats(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    (workspace / "templates").mkdir()
    (workspace / "templates" / "share.txt.j2").write_text(
        "Hi {{ contact.first_name }}, on {{ interest }}: {{ article.url }}\n"
    )
    invoke(workspace, "run")
    data = json.loads(next((workspace / "output").glob("*/digest.json")).read_text())
    drafts = [s["draft"] for p in data["people"] for s in p["suggestions"]]
    assert drafts and all(d.startswith("Hi ") and "http://127.0.0.1:" in d for d in drafts)


# -- smaller: the coverage cache after forget, addresses (issue 24, item 15) -----------------


def _interest_hash(topic: str) -> str:
    import hashlib

    return hashlib.sha256(repr((topic, ())).encode()).hexdigest()


def test_forget_removes_their_interests_from_the_coverage_cache(
    http_server: Server, workspace: Path
):
    make_site(http_server, workspace)
    invoke(workspace, "run")
    cache = workspace / ".curator" / "coverage-cache.json"
    hers = _interest_hash("retrofitting old houses")  # Zoe's alone
    shared = _interest_hash("heat pumps")  # Ana's too
    assert {hers, shared} <= set(json.loads(cache.read_text())["witness"])
    invoke(workspace, "forget", "Zoe Park", "--yes")
    witness = json.loads(cache.read_text())["witness"]
    assert hers not in witness and shared in witness
    assert mode(cache) == 0o600


def test_an_import_leaves_out_an_address_that_is_two(workspace: Path):
    (workspace / "contacts.yaml").write_text("contacts: []\n")
    card = workspace / "eve.vcf"
    card.write_text(
        "BEGIN:VCARD\nVERSION:3.0\nFN:Eve Mallory\nEMAIL:a@x.org,eve@evil.example\n"
        "CATEGORIES:chess\nEND:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN:Ada Lovelace\nEMAIL:ada@example.org\n"
        "CATEGORIES:engines\nEND:VCARD\n"
    )
    result = invoke(workspace, "contacts", "import", str(card))
    assert result.stdout.startswith("vCard: read 2, added 2, updated 0, unchanged 0;")
    assert result.stderr == (
        "Skipped the email of Eve Mallory: 'a@x.org,eve@evil.example' is not one plain "
        "email address.\n"
    )
    assert invoke(workspace, "contacts", "list").stdout == (
        "Eve Mallory: chess\nAda Lovelace <ada@example.org>: engines\n"
    )
