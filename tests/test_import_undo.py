"""Address-book imports people hit: Apple vCards (photos, several emails, birthdays without
a year), LinkedIn rows without names; `--dry-run`, the backup and `contacts undo-import`."""

from __future__ import annotations

import stat
from pathlib import Path

from ruamel.yaml import YAML
from test_history import invoke

FIXTURES = Path(__file__).parent / "fixtures" / "relationship"
MINE = """\
# People I keep up with.
contacts:
  - name: Zack Lee   # from the running club
    interests: [cycling]
"""


def by_name(workspace: Path) -> dict[str, dict]:
    data = YAML(typ="safe").load((workspace / "contacts.yaml").read_text())
    return {p["name"]: p for p in data["contacts"]}


def test_an_apple_export_with_photos_and_several_emails(workspace: Path):
    (workspace / "contacts.yaml").write_text(MINE)
    out = invoke(workspace, "contacts", "import", str(FIXTURES / "apple.vcf")).stdout
    assert out.startswith("vCard: read 2, added 1, updated 1, unchanged 0; contacts.yaml lists 2")
    people = by_name(workspace)
    assert people["Maya Okafor"] == {
        "name": "Maya Okafor",
        "email": "maya@example.org",  # the preferred of two itemN.EMAIL
        "interests": ["heat pumps"],
        "notes": "Renovating a 1930s house, room by room.\nAsk about the boiler.",
        "group": "Friends",
    }
    # merged by name: the preferred email of a vCard 2.1 card, interests added, no photo
    assert people["Zack Lee"] == {
        "name": "Zack Lee",
        "interests": ["cycling", "marathon training"],
        "email": "zack@example.net",
    }
    text = (workspace / "contacts.yaml").read_text()
    assert "# from the running club" in text
    assert "PHOTO" not in text and "/9j" not in text and "0415" not in text
    again = invoke(workspace, "contacts", "import", str(FIXTURES / "apple.vcf")).stdout
    assert again.startswith("vCard: read 2, added 0, updated 0, unchanged 2")
    assert len(by_name(workspace)) == 2


def test_linkedin_rows_without_names_are_left_out(workspace: Path):
    path = FIXTURES / "Connections-empty-names.csv"
    out = invoke(workspace, "contacts", "import", str(path)).stdout
    assert out.startswith("LinkedIn: read 1, added 1, updated 0, unchanged 0")
    assert by_name(workspace)["Ana Souza"]["notes"] == "Organiser at Mill Lane Co-op"
    out = invoke(workspace, "contacts", "import", str(path)).stdout
    assert out.startswith("LinkedIn: read 1, added 0, updated 0, unchanged 1")


def test_dry_run_shows_what_would_change_and_writes_nothing(workspace: Path):
    (workspace / "contacts.yaml").write_text(MINE)
    out = invoke(workspace, "contacts", "import", str(FIXTURES / "apple.vcf"), "--dry-run").stdout
    assert out == (
        "vCard: read 2, would add 1, would update 1, unchanged 0; nothing was written.\n"
        "Would add: Maya Okafor\n"
        "Would update: Zack Lee\n"
    )
    assert (workspace / "contacts.yaml").read_text() == MINE
    assert not (workspace / "contacts.yaml.before-import").exists()


def test_the_last_import_can_be_undone(workspace: Path):
    (workspace / "contacts.yaml").write_text(MINE)
    out = invoke(workspace, "contacts", "import", str(FIXTURES / "apple.vcf")).stdout
    assert (
        "The file as it was is kept in contacts.yaml.before-import; "
        "`curator contacts undo-import` puts it back.\n"
    ) in out
    backup = workspace / "contacts.yaml.before-import"
    assert backup.read_text() == MINE
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # it lists people: owner only
    out = invoke(workspace, "contacts", "undo-import").stdout
    assert out == "Restored contacts.yaml as it was before the last import.\n"
    assert (workspace / "contacts.yaml").read_text() == MINE
    assert not backup.exists()
    out = invoke(workspace, "contacts", "undo-import").stdout
    assert out == "Nothing to undo: no import is recorded.\n"


def test_undo_import_leaves_a_file_edited_since(workspace: Path):
    (workspace / "contacts.yaml").write_text(MINE)
    invoke(workspace, "contacts", "import", str(FIXTURES / "apple.vcf"))
    edited = (workspace / "contacts.yaml").read_text() + "  - name: Ana\n    interests: [x]\n"
    (workspace / "contacts.yaml").write_text(edited)
    result = invoke(workspace, "contacts", "undo-import", code=1)
    assert result.stderr.startswith(
        "Error: contacts.yaml changed since the last import, so it is left as it is; "
        "the file as it was before the import is "
    )
    assert (workspace / "contacts.yaml").read_text() == edited
    assert (workspace / "contacts.yaml.before-import").read_text() == MINE


def test_undo_import_into_a_workspace_without_contacts_yaml(workspace: Path):
    invoke(workspace, "contacts", "import", str(FIXTURES / "apple.vcf"))
    assert (workspace / "contacts.yaml").exists()
    invoke(workspace, "contacts", "undo-import")
    assert not (workspace / "contacts.yaml").exists()


def test_forget_deletes_an_import_backup_that_names_them(workspace: Path):
    (workspace / "contacts.yaml").write_text(MINE)
    invoke(workspace, "contacts", "import", str(FIXTURES / "apple.vcf"))
    # a second import: its backup is the file after the first, which names Maya
    invoke(workspace, "contacts", "import", str(FIXTURES / "Connections-empty-names.csv"))
    assert "Maya Okafor" in (workspace / "contacts.yaml.before-import").read_text()
    out = invoke(workspace, "forget", "Maya Okafor", "--yes").stdout
    assert (
        "Deleted contacts.yaml.before-import too, which listed them: "
        "the last import can no longer be undone.\n"
    ) in out
    assert not (workspace / "contacts.yaml.before-import").exists()
    assert invoke(workspace, "contacts", "undo-import").stdout.startswith("Nothing to undo")
