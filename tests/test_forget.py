"""`curator forget`: no byte of the person left in contacts.yaml, the database or output/."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from conftest import Server
from test_history import ARTICLES, CONTACTS, invoke, make_site

NAME = "Zoe Park"
EMAIL = "zoe@example.org"


def all_bytes(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def holding(folder: Path, *needles: str) -> list[Path]:
    """Files under folder whose raw bytes hold any needle, in any letter case."""
    return [
        p
        for p, data in all_bytes(folder).items()
        if any(n.lower().encode() in data.lower() for n in needles)
    ]


def test_forget_removes_every_trace(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    invoke(workspace, "run")
    invoke(workspace, "shared", "zoe", http_server.url("/a/heat.html"), "--note", "for Zoe Park")
    invoke(workspace, "shared", "ana", http_server.url("/a/heat.html"), "--note", "Zoe Park too")
    invoke(workspace, "run", "--no-fetch")
    # A digest of an earlier week, as an older run would have left it.
    week = next((workspace / "output").glob("*/digest.json")).parent
    old = week.parent / "2020-W01"
    old.mkdir()
    for f in week.iterdir():
        (old / f.name).write_bytes(f.read_bytes().replace(week.name.encode(), b"2020-W01"))
    assert holding(workspace / ".curator", NAME) or holding(workspace / ".curator", "zoe park")
    backups = workspace / ".curator" / "backups"
    assert holding(backups, NAME) or holding(backups, "zoe park")
    assert holding(workspace / "output", NAME, EMAIL)

    result = invoke(workspace, "forget", "zoe park", "--yes")
    assert result.stdout.startswith(
        "Forgetting Zoe Park <zoe@example.org> (contacts.yaml, history, past digests).\n"
        "Forgot Zoe Park: removed from contacts.yaml, "
    )
    assert "2 digests rewritten" in result.stdout
    assert result.stderr == ""

    assert holding(workspace / ".curator", NAME, EMAIL) == []
    assert len(list(backups.glob("curator-*.db"))) == 3  # two runs, and one before forget
    assert holding(workspace / "output", NAME, EMAIL) == []
    # contacts.yaml: her entry and the comment above it are gone; everything else is
    # byte for byte as the user wrote it.
    expected = CONTACTS.replace(
        "  # From the co-op; prefers long reads.\n"
        "  - name: Zoe Park\n"
        "    email: zoe@example.org\n"
        "    interests: [heat pumps, retrofitting old houses]\n"
        "    cadence: 30d\n"
        "    notes: Renovating a flat on Elm Street.\n"
        "\n",
        "",
    )
    assert (workspace / "contacts.yaml").read_text() == expected
    # The others are intact: Ana's history stays (with the name scrubbed from her note),
    # and the rewritten digests still show Ana and Zack with their articles.
    out = invoke(workspace, "history", "ana").stdout
    assert ARTICLES["heat"][0] in out and "note: (forgotten) too" in out
    for folder in (week, old):
        data = json.loads((folder / "digest.json").read_text())
        names = [p["name"] for p in data["people"]]
        assert sorted(names) == ["Ana Souza", "Zack Lee"]
        zack = next(p for p in data["people"] if p["name"] == "Zack Lee")
        assert [s["title"] for s in zack["suggestions"]] == [ARTICLES["marathon"][0]]
        html = (folder / "index.html").read_text()
        assert "Zack Lee" in html and ARTICLES["marathon"][0] in html
    # The database still works for everyone else.
    db = sqlite3.connect(workspace / ".curator" / "curator.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT COUNT(*) FROM history").fetchone()[0] == 1
    invoke(workspace, "run", "--no-fetch")
    assert holding(workspace / "output", NAME, EMAIL) == []


def test_forget_asks_first_and_no_keeps_everything(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    before = (workspace / "contacts.yaml").read_bytes()
    result = invoke(workspace, "forget", "Zoe Park", code=1, input="n\n")
    assert (
        "Forget Zoe Park <zoe@example.org> everywhere (contacts.yaml, history, past digests)? "
        "[y/N]" in result.output
    )
    assert result.output.endswith("[y/N]: n\nNothing was changed.\n")
    assert "Aborted!" not in result.output
    assert (workspace / "contacts.yaml").read_bytes() == before
    result = invoke(workspace, "forget", "Zoe Park", input="y\n")
    assert "Forgot Zoe Park" in result.stdout
    assert b"Zoe" not in (workspace / "contacts.yaml").read_bytes()


def test_forget_an_unknown_or_ambiguous_name_changes_nothing(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    before = (workspace / "contacts.yaml").read_bytes()
    result = invoke(workspace, "forget", "Zed", "--yes", code=2)
    assert result.stderr.startswith("Error: ")
    result = invoke(workspace, "forget", "Qx", "--yes", code=2)
    assert result.stderr == (
        "Error: no contact has the full name or email 'Qx' (see: curator contacts list)\n"
    )
    assert (workspace / "contacts.yaml").read_bytes() == before


DANS = """\
contacts:
  - name: Dana Kowalski
    email: dana@example.org
    interests: [docker]
  - name: Daniel Ortiz
    interests: [chess]
  - name: Zoe Park
    interests: [heat pumps]
