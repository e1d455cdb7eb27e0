"""`curator contacts import/list`: vCard, LinkedIn and Google exports merged into contacts.yaml."""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
from pathlib import Path

from conftest import Server
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from test_history import invoke, make_site

from curator.config import Workspace, load_contacts
from curator.contacts_io import _unfold, import_contacts

FIXTURES = Path(__file__).parent / "fixtures" / "relationship"

EXISTING = """\
# People I keep up with.
contacts:
  - name: Zoë Park   # the co-op
    interests:
      - heat pumps
    notes: Keep it short.

  # old friend
  - name: Chidi Okafor
    email: chidi@example.com
    interests: [ethics]
"""


def entries(workspace: Path) -> list[dict]:
    return YAML(typ="safe").load((workspace / "contacts.yaml").read_text())["contacts"]


def by_name(workspace: Path) -> dict[str, dict]:
    return {e["name"]: e for e in entries(workspace)}


def test_vcard_import_merges_and_keeps_comments(workspace: Path):
    (workspace / "contacts.yaml").write_text(EXISTING)
    out = invoke(workspace, "contacts", "import", str(FIXTURES / "contacts.vcf")).stdout
    assert out.startswith("vCard: read 3, added 1, updated 2, unchanged 0; contacts.yaml lists 3")
    assert "no interests yet" not in out  # the new person came with CATEGORIES
    people = by_name(workspace)
    # Merged by name (no email before): email filled, new interests added, notes kept.
    assert people["Zoë Park"]["email"] == "zoe@example.org"
    assert people["Zoë Park"]["interests"] == ["heat pumps", "retrofitting old houses"]
    assert people["Zoë Park"]["notes"] == "Keep it short."
    # Merged by email; N used when FN is missing.
    assert people["Chidi Okafor"]["interests"] == ["ethics", "moral philosophy"]
    # A 4.0 card with a folded CATEGORIES line and a grouped EMAIL property.
    assert people["José Álvarez-Núñez"] == {
        "name": "José Álvarez-Núñez",
        "email": "jose@example.net",
        "interests": ["marathon training", "sourdough baking"],
    }
    # Comments and blank lines stay where the user put them; new keys go where a person
    # would write them (email under the name), new people at the end.
    text = (workspace / "contacts.yaml").read_text()
    assert text == (
        "# People I keep up with.\n"
        "contacts:\n"
        "  - name: Zoë Park   # the co-op\n"
        "    email: zoe@example.org\n"
        "    interests:\n"
        "      - heat pumps\n"
        "      - retrofitting old houses\n"
        "    notes: Keep it short.\n"
        "\n"
        "  # old friend\n"
        "  - name: Chidi Okafor\n"
        "    email: chidi@example.com\n"
        "    interests: [ethics, moral philosophy]\n"
        "  - name: José Álvarez-Núñez\n"
        "    email: jose@example.net\n"
        "    interests: [marathon training, sourdough baking]\n"
    )
    # Idempotent: a second import adds and changes nothing, byte for byte.
    out = invoke(workspace, "contacts", "import", str(FIXTURES / "contacts.vcf")).stdout
    assert out.startswith("vCard: read 3, added 0, updated 0, unchanged 3")
    assert (workspace / "contacts.yaml").read_text() == text
    listing = invoke(workspace, "contacts", "list").stdout
    assert "José Álvarez-Núñez <jose@example.net>: marathon training, sourdough baking" in listing


def test_vcard_notes_are_unescaped(workspace: Path):
    out = invoke(workspace, "contacts", "import", str(FIXTURES / "contacts.vcf")).stdout
    assert "added 3" in out and (workspace / "contacts.yaml").exists()
    zoe = by_name(workspace)["Zoë Park"]
    assert zoe["notes"] == "Met at the housing co-op, second floor.\nLikes long reads."
    assert invoke(workspace, "suggest", "zoe", code=1).stderr.startswith("Error: no articles")


