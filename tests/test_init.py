"""`curator init`: commented example files that load cleanly, and nothing ever overwritten."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

from click.testing import CliRunner
from ruamel.yaml import YAML

from curator.cli import cli
from curator.config import Settings, Workspace, load_contacts, load_feeds, load_settings

FILES = ("feeds.yaml", "contacts.yaml", "curator.yaml")


def test_init_creates_commented_files_that_load(tmp_path: Path) -> None:
    target = tmp_path / "new" / "workspace"
    result = CliRunner().invoke(cli, ["init", str(target)], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout == (
        "".join(f"created {target / name}\n" for name in FILES)
        + "Edit feeds.yaml and contacts.yaml, then run: curator run\n"
    )
    for name in FILES:
        text = (target / name).read_text(encoding="utf-8")
        comments = [line for line in text.splitlines() if line.lstrip().startswith("#")]
        assert len(comments) >= 3, f"{name} should explain itself"
    assert (target / "output").is_dir()
    # The examples are valid as written: a user who only edits values cannot start broken.
    ws = Workspace(target, load_settings(target))
    assert ws.settings == Settings()
    (feed,) = load_feeds(ws)
    assert feed.url.startswith("https://")
    (contact,) = load_contacts(ws)
    assert contact.email.endswith("@example.org")
    assert contact.interests and contact.avoid and contact.cadence_days == 30


def test_init_explains_every_contact_field(tmp_path: Path) -> None:
    CliRunner().invoke(cli, ["init", str(tmp_path)], catch_exceptions=False)
    text = (tmp_path / "contacts.yaml").read_text()
    for name in ("name", "email", "interests", "avoid", "notes", "said", "cadence", "last_contact"):
        assert f"#   {name}:" in text
    assert "{topic:" in text  # the long form of an interest is shown too


def test_example_settings_uncommented_are_the_defaults(tmp_path: Path) -> None:
    CliRunner().invoke(cli, ["init", str(tmp_path)], catch_exceptions=False)
    lines = (tmp_path / "curator.yaml").read_text().splitlines()
    uncommented = "\n".join(line[2:] for line in lines if line.startswith("# ") and ": " in line)
    uncommented = "\n".join(
        line
        for line in uncommented.splitlines()
        if line.split(":")[0] in Settings.__dataclass_fields__
    )
    data = YAML(typ="safe").load(uncommented)
    assert set(data) == {f.name for f in fields(Settings)}
    (tmp_path / "curator.yaml").write_text(uncommented)
    assert load_settings(tmp_path) == Settings()


def test_init_never_overwrites(tmp_path: Path) -> None:
    (tmp_path / "contacts.yaml").write_text("contacts: []  # mine\n")
    result = CliRunner().invoke(cli, ["init", str(tmp_path)], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout.splitlines()[:2] == [
        f"created {tmp_path / 'feeds.yaml'}",
        f"created {tmp_path / 'curator.yaml'}",
    ]
    assert (tmp_path / "contacts.yaml").read_text() == "contacts: []  # mine\n"

    feeds_before = (tmp_path / "feeds.yaml").read_text() + "# edited\n"
    (tmp_path / "feeds.yaml").write_text(feeds_before)
    again = CliRunner().invoke(cli, ["init", str(tmp_path)], catch_exceptions=False)
    assert again.exit_code == 0
    assert "created" not in again.stdout
    assert "nothing changed" in again.stdout
    assert (tmp_path / "feeds.yaml").read_text() == feeds_before
    assert (tmp_path / "contacts.yaml").read_text() == "contacts: []  # mine\n"


def test_init_defaults_to_the_current_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init"], catch_exceptions=False)  # cwd is tmp_path
    assert result.exit_code == 0
    assert all((tmp_path / name).is_file() for name in FILES)


def test_init_on_a_file_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x")
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "taken")])
    assert result.exit_code == 2
    assert "is a file" in result.stderr
    assert (tmp_path / "taken").read_text() == "x"


def test_init_where_a_parent_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("x")
    result = CliRunner().invoke(cli, ["init", str(tmp_path / "taken" / "ws")])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot create the workspace in")
    assert "Traceback" not in result.output