"""


def test_forget_never_acts_on_a_guessed_name(workspace: Path):
    (workspace / "feeds.yaml").write_text("feeds: []\n")
    (workspace / "contacts.yaml").write_text(DANS)
    # A first name, a prefix, a typo, a last name: each could be someone; none is taken.
    for typed in ("dan", "Dana", "Dana Kowalsky", "kowalski", "Kowalski Dana"):
        result = invoke(workspace, "forget", typed, "--yes", code=2)
        assert result.stdout == ""
        assert result.stderr.startswith(
            f"Error: {typed!r} is not exactly anyone's full name or email; did you mean "
        ), typed
        assert "'Dana Kowalski' <dana@example.org>" in result.stderr
        assert "nothing is deleted on a guess" in result.stderr
    result = invoke(workspace, "forget", "dan", "--yes", code=2)
    assert result.stderr == (
        "Error: 'dan' is not exactly anyone's full name or email; did you mean "
        "'Dana Kowalski' <dana@example.org> or 'Daniel Ortiz'? Type it in full: nothing is "
        "deleted on a guess\n"
    )
    assert (workspace / "contacts.yaml").read_text() == DANS


def test_forget_by_full_name_in_any_case_or_accents_or_by_email(workspace: Path):
    (workspace / "feeds.yaml").write_text("feeds: []\n")
    for typed in ("dana kowalski", "Dána  KOWALSKI", "DANA@example.org"):
        (workspace / "contacts.yaml").write_text(DANS)
        result = invoke(workspace, "forget", typed, "--yes")
        assert result.stdout.startswith(
            "Forgetting Dana Kowalski <dana@example.org> (contacts.yaml, history, past digests).\n"
            "Forgot Dana Kowalski: removed from contacts.yaml, "
        ), typed
        text = (workspace / "contacts.yaml").read_text()
        assert "Dana" not in text and "Daniel Ortiz" in text
    # Without an email on file, the prompt and the line name the person alone.
    result = invoke(workspace, "forget", "Daniel Ortiz", input="y\n")
    assert result.stdout.startswith(
        "Forget Daniel Ortiz everywhere (contacts.yaml, history, past digests)? [y/N]: y\n"
        "Forgot Daniel Ortiz: "
    )


def test_two_people_with_one_name_are_told_apart_by_email(workspace: Path):
    (workspace / "feeds.yaml").write_text("feeds: []\n")
    (workspace / "contacts.yaml").write_text(
        "contacts:\n"
        "  - {name: Zoe Park, email: zoe@home.example, interests: [a]}\n"
        "  - {name: Zoë Park, email: zoe@work.example, interests: [b]}\n"
    )
    # The exact spelling decides; with the accents folded away, both are meant.
    invoke(workspace, "forget", "Zoë Park", "--yes")
    assert "zoe@home.example" in (workspace / "contacts.yaml").read_text()
    (workspace / "contacts.yaml").write_text(
        "contacts:\n"
        "  - {name: Zoë Park, email: zoe@home.example, interests: [a]}\n"
        "  - {name: Zoé Park, email: zoe@work.example, interests: [b]}\n"
    )
    result = invoke(workspace, "forget", "zoe park", "--yes", code=2)
    assert result.stderr == (
        "Error: 'zoe park' is the name of 'Zoë Park' <zoe@home.example> or "
        "'Zoé Park' <zoe@work.example>; give the email\n"
    )
    invoke(workspace, "forget", "zoe@work.example", "--yes")
    assert "zoe@work.example" not in (workspace / "contacts.yaml").read_text()


def test_forget_the_last_entry_keeps_trailing_comments(workspace: Path):
    text = (
        "contacts:\n"
        "  - name: Ana Souza\n"
        "    interests: [heat pumps]  # since 2024\n"
        "  - name: Zoe Park\n"
        "    email: zoe@example.org\n"
        "    interests:\n"
        "      - heat pumps   # her words\n"
        "# - name: Someone Later\n"
        "#   interests: [x]\n"
    )
    (workspace / "contacts.yaml").write_text(text)
    (workspace / "feeds.yaml").write_text("feeds: []\n")
    invoke(workspace, "forget", "zoe park", "--yes")
    assert (workspace / "contacts.yaml").read_text() == (
        "contacts:\n"
        "  - name: Ana Souza\n"
        "    interests: [heat pumps]  # since 2024\n"
        "# - name: Someone Later\n"
        "#   interests: [x]\n"
    )


def test_forget_in_a_flow_style_file_still_works(workspace: Path):
    (workspace / "contacts.yaml").write_text(
        "contacts: [{name: Zoe Park, interests: [a]}, {name: Ana Souza, interests: [b]}]\n"
    )
    (workspace / "feeds.yaml").write_text("feeds: []\n")
    invoke(workspace, "forget", "Zoe Park", "--yes")
    text = (workspace / "contacts.yaml").read_text()
    assert "Zoe" not in text and "Ana Souza" in text
    assert invoke(workspace, "contacts", "list").stdout == "Ana Souza: b\n"


def test_a_name_in_the_news_is_explained_not_hidden(http_server: Server, workspace: Path):
    extra = {"news": ("Zoe Park wins the retrofit prize", "Zoe Park won a prize for heat pumps.")}
    make_site(http_server, workspace, extra)
    invoke(workspace, "run")
    result = invoke(workspace, "forget", "zoe@example.org", "--yes")
    assert result.stderr == (
        "Note: 1 stored articles from your feeds mention their name in their own text "
        "(digests listing them show it too); that is the news, not data about them.\n"
    )
    assert holding(workspace / ".curator", EMAIL) == []
    assert b"zoe park" not in (workspace / "contacts.yaml").read_bytes().lower()


def test_a_name_in_the_news_does_not_hide_another_trace(http_server: Server, workspace: Path):
    extra = {"news": ("Zoe Park wins the retrofit prize", "Zoe Park won a prize for heat pumps.")}
    make_site(http_server, workspace, extra)
    invoke(workspace, "run")
    stray = workspace / ".curator" / "my-notes.txt"
    stray.write_text("call Zoe Park about the flat\n")
    result = invoke(workspace, "forget", "zoe@example.org", "--yes")
    assert "Note: 1 stored articles from your feeds mention their name" in result.stderr
    assert f"Warning: {stray} still mentions them; delete or edit it by hand." in result.stderr
    assert "curator.db still mentions" not in result.stderr


NON_ASCII = ["Émile Durand", "Иван Петров", "Øyvind Ås", "Jürgen Weiß"]


def spellings(name: str) -> list[bytes]:
    """Every way a digest may write a name: UTF-8, HTML references, JSON and URL escapes."""
    import html
    from urllib.parse import quote

    forms = [name, html.escape(name), json.dumps(name)[1:-1], quote(name)]
    forms += ["".join(f"&#{ord(c)};" if ord(c) > 127 else c for c in name)]
    return [f.encode() for f in forms] + [f.lower().encode() for f in forms]


@pytest.mark.parametrize("name", NON_ASCII)
def test_forget_finds_a_name_with_letters_beyond_ascii(
    http_server: Server, workspace: Path, name: str
):
    make_site(http_server, workspace)
    (workspace / "contacts.yaml").write_text(
        f"contacts:\n  - name: {name}\n    interests: [heat pumps]\n"
        "  - name: Zack Lee\n    interests: [marathon training]\n"
    )
    invoke(workspace, "run")
    assert any(
        s in data for data in all_bytes(workspace / "output").values() for s in spellings(name)
    )
    result = invoke(workspace, "forget", name, "--yes")
    assert "1 digest rewritten" in result.stdout
    assert result.stderr == ""
    for folder in (workspace / "output", workspace / ".curator"):
        left = [p for p, d in all_bytes(folder).items() if any(s in d for s in spellings(name))]
        assert left == []
    data = json.loads(next((workspace / "output").glob("*/digest.json")).read_text())
    assert [p["name"] for p in data["people"]] == ["Zack Lee"]


@pytest.mark.parametrize(
    "trace",
    ["JÜRGEN WEISS was here", "J&#252;rgen Wei&#223; in html", '"J\\u00fcrgen Wei\\u00df"'],
)
def test_forget_warns_of_a_trace_it_cannot_remove(workspace: Path, trace: str):
    (workspace / "contacts.yaml").write_text(
        "contacts:\n  - name: Jürgen Weiß\n    interests: [a]\n  - name: Ana Souza\n"
        "    interests: [b]\n"
    )
    (workspace / "feeds.yaml").write_text("feeds: []\n")
    (workspace / "output").mkdir()
    (workspace / "output" / "mine.txt").write_text(f"notes: {trace}\n")
    result = invoke(workspace, "forget", "Jürgen Weiß", "--yes")
    assert result.stderr == (
        f"Warning: {workspace / 'output' / 'mine.txt'} still mentions them; delete or edit it "
        f"by hand.\n"
    )