def test_linkedin_connections_with_its_preamble(workspace: Path):
    (workspace / "contacts.yaml").write_text(EXISTING)
    out = invoke(workspace, "contacts", "import", str(FIXTURES / "Connections.csv")).stdout
    assert out.startswith("LinkedIn: read 3, added 2, updated 1")
    assert "2 new people have no interests yet" in out
    people = by_name(workspace)
    assert people["Amara Nwosu"]["notes"] == "Data engineer at Acme, Inc."
    assert people["Amara Nwosu"]["interests"] == []
    assert people["李 小龙"]["email"] == "li@example.cn"
    assert people["Zoë Park"]["email"] == "zoe@example.org"
    assert people["Zoë Park"]["notes"] == "Keep it short."  # never overwritten
    out = invoke(workspace, "contacts", "import", str(FIXTURES / "Connections.csv")).stdout
    assert "added 0, updated 0, unchanged 3" in out


def test_google_contacts_csv_merges_by_email(workspace: Path):
    (workspace / "contacts.yaml").write_text(EXISTING)
    invoke(workspace, "contacts", "import", str(FIXTURES / "Connections.csv"))
    out = invoke(workspace, "contacts", "import", str(FIXTURES / "google.csv")).stdout
    # Amara (from LinkedIn, no email) matches by name; Chidi by email; the nameless row
    # is ignored.
    assert out.startswith("Google Contacts: read 2, added 0, updated 1, unchanged 1")
    amara = by_name(workspace)["Amara Nwosu"]
    assert amara["email"] == "amara@example.com"
    assert len(entries(workspace)) == 4


def test_comments_after_the_last_entry_stay_at_the_end(workspace: Path):
    (workspace / "contacts.yaml").write_text(
        "contacts:\n"
        "  - name: Ana Souza\n"
        "    interests:\n"
        "      - birds  # since 2024\n"
        "\n"
        "# Later:\n"
        "#  - name: Someone\n"
    )
    invoke(workspace, "contacts", "import", str(FIXTURES / "google.csv"))
    assert (workspace / "contacts.yaml").read_text() == (
        "contacts:\n"
        "  - name: Ana Souza\n"
        "    interests:\n"
        "      - birds  # since 2024\n"
        "  - name: Amara Nwosu\n"
        "    email: amara@example.com\n"
        "    interests: []\n"
        "    notes: Loves birding, and long walks\n"
        "    group: Friends\n"
        "  - name: Chidi Okafor\n"
        "    email: chidi@example.com\n"
        "    interests: []\n"
        "\n"
        "# Later:\n"
        "#  - name: Someone\n"
    )


def test_import_into_a_workspace_without_contacts_yaml(workspace: Path):
    invoke(workspace, "contacts", "import", str(FIXTURES / "google.csv"))
    assert [e["name"] for e in entries(workspace)] == ["Amara Nwosu", "Chidi Okafor"]
    assert entries(workspace)[1]["email"] == "chidi@example.com"


def test_kind_warning_past_150_people(workspace: Path):
    cards = "".join(
        f"BEGIN:VCARD\nVERSION:3.0\nFN:Person {n:03d}\nEMAIL:p{n}@example.org\nEND:VCARD\n"
        for n in range(151)
    )
    (workspace / "many.vcf").write_text(cards)
    result = invoke(workspace, "contacts", "import", str(workspace / "many.vcf"))
    assert "added 151" in result.stdout
    assert "contacts.yaml now lists 151 people" in result.stderr
    assert "about 150 at most" in result.stderr
    small = invoke(workspace, "contacts", "import", str(FIXTURES / "contacts.vcf"))
    assert "now lists 154 people" in small.stderr


def test_unreadable_formats_are_refused(workspace: Path):
    (workspace / "notes.csv").write_text("a,b\n1,2\n")
    result = invoke(workspace, "contacts", "import", str(workspace / "notes.csv"), code=2)
    assert result.stderr == (
        "Error: notes.csv: not a vCard (.vcf), LinkedIn Connections.csv or Google Contacts CSV\n"
    )
    result = invoke(workspace, "contacts", "import", str(workspace / "missing.vcf"), code=2)
    assert "does not exist" in result.stderr


