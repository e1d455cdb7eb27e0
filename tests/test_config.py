"""Configuration files: every mistake names the file, the entry and the field, exits 2,
and never shows a traceback; random YAML never yields anything but contacts or a ConfigError.
"""

from __future__ import annotations

import io
import string
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from curator.cli import cli
from curator.config import Workspace, load_contacts, load_feeds, load_settings
from curator.errors import ConfigError
from curator.models import Contact, Interest

GOOD_CONTACTS = "contacts:\n  - name: Ada Lovelace\n    interests: [jazz]\n"
GOOD_FEEDS = "feeds: []\n"


def write(ws: Path, feeds: str | bytes = GOOD_FEEDS, contacts: str | bytes = GOOD_CONTACTS) -> None:
    for name, text in (("feeds.yaml", feeds), ("contacts.yaml", contacts)):
        data = text.encode("utf-8") if isinstance(text, str) else text
        (ws / name).write_bytes(data)


def run(ws: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    # --no-fetch: configuration is read before anything would touch the network.
    return CliRunner().invoke(cli, ["-w", str(ws), "run", "--no-fetch", *args], env=env)


def assert_config_error(result: Result, *parts: str) -> None:
    """Exit 2, one 'Error:' line naming everything in ``parts``, nothing on stdout."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("Error: "), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr  # one line, no traceback
    assert "Traceback" not in result.stderr
    for part in parts:
        assert part in result.stderr, f"{part!r} not in {result.stderr!r}"


# -- contacts.yaml ------------------------------------------------------------------------

CONTACT_ERRORS = [
    pytest.param(
        "contacts:\n  - name: Ada\n    interests: [jazz\n",
        ["contacts.yaml line 4: not valid YAML"],
        id="bad-yaml",
    ),
    pytest.param(
        "contacts:\n\t- name: Ada\n", ["contacts.yaml line 2: not valid YAML"], id="tab-indent"
    ),
    pytest.param(
        "contacts:\n  - name: Ada\n    name: Bo\n    interests: [x]\n",
        ["contacts.yaml line 3", 'duplicate key "name"'],
        id="duplicate-key",
    ),
    pytest.param(
        "contacts:\n  - name: Ada\n    interests: [x]\n    last_contact: 2026-02-30\n",
        ["contacts.yaml line 4: '2026-02-30' is not a date (day is out of range for month)"],
        id="impossible-date",
    ),
    pytest.param(
        "contacts:\n  - email: a@example.org\n    interests: [jazz]\n",
        ["contacts.yaml, entry 1 (line 2): 'name' is missing"],
        id="missing-name",
    ),
    pytest.param(
        "contacts:\n  - name: 42\n    interests: [jazz]\n",
        ["contacts.yaml, entry 1 (line 2), field 'name': expected text, got 42"],
        id="name-not-text",
    ),
    pytest.param(
        GOOD_CONTACTS + "  - name: Bo Diddley\n    email: bo@example.org\n",
        ["contacts.yaml, entry 2 (line 4) (Bo Diddley): 'interests' is missing"],
        id="missing-interests",
    ),
    pytest.param(
        "contacts:\n  - name: Ada\n    interests: {jazz: 1}\n",
        ["entry 1 (line 2) (Ada), field 'interests': expected a list of phrases"],
        id="interests-not-a-list",
    ),
    pytest.param(
        "contacts:\n  - name: Ada\n    interests: [jazz]\n    avoid: football\n",
        ["entry 1 (line 2) (Ada), field 'avoid': expected a list of phrases"],
        id="avoid-not-a-list",
    ),
    pytest.param(
        "contacts:\n  - name: Ada\n    interests: [jazz]\n    email: [a@example.org]\n",
        ["entry 1 (line 2) (Ada), field 'email': expected text"],
        id="email-not-text",
    ),
    pytest.param(
        "contacts:\n  - name: Ada\n    interests: [jazz]\n    notes: {a: b}\n",
        ["(Ada), field 'notes': expected text"],
        id="notes-not-text",
    ),
    pytest.param(
        "contacts:\n  - name: Ada\n    interests: [jazz]\n    intrests: [x]\n",
        ["entry 1 (line 2) (Ada): unknown field 'intrests'", "known fields:"],
        id="unknown-field",
    ),
    pytest.param(
        "contacts:\n  - name: Ada\n    interests:\n      - {topic: jazz, weight: -1}\n",
        ["(Ada), field 'interests' item 1, field 'weight': expected a positive number"],
        id="negative-weight",
    ),
    pytest.param(
        "contacts:\n  - name: Ada\n    interests:\n      - {topic: jazz, weight: .nan}\n",
        ["(Ada), field 'interests' item 1, field 'weight'"],
        id="nan-weight",
    ),
    pytest.param(
        "contacts:\n  - name: Ada\n    interests:\n      - jazz\n      - {also: [bebop]}\n",
        ["(Ada), field 'interests' item 2: 'topic' is missing"],
        id="interest-without-topic",
    ),
    pytest.param(
        "contacts:\n  - name: Ada\n    interests:\n      - {topic: jazz, weigth: 2}\n",
        ["(Ada), field 'interests' item 1: unknown field 'weigth'"],
        id="interest-unknown-field",
    ),
    pytest.param(
        "contacts:\n  - name: Ada\n    interests: [jazz, [a, b]]\n",
        ["(Ada), field 'interests' item 2: expected a phrase"],
        id="interest-nested-list",
    ),
    pytest.param(
        "contacts:\n  - name: Ada\n    interests: [jazz]\n    cadence: soon\n",
        ["(Ada), field 'cadence': 'soon' is not a duration; use e.g. 7d, 2w or 36h"],
        id="cadence-not-a-duration",
    ),
    pytest.param(
        "contacts:\n  - name: Ada\n    interests: [jazz]\n    cadence: 0d\n",
        ["(Ada), field 'cadence': '0d' is less than a day"],
        id="cadence-zero",
    ),
    pytest.param(
        "contacts:\n  - name: Ada\n    interests: [jazz]\n    cadence: 12h\n",
        ["(Ada), field 'cadence': '12h' is less than a day"],
        id="cadence-hours",
    ),
    pytest.param(
        "contacts:\n  - name: Ada\n    interests: [jazz]\n    cadence: 99999999999999w\n",
        ["(Ada), field 'cadence': '99999999999999w' is too long a duration"],
        id="cadence-overflow",
    ),
    pytest.param(
        "contacts:\n  - name: Ada\n    email: a@x.org,eve@evil.example\n    interests: [jazz]\n",
        [
            "contacts.yaml, entry 1 (line 2) (Ada), field 'email': 'a@x.org,eve@evil.example' "
            "is not one plain email address (like name@example.org)"
        ],
        id="email-two-addresses",
    ),
    pytest.param(
        "contacts:\n  - name: Ada\n    email: 'ada@example.org?cc=boss@example.org'\n"
        "    interests: [jazz]\n",
        ["(Ada), field 'email': 'ada@example.org?cc=boss@example.org' is not one plain"],
        id="email-with-a-header",
    ),
    pytest.param(
        "contacts:\n  - name: Ada\n    interests: [jazz]\n    last_contact: yesterday\n",
        ["(Ada), field 'last_contact' (line 4): expected a date like 2026-11-02, got 'yesterday'"],
        id="last-contact-not-a-date",
    ),
    pytest.param(
        GOOD_CONTACTS + "  - name: ada  lovelace\n    interests: [chess]\n",
        ["contacts.yaml, entry 2 (line 4): 'ada lovelace' has the same name as entry 1"],
        id="duplicate-name",
    ),
    pytest.param(
        "contact:\n  - name: Ada\n    interests: [jazz]\n",
        ["contacts.yaml (line 1): unknown key 'contact'; the file holds one list, 'contacts:'"],
        id="top-level-typo",
    ),
    pytest.param(
        "- name: Ada\n  interests: [jazz]\n",
        ["contacts.yaml: expected 'contacts:' followed by a list of people"],
        id="top-level-list",
    ),
    pytest.param(
        "contacts:\n  name: Ada\n",
        ["contacts.yaml: expected 'contacts:' followed by a list of people"],
        id="contacts-not-a-list",
    ),
    pytest.param(
        "contacts:\n  - Ada Lovelace\n",
        ["contacts.yaml, entry 1: expected a mapping with name and interests"],
        id="entry-not-a-mapping",
    ),
    pytest.param(
        b"contacts:\n  - name: Ad\xe9le\n    interests: [jazz]\n",
        ["contacts.yaml is not UTF-8 text"],
        id="not-utf8",
    ),
]


@pytest.mark.parametrize(("contacts", "parts"), CONTACT_ERRORS)
def test_contacts_errors_name_file_entry_and_field(
    workspace: Path, contacts: str | bytes, parts: list[str]
) -> None:
    write(workspace, contacts=contacts)
    assert_config_error(run(workspace), *parts)


# -- feeds.yaml ---------------------------------------------------------------------------

FEED_ERRORS = [
    pytest.param("feeds:\n  - url: [a\n", ["feeds.yaml line 3: not valid YAML"], id="bad-yaml"),
    pytest.param(
        "feeds:\n  - name: Blog\n", ["feeds.yaml, feed 1 (line 2): 'url' is missing"], id="no-url"
    ),
    pytest.param(
        "feeds:\n  - url: a.xml\n  - url: 42\n",
        ["feeds.yaml, feed 2 (line 3), field 'url': expected text, got 42"],
        id="url-not-text",
    ),
    pytest.param(
        "feeds:\n  - url: ftp://example.org/feed.xml\n",
        ["feeds.yaml, feed 1 (line 2): url 'ftp://example.org/feed.xml' must be http(s)"],
        id="bad-scheme",
    ),
    pytest.param(
        "feeds:\n  - url: a.xml\n    fulltext: true\n",
        ["feeds.yaml, feed 1 (line 2): unknown field 'fulltext'", "full_text"],
        id="unknown-field",
    ),
    pytest.param(
        "feeds:\n  - url: a.xml\n    full_text: yes please\n",
        ["feeds.yaml, feed 1 (line 2), field 'full_text': expected true or false"],
        id="full-text-not-bool",
    ),
    pytest.param(
        "feeds:\n  - url: a.xml\n    name: [a, b]\n",
        ["feeds.yaml, feed 1 (line 2), field 'name': expected text"],
        id="name-not-text",
    ),
    pytest.param(
        "feeds:\n  - url: a.xml\n    tags: {a: b}\n",
        ["feeds.yaml, feed 1 (line 2), field 'tags': expected a list"],
        id="tags-not-a-list",
    ),
    pytest.param(
        "feeds:\n  - url: https://example.org/a.xml\n  - https://example.org/a.xml\n",
        ["feeds.yaml, feed 2: the same url as feed 1"],
        id="duplicate-url",
    ),
    pytest.param(
        "feeds:\n  - url: demo/a.xml\n  - url: ./demo/../demo/a.xml\n",
        ["feeds.yaml, feed 2 (line 3): the same url as feed 1"],
        id="duplicate-path",
    ),
    pytest.param(
        "feed:\n  - url: a.xml\n",
        ["feeds.yaml (line 1): unknown key 'feed'; the file holds one list, 'feeds:'"],
        id="top-level-typo",
    ),
    pytest.param(
        "feeds: https://example.org/feed.xml\n",
        ["feeds.yaml: expected 'feeds:' followed by a list of feeds"],
        id="feeds-not-a-list",
    ),
    pytest.param(
        "feeds:\n  - [a.xml]\n",
        ["feeds.yaml, feed 1 (line 2): expected a mapping with at least 'url'"],
        id="entry-not-a-mapping",
    ),
]


@pytest.mark.parametrize(("feeds", "parts"), FEED_ERRORS)
def test_feeds_errors_name_file_entry_and_field(
    workspace: Path, feeds: str, parts: list[str]
) -> None:
    write(workspace, feeds=feeds)
    assert_config_error(run(workspace), *parts)


# -- curator.yaml, environment and flags ----------------------------------------------------

SETTINGS_ERRORS = [
    pytest.param("per_contact: [\n", ["curator.yaml line 2: not valid YAML"], id="bad-yaml"),
    pytest.param(
        "- since: 7d\n", ["curator.yaml: expected a mapping of setting: value"], id="not-a-mapping"
    ),
    pytest.param(
        "per_contact: 3\nsinse: 14d\n",
        ["curator.yaml (line 2): unknown setting 'sinse'; known settings:", "since"],
        id="unknown-setting",
    ),
    pytest.param(
        "per_contact: many\n",
        ["curator.yaml (line 1), setting 'per_contact': expected int, got 'many'"],
        id="wrong-type",
    ),
    pytest.param(
        "min_score: [1]\n",
        ["curator.yaml (line 1), setting 'min_score': expected float"],
        id="list-for-number",
    ),
    pytest.param(
        "per_contact: 0\n",
        ["curator.yaml (line 1), setting 'per_contact': must be at least 1, got 0"],
        id="zero-per-contact",
    ),
    pytest.param(
        "host_strikes: 0\n",
        ["curator.yaml (line 1), setting 'host_strikes': must be at least 1, got 0"],
        id="zero-host-strikes",
    ),
    pytest.param(
        "max_feed_bytes: -5\n",
        ["curator.yaml (line 1), setting 'max_feed_bytes': must be at least 0, got -5"],
        id="negative",
    ),
    pytest.param(
        "deadline: .inf\n",
        ["curator.yaml (line 1), setting 'deadline': expected a number, got inf"],
        id="infinite",
    ),
    pytest.param(
        "since: soon\n",
        ["curator.yaml (line 1), setting 'since': 'soon' is not a duration"],
        id="bad-since",
    ),
    pytest.param(
        "default_cadence: fortnightly\n",
        ["curator.yaml (line 1), setting 'default_cadence': 'fortnightly' is not a duration"],
        id="bad-default-cadence",
    ),
]


@pytest.mark.parametrize(("text", "parts"), SETTINGS_ERRORS)
def test_settings_file_errors(workspace: Path, text: str, parts: list[str]) -> None:
    write(workspace)
    (workspace / "curator.yaml").write_text(text, encoding="utf-8")
    assert_config_error(run(workspace), *parts)


def test_settings_error_from_environment_names_the_variable(workspace: Path) -> None:
    write(workspace)
    result = run(workspace, env={"CURATOR_PER_CONTACT": "lots"})
    assert_config_error(
        result, "environment variable CURATOR_PER_CONTACT: expected int, got 'lots'"
    )


def test_settings_error_from_a_flag_names_the_option(workspace: Path) -> None:
    write(workspace)
    assert_config_error(run(workspace, "--since", "soon"), "option --since: 'soon' is not a")


def test_settings_precedence_flag_env_file_default(workspace: Path, monkeypatch) -> None:
    (workspace / "curator.yaml").write_text("since: 14d\nper_contact: 2\nmin_score: 3\n")
    monkeypatch.setenv("CURATOR_PER_CONTACT", "5")
    monkeypatch.setenv("CURATOR_MIN_SCORE", "")  # empty means unset, not zero
    settings = load_settings(workspace, {"since": "21d"})
    assert (settings.since, settings.per_contact, settings.min_score) == ("21d", 5, 3.0)
    assert settings.concurrency == 8  # untouched: the default


# -- missing files and folders ------------------------------------------------------------


@pytest.mark.parametrize("missing", ["contacts.yaml", "feeds.yaml"])
def test_missing_file_suggests_curator_init_for_that_folder(workspace: Path, missing: str) -> None:
    write(workspace)
    (workspace / missing).unlink()
    assert_config_error(
        run(workspace),
        f"Error: {missing} not found in {workspace.resolve()}; "
        f"create one with: curator init {workspace.resolve()}\n",
    )


def test_missing_file_in_current_folder_suggests_plain_curator_init(tmp_path: Path) -> None:
    (tmp_path / "feeds.yaml").write_text(GOOD_FEEDS)  # conftest made tmp_path the cwd
    result = CliRunner().invoke(cli, ["run", "--no-fetch"])
    assert_config_error(result, "contacts.yaml not found in", "create one with: curator init\n")


def test_missing_workspace_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["-w", str(tmp_path / "nowhere"), "run"])
    assert_config_error(
        result, f"workspace {tmp_path / 'nowhere'} is not a folder; create one with: curator init"
    )


def test_a_folder_where_a_file_should_be(workspace: Path) -> None:
    write(workspace)
    (workspace / "contacts.yaml").unlink()
    (workspace / "contacts.yaml").mkdir()
    assert_config_error(run(workspace), "contacts.yaml cannot be read")


def test_suggest_reports_config_errors_too(workspace: Path) -> None:
    write(workspace, contacts="contacts:\n  - name: Ada\n")
    result = CliRunner().invoke(cli, ["-w", str(workspace), "suggest", "ada"])
    assert_config_error(result, "contacts.yaml, entry 1 (line 2) (Ada): 'interests' is missing")


# -- what a correct file means ------------------------------------------------------------


def test_a_full_contact_entry(workspace: Path) -> None:
    write(
        workspace,
        contacts="""\
contacts:
  - name: "  Ada   Lovelace "
    email: " ada@example.org "
    interests:
      - jazz
      - topic: heat pumps
        also: [air source, ground source]
        weight: 2
      - 1984
    avoid: [football]
    notes: |
      Met at the co-op.
    cadence: 2w
    last_contact: 2026-10-01
  - name: Bo
    interests: []
""",
    )
    ada, bo = load_contacts(Workspace(workspace))
    assert ada == Contact(
        name="Ada Lovelace",
        email="ada@example.org",
        interests=(
            Interest("jazz"),
            Interest("heat pumps", ("air source", "ground source"), 2.0),
            Interest("1984"),
        ),
        avoid=(Interest("football"),),
        notes="Met at the co-op.",
        cadence_days=14,
        last_contact=datetime(2026, 10, 1, tzinfo=UTC),
    )
    assert (bo.name, bo.interests, bo.cadence_days, bo.email) == ("Bo", (), None, "")


def test_default_cadence_applies_only_where_none_is_given(workspace: Path) -> None:
    write(
        workspace,
        contacts="contacts:\n  - {name: A, interests: [x], cadence: 3d}\n"
        "  - {name: B, interests: [y]}\n",
    )
    (workspace / "curator.yaml").write_text("default_cadence: 30d\n")
    a, b = load_contacts(Workspace(workspace, load_settings(workspace)))
    assert (a.cadence_days, b.cadence_days) == (3, 30)


@pytest.mark.parametrize(
    ("feeds", "contacts"),
    [("", "# nobody yet\n"), ("feeds:\n", "contacts:\n"), ("feeds: []\n", "contacts:  # none\n")],
)
def test_empty_files_mean_nothing_to_do(workspace: Path, feeds: str, contacts: str) -> None:
    # an empty file and a list with nothing under it both mean "nobody yet"
    write(workspace, feeds=feeds, contacts=contacts)
    ws = Workspace(workspace)
    assert load_feeds(ws) == []
    assert load_contacts(ws) == []


def test_feed_urls_are_resolved_against_the_workspace(workspace: Path) -> None:
    write(
        workspace,
        feeds="feeds:\n  - demo/a.xml\n  - url: https://example.org/feed\n    name: Ex\n"
        "    tags: climate\n    full_text: true\n  - url: file:///srv/b.xml\n",
    )
    a, ex, b = load_feeds(Workspace(workspace))
    assert a.url == (workspace / "demo" / "a.xml").resolve().as_uri()
    assert (ex.url, ex.name, ex.tags, ex.full_text) == (
        "https://example.org/feed",
        "Ex",
        ("climate",),
        True,
    )
    assert b.url == "file:///srv/b.xml"


# -- property: any YAML gives contacts or a ConfigError, never anything else ----------------

FIELDS = ["name", "email", "interests", "avoid", "notes", "cadence", "last_contact"]
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats()
    | st.text(max_size=12)
    | st.sampled_from(["7d", "2w", "12h", "0d", "2026-11-02", "2026-02-30", "", " "])
    | st.dates()
    | st.datetimes()
)
yamlish = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from([*FIELDS, "topic", "also", "weight"]) | st.text(max_size=6),
            inner,
            max_size=5,
        )
    ),
    max_leaves=20,
)
words = st.text(st.sampled_from("abcdefghij KLM-éß1"), min_size=1, max_size=15)
good_interest = words | st.fixed_dictionaries(
    {"topic": words},
    optional={"also": st.lists(words, max_size=3), "weight": st.floats(0.1, 10)},
)
good_contact = st.fixed_dictionaries(
    {"name": words, "interests": st.lists(good_interest, max_size=4)},
    optional={
        "email": words,
        "avoid": st.lists(good_interest, max_size=3),
        "notes": words,
        "cadence": st.sampled_from(["30d", "1w", "2", "36h"]),
        "last_contact": st.dates(),
    },
)
# A good entry with one field (or an unknown one) replaced by anything at all, so that
# most examples get past the first check and exercise the later ones.
mutant_contact = st.tuples(good_contact, st.sampled_from([*FIELDS, "surprise"]), yamlish).map(
    lambda t: {**t[0], t[1]: t[2]}
)
document = (
    st.fixed_dictionaries(
        {"contacts": st.lists(good_contact | mutant_contact | yamlish, max_size=5)}
    )
    | st.dictionaries(st.text(max_size=8), yamlish, max_size=3)
    | yamlish
)


def _dump(data: object) -> str:
    out = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, out)
    return out.getvalue()


def _contacts_or_config_error(root: Path) -> None:
    try:
        contacts = load_contacts(Workspace(root))
    except ConfigError as exc:
        assert str(exc).strip(), "a ConfigError must say something"
        assert "\n" not in str(exc).strip()
        return
    assert isinstance(contacts, list)
    assert all(isinstance(c, Contact) for c in contacts)
    assert len({c.key for c in contacts}) == len(contacts)
    for c in contacts:
        assert c.name and c.name == c.name.strip()
        assert all(isinstance(i, Interest) and i.topic and i.weight > 0 for i in c.interests)
        assert c.cadence_days is None or c.cadence_days >= 1


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=document)
def test_any_structure_gives_contacts_or_a_config_error(workspace: Path, data: object) -> None:
    (workspace / "contacts.yaml").write_text(_dump(data), encoding="utf-8")
    _contacts_or_config_error(workspace)


yaml_chars = st.sampled_from([*string.printable, "é", "\x00", "\ufeff", "\u2028"])


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    text=st.lists(
        st.sampled_from(
            [
                "contacts:",
                "\n",
                "  - ",
                "name: ",
                "interests: ",
                "[",
                "]",
                "{",
                "}",
                ": ",
                "- ",
                "&a ",
                "*a",
                "!!python/object:os.system ",
                "'",
                '"',
                "#",
                "\t",
                "2026-13-01",
                "? ",
            ]
        )
        | st.text(yaml_chars, max_size=5),
        max_size=30,
    ).map("".join)
)
@example(text="? - contacts:")  # a mapping as a key: ruamel raised TypeError
@example(text="contacts:\n  - name: Ada\n    interests: [x]\n    last_contact: 2026-02-30")
def test_any_text_gives_contacts_or_a_config_error(workspace: Path, text: str) -> None:
    (workspace / "contacts.yaml").write_text(text, encoding="utf-8")
    _contacts_or_config_error(workspace)


feed_like = st.fixed_dictionaries(
    {"url": st.sampled_from(["a.xml", "https://example.org/f", "file:///x.xml", "ftp://x"])},
    optional={"name": yamlish, "tags": yamlish, "full_text": yamlish, "surprise": yamlish},
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.fixed_dictionaries({"feeds": st.lists(feed_like | yamlish, max_size=4)}) | yamlish)
def test_any_feeds_structure_gives_feeds_or_a_config_error(workspace: Path, data: object) -> None:
    (workspace / "feeds.yaml").write_text(_dump(data), encoding="utf-8")
    try:
        feeds = load_feeds(Workspace(workspace))
    except ConfigError:
        return
    assert all(f.url.startswith(("http://", "https://", "file://")) for f in feeds)
    assert len({f.url for f in feeds}) == len(feeds)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.dictionaries(
        st.sampled_from(["since", "per_contact", "min_score", "default_cadence", "user_agent"]),
        yamlish,
        max_size=3,
    )
    | yamlish
)
@example(data={"since": ""})  # found by hypothesis: crashed the run with a ValueError
def test_any_settings_structure_gives_settings_or_a_config_error(
    workspace: Path, data: object
) -> None:
    (workspace / "curator.yaml").write_text(_dump(data), encoding="utf-8")
    try:
        loaded = load_settings(workspace)
    except ConfigError:
        return
    assert loaded.per_contact >= 1 and loaded.window.total_seconds() >= 0