def test_contacts_list_shows_cadence_and_last_share(workspace: Path):
    shutil.copy(FIXTURES / "contacts.vcf", workspace / "c.vcf")
    (workspace / "contacts.yaml").write_text(
        "contacts:\n  - name: Ana Souza\n    interests: [birds]\n    cadence: 2w\n"
    )
    invoke(workspace, "shared", "ana", "https://example.org/birds", "--on", "2026-01-05")
    assert invoke(workspace, "contacts", "list").stdout == (
        "Ana Souza: birds  [every 14d; last contact 2026-01-05; next due 2026-01-19]\n"
    )
    (workspace / "contacts.yaml").write_text("contacts: []\n")
    assert "Nobody yet" in invoke(workspace, "contacts", "list").stdout


def test_vcard_2_1_quoted_printable(workspace: Path):
    (workspace / "old.vcf").write_bytes(
        b"BEGIN:VCARD\r\nVERSION:2.1\r\n"
        b"N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:M=C3=BCller;J=C3=BCrgen;;;\r\n"
        b"EMAIL;PREF;INTERNET:jm@example.de\r\nEMAIL;INTERNET:other@example.de\r\n"
        b"NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Fr=C3=BChst=C3=BCck mit =\r\n"
        b"Kaffee\r\nEND:VCARD\r\n"
    )
    invoke(workspace, "contacts", "import", str(workspace / "old.vcf"))
    assert entries(workspace) == [
        {
            "name": "Jürgen Müller",
            "email": "jm@example.de",
            "interests": [],
            "notes": "Frühstück mit Kaffee",
        }
    ]


def _vcard_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


# Names as they are kept: control and format characters (bidi overrides, zero-width
# marks) are dropped on import and letters composed (NFC), so those do not survive as drawn.
names = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Cf", "Zl", "Zp")),
    min_size=1,
    max_size=20,
).filter(lambda n: n.strip() and " ".join(n.split()) == n and unicodedata.normalize("NFC", n) == n)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(names, min_size=1, max_size=5, unique_by=lambda n: n.casefold()), st.data())
@example(
    ["null", "yes", "#hash", "- dash", "a: b", "'quoted'", '"dq"', "~", "1e3", "O'Brien"], None
)
@example(["0"], "?0")  # found by hypothesis: ruamel wrote [?0], which reads as a mapping
def test_any_names_survive_and_a_second_import_changes_nothing(tmp_path: Path, people, data):
    workspace = Path(tempfile.mkdtemp(dir=tmp_path))
    topics = (
        data.draw(st.lists(names, max_size=3, unique_by=lambda n: n.casefold()))
        if isinstance(data, st.DataObject)
        else [data]
        if isinstance(data, str)
        else ["on", "&anchor", "*star", "x, y"]
    )
    cards = "".join(
        "BEGIN:VCARD\r\nVERSION:4.0\r\n"
        f"FN:{_vcard_escape(name)}\r\n"
        f"CATEGORIES:{','.join(_vcard_escape(t) for t in topics)}\r\n"
        "END:VCARD\r\n"
        for name in people
    )
    (workspace / "c.vcf").write_text(cards, encoding="utf-8")
    ws = Workspace(workspace)
    first = import_contacts(ws, workspace / "c.vcf")
    assert len(first.added) == len(people)
    loaded = load_contacts(ws)
    assert [c.name for c in loaded] == people
    assert all([i.topic for i in c.interests] == topics for c in loaded)
    text = (workspace / "contacts.yaml").read_bytes()
    second = import_contacts(ws, workspace / "c.vcf")
    assert second.added == [] and second.updated == []
    assert (workspace / "contacts.yaml").read_bytes() == text


def test_a_megabyte_of_quoted_printable_soft_breaks(workspace: Path):
    # 200,000 soft line breaks in one NOTE: joining them one regex pass per break read
    # the whole card each time (minutes at this size); one pass over the lines reads it once.
    breaks = 200_000
    (workspace / "big.vcf").write_bytes(
        b"BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Big Note\r\n"
        b"NOTE;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:" + b"=C3=BC=\r\n" * breaks + b"!\r\n"
        b"EMAIL:big@example.org\r\nEND:VCARD\r\n"
    )
    assert (workspace / "big.vcf").stat().st_size > 1_000_000
    invoke(workspace, "contacts", "import", str(workspace / "big.vcf"))
    [big] = entries(workspace)
    assert big["notes"] == "ü" * breaks + "!"
    assert big["email"] == "big@example.org"  # the line after the value is its own property


def _unfold_by_regex(text: str) -> str:
    """vCard unfolding as the rules read, one soft line break at a time (slow, but plain)."""
    unfolded = re.sub(r"\r?\n[ \t]", "", text)
    soft = re.compile(r"(?im)^([^:\n]*QUOTED-PRINTABLE[^\n]*)=\r?\n")
    while soft.search(unfolded):
        unfolded = soft.sub(r"\1", unfolded)
    return unfolded


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                *("NOTE;ENCODING=QUOTED-PRINTABLE:", "N;QUOTED-PRINTABLE:", "FN:", "a", "=C3=BC"),
                *("=", ":", ";", "\r\n", "\n", "\r", " ", "\t", "=\r\n", "=\n"),
            ]
        ),
        max_size=30,
    ).map("".join)
)
def test_unfolding_agrees_with_the_rules(text: str):
    assert _unfold(text) == _unfold_by_regex(text)


def test_address_book_groups_are_not_interests(workspace: Path):
    (workspace / "groups.vcf").write_text(
        "BEGIN:VCARD\nVERSION:3.0\nFN:Rosa Diaz\n"
        "CATEGORIES:Friends,myContacts,sourdough baking,STARRED,Starred in Android\n"
        "END:VCARD\n"
        "BEGIN:VCARD\nVERSION:3.0\nFN:Tom Keller\nCATEGORIES:Work,My Contacts,co-workers\n"
        "END:VCARD\n"
    )
    out = invoke(workspace, "contacts", "import", str(workspace / "groups.vcf")).stdout
    assert out == (
        "vCard: read 2, added 2, updated 0, unchanged 0; contacts.yaml lists 2 people.\n"
        "1 new people have no interests yet; add a few in their own words to contacts.yaml, "
        "or they will never get a suggestion.\n"
        "Address-book groups skipped, not interests (people in each): Friends (1), "
        "myContacts (1), STARRED (1), Starred in Android (1), Work (1), My Contacts (1), "
        "co-workers (1)\n"
    )
    people = by_name(workspace)
    assert people["Rosa Diaz"]["interests"] == ["sourdough baking"]
    # the groups that say something stay, as the person's group; "myContacts" holds everyone
    assert people["Rosa Diaz"]["group"] == ["Friends", "STARRED", "Starred in Android"]
    assert people["Tom Keller"]["interests"] == []
    assert people["Tom Keller"]["group"] == ["Work", "co-workers"]
    loaded = {c.name: c for c in load_contacts(Workspace(workspace))}
    assert loaded["Tom Keller"].groups == ("Work", "co-workers")
    assert invoke(workspace, "contacts", "list").stdout == (
        "Rosa Diaz: sourdough baking  [groups Friends, STARRED, Starred in Android]\n"
        "Tom Keller: (no interests yet)  [groups Work, co-workers]\n"
    )


def test_google_labels_sort_groups_from_interests(workspace: Path):
    (workspace / "google.csv").write_text(
        "First Name,Last Name,Labels,E-mail 1 - Value\n"
        "Ines,Ortega,* myContacts ::: * starred ::: Friends ::: Book club ::: "
        "Imported on 3/4/21,ines@example.org\n"
        "Omar,Haddad,System Group: My Contacts ::: Family,omar@example.org\n"
    )
    out = invoke(workspace, "contacts", "import", str(workspace / "google.csv")).stdout
    assert out.endswith(
        "Address-book groups skipped, not interests (people in each): myContacts (1), "
        "starred (1), Friends (1), Imported on 3/4/21 (1), My Contacts (1), Family (1)\n"
    )
    people = by_name(workspace)
    assert people["Ines Ortega"]["interests"] == ["Book club"]
    assert people["Ines Ortega"]["group"] == ["starred", "Friends"]
    assert people["Omar Haddad"]["interests"] == []
    assert people["Omar Haddad"]["group"] == "Family"
    # an entry that has a group keeps it; one without gets it
    text = (workspace / "contacts.yaml").read_text()
    (workspace / "contacts.yaml").write_text(
        text.replace("    group: Family\n", "").replace("[starred, Friends]", "Book club")
    )
    invoke(workspace, "contacts", "import", str(workspace / "google.csv"))
    people = by_name(workspace)
    assert (people["Ines Ortega"]["group"], people["Omar Haddad"]["group"]) == (
        "Book club",
        "Family",
    )


def test_terminal_escapes_in_an_address_book_are_dropped(workspace: Path):
    (workspace / "evil.vcf").write_text(
        "BEGIN:VCARD\nVERSION:3.0\nFN:Gus \x1b]0;PWNED\x07\x1b[2J\n"
        "EMAIL:gus@example.org\x1b[8m\n"
        "CATEGORIES:sail\u202eing,chess\x9b31m\n"
        "NOTE:Met at the \x1b[31mclub\x1b[0m.\\nTwo lines.\n"
        "END:VCARD\n"
    )
    result = invoke(workspace, "contacts", "import", str(workspace / "evil.vcf"))
    text = (workspace / "contacts.yaml").read_text()
    assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]", text + result.output)
    # what is left of the address is no plain address: it is left out, and said so
    assert result.stderr == (
        "Skipped the email of Gus ]0;PWNED [2J: 'gus@example.org [8m' is not one plain "
        "email address.\n"
    )
    [gus] = entries(workspace)
    assert gus == {
        "name": "Gus ]0;PWNED [2J",
        # what is left of the address once the escape is gone is not one plain address
        "interests": ["sail ing", "chess 31m"],
        "notes": "Met at the [31mclub [0m.\nTwo lines.",
    }
    listing = invoke(workspace, "contacts", "list").stdout
    assert listing == "Gus ]0;PWNED [2J: sail ing, chess 31m\n"


def test_escapes_in_a_hand_written_contacts_yaml_never_reach_the_terminal(
    http_server: Server, workspace: Path
):
    make_site(http_server, workspace)
    with (workspace / "contacts.yaml").open("a") as fh:  # YAML's "\e" is ESC, "\a" is BEL
        fh.write(
            '  - name: "Gus \\e]0;PWNED\\a\\e[2J"\n'
            '    interests: ["oboe \\e[31m", "\\u202eflutes", heat pumps]\n'
        )
    invoke(workspace, "fetch")
    shown = "Gus ]0;PWNED [2J"
    outputs = [
        invoke(workspace, "contacts", "list"),
        invoke(workspace, "suggest", "gus"),
        invoke(
            workspace,
            *("shared", "gus", "https://example.org/x", "--title", "Oboes\x1b[8m"),
            *("--note", "sent \x1b[2Jon Signal\x9b"),
        ),
        invoke(workspace, "history", "gus"),
        invoke(workspace, "undo"),
    ]
    assert f"{shown}: oboe [31m, flutes, heat pumps" in outputs[0].stdout
    assert outputs[1].stdout.startswith(f"{shown}:\n1. Heat pumps in old houses")
    assert outputs[2].stdout.startswith(f"Recorded: 'Oboes [8m' shared with {shown} on ")
    assert f"{shown}: 1 shared" in outputs[3].stdout
    assert outputs[4].stdout.startswith(f"Took back: 'Oboes [8m' shared with {shown} on ")
    assert "note: sent [2Jon Signal" in outputs[3].stdout
    # an error naming the entry, and forget (given the exact name, escapes and all)
    text = (workspace / "contacts.yaml").read_text()
    (workspace / "contacts.yaml").write_text(text + "    cadence: often\n")
    outputs.append(invoke(workspace, "contacts", "list", code=2))
    assert f"({shown}), field 'cadence'" in outputs[-1].stderr
    (workspace / "contacts.yaml").write_text(text)
    outputs.append(invoke(workspace, "forget", "Gus \x1b]0;PWNED\x07\x1b[2J", "--yes"))
    assert f"\nForgot {shown}: removed from contacts.yaml" in outputs[-1].stdout
    for result in outputs:
        assert not re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]", result.output)
