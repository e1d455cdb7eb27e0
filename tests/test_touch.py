"""Keeping in touch for real: any contact restarts a cadence (`touched`), snooze and pause,
groups with a cadence each, and a cap on what one person is sent (max_per_month)."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import Server
from test_history import ARTICLES, invoke, make_site


def people(workspace: Path) -> dict[str, dict]:
    data = json.loads(next((workspace / "output").glob("*/digest.json")).read_text())
    return {p["name"]: p for p in data["people"]}


def digest(workspace: Path) -> dict:
    return json.loads(next((workspace / "output").glob("*/digest.json")).read_text())


def age_first_sighting(workspace: Path, contact: str, days: int) -> None:
    moved = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="seconds")
    with sqlite3.connect(workspace / ".curator" / "curator.db") as db:
        db.execute("UPDATE contacts_seen SET first_seen = ? WHERE contact = ?", (moved, contact))


TODAY = datetime.now(UTC).date()


# -- 1. touched --------------------------------------------------------------------------------


def test_a_call_restarts_the_cadence_and_history_lists_it(http_server: Server, workspace: Path):
    make_site(http_server, workspace)  # Zoe Park: cadence 30d
    invoke(workspace, "run")
    age_first_sighting(workspace, "zoe park", 40)
    invoke(workspace, "run", "--no-fetch")
    assert people(workspace)["Zoe Park"]["overdue"] is True

    out = invoke(workspace, "touched", "zoe", "--via", "call", "--note", "new job").stdout
    assert out == f"Recorded: in touch with Zoe Park by call on {TODAY}.\n"
    invoke(workspace, "run", "--no-fetch")
    assert people(workspace)["Zoe Park"]["overdue"] is False
    assert people(workspace)["Zoe Park"]["days_since_last_contact"] == 0

    history = invoke(workspace, "history", "zoe").stdout
    assert "Zoe Park: in touch by other means once, most recently today" in history
    assert f"{TODAY}  touched    by call" in history
    assert "note: new job" in history


def test_touched_is_idempotent_per_day_and_means(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    invoke(workspace, "touched", "zoe", "--via", "meeting", "--on", "yesterday")
    again = invoke(workspace, "touched", "Zoe Park", "--via", "meeting", "--on", "yesterday")
    assert again.stdout.startswith("Already recorded: in touch with Zoe Park by meeting on ")
    invoke(workspace, "touched", "zoe", "--via", "message", "--on", "yesterday")  # another means
    history = invoke(workspace, "history", "zoe").stdout
    assert history.count("touched") == 2
    assert "in touch by other means 2 times, most recently yesterday" in history


def test_undo_takes_back_a_touch_and_then_the_share_before_it(site_run: Server, workspace: Path):
    invoke(workspace, "shared", "zoe", site_run.url("/a/heat.html"))
    invoke(workspace, "touched", "zoe", "--via", "call")
    out = invoke(workspace, "undo").stdout
    assert out == f"Took back: in touch with Zoe Park by call on {TODAY}.\n"
    assert "touched" not in invoke(workspace, "history", "zoe").stdout
    out = invoke(workspace, "undo").stdout
    assert out.startswith(f"Took back: {ARTICLES['heat'][0]!r} shared with Zoe Park")
    # a share recorded after a touch is taken back first
    invoke(workspace, "touched", "zoe", "--via", "call")
    invoke(workspace, "dismiss", "zoe", site_run.url("/a/retrofit.html"))
    assert "dismissed for Zoe Park" in invoke(workspace, "undo").stdout
    assert "by call" in invoke(workspace, "undo").stdout
    assert invoke(workspace, "undo").stdout.startswith("Nothing to undo")


def test_an_older_touch_does_not_move_a_later_last_contact(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    contacts = (workspace / "contacts.yaml").read_text()
    last = TODAY - timedelta(days=5)
    contacts = contacts.replace("cadence: 30d\n", f"cadence: 30d\n    last_contact: {last}\n")
    (workspace / "contacts.yaml").write_text(contacts)
    invoke(workspace, "touched", "zoe", "--on", str(TODAY - timedelta(days=20)))
    invoke(workspace, "run")
    assert people(workspace)["Zoe Park"]["days_since_last_contact"] == 5


def test_forget_removes_touches_and_snoozes(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    invoke(workspace, "touched", "Ana Souza", "--via", "email")
    invoke(workspace, "snooze", "Ana Souza", "--for", "30d")
    invoke(workspace, "forget", "Ana Souza", "--yes")
    with sqlite3.connect(workspace / ".curator" / "curator.db") as db:
        assert db.execute("SELECT COUNT(*) FROM touches").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM snoozes").fetchone()[0] == 0


# -- 2. snooze and pause -----------------------------------------------------------------------


@pytest.fixture
def site_run(http_server: Server, workspace: Path) -> Server:
    make_site(http_server, workspace)
    invoke(workspace, "fetch")
    return http_server


def test_a_snoozed_person_gets_nothing_until_the_day(site_run: Server, workspace: Path):
    invoke(workspace, "run", "--no-fetch")
    age_first_sighting(workspace, "zoe park", 40)  # overdue, but snoozed: no reminder
    until = TODAY + timedelta(days=30)
    out = invoke(workspace, "snooze", "zoe", "--for", "30d").stdout
    assert out == f"Zoe Park is snoozed until {until}.\n"
    assert invoke(workspace, "suggest", "zoe").stdout == f"Zoe Park is snoozed until {until}.\n"
    as_json = invoke(workspace, "suggest", "zoe", "--format", "json")
    assert (as_json.stdout, as_json.stderr) == ("[]\n", f"Zoe Park is snoozed until {until}.\n")
    invoke(workspace, "run", "--no-fetch")
    assert "Zoe Park" not in people(workspace)
    assert digest(workspace)["snoozed"] == [{"name": "Zoe Park", "until": str(until)}]
    text = invoke(workspace, "run", "--no-fetch", "--format", "text").stdout
    assert f"Snoozed: Zoe Park (until {until})" in text
    assert "== Zoe Park" not in text
    md = next((workspace / "output").glob("*/digest.md")).read_text()
    assert f"Snoozed: Zoe Park (until {until})." in md

    assert invoke(workspace, "snooze", "zoe", "--off").stdout == "Zoe Park is back.\n"
    assert invoke(workspace, "snooze", "zoe", "--off").stdout == "Zoe Park was not snoozed.\n"
    invoke(workspace, "run", "--no-fetch")
    assert people(workspace)["Zoe Park"]["overdue"] is True
    assert digest(workspace)["snoozed"] == []


def test_a_snooze_ends_on_its_day(site_run: Server, workspace: Path):
    invoke(workspace, "snooze", "zoe", "--until", str(TODAY + timedelta(days=2)))
    assert "snoozed" in invoke(workspace, "suggest", "zoe").stdout
    with sqlite3.connect(workspace / ".curator" / "curator.db") as db:
        ended = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="seconds")
        db.execute("UPDATE snoozes SET until = ?", (ended,))
    assert "snoozed" not in invoke(workspace, "suggest", "zoe").stdout


def test_pause_holds_until_lifted(site_run: Server, workspace: Path):
    assert invoke(workspace, "pause", "zoe").stdout == "Zoe Park is paused until you lift it.\n"
    out = invoke(workspace, "snooze", "Zoe Park", "--indefinitely").stdout
    assert out == "Zoe Park is paused until you lift it.\n"
    invoke(workspace, "run", "--no-fetch")
    assert digest(workspace)["snoozed"] == [{"name": "Zoe Park", "until": None}]
    assert "[every 30d; " in invoke(workspace, "contacts", "list").stdout
    assert "; paused]" in invoke(workspace, "contacts", "list").stdout
    invoke(workspace, "snooze", "zoe", "--off")
    assert "Zoe Park" in people(workspace) or invoke(workspace, "run", "--no-fetch")
    assert "paused" not in invoke(workspace, "contacts", "list").stdout


# -- 3. groups ---------------------------------------------------------------------------------

GROUPED = """\
groups:
  family: {cadence: 14d}
  close friends: {cadence: 30d, max_per_month: 1}
contacts:
  - name: Zoe Park
    interests: [heat pumps]
    group: Family
  - name: Zack Lee
    interests: [marathon training]
    group: [close friends, family]
    cadence: 60d
  - name: Ana Souza
    interests: [heat pumps]
    group: Book club
"""


def test_groups_give_a_cadence_a_contact_may_override(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    (workspace / "contacts.yaml").write_text(GROUPED)
    invoke(workspace, "shared", "Zack Lee", "https://example.org/x", "--on", "2026-01-05")
    invoke(workspace, "run")
    age_first_sighting(workspace, "zoe park", 15)
    age_first_sighting(workspace, "ana souza", 400)
    invoke(workspace, "run", "--no-fetch")
    found = people(workspace)
    assert found["Zoe Park"]["cadence_days"] == 14
    assert found["Zoe Park"]["overdue"] is True
    assert found["Zack Lee"]["cadence_days"] == 60  # their own cadence wins over the groups'
    assert found["Ana Souza"]["cadence_days"] is None  # an address-book group: no cadence
    assert found["Ana Souza"]["overdue"] is False
    assert found["Zack Lee"]["max_per_month"] == 1  # from "close friends"
    assert found["Zoe Park"]["max_per_month"] is None
    lines = invoke(workspace, "contacts", "list").stdout.splitlines()
    due = datetime.now(UTC).date() - timedelta(days=15) + timedelta(days=14)
    assert lines[0] == f"Zoe Park: heat pumps  [group Family; every 14d; next due {due}]"
    assert lines[1] == (
        "Zack Lee: marathon training  [groups close friends, family; every 60d; "
        "last contact 2026-01-05; next due 2026-03-06]"
    )
    assert lines[2] == "Ana Souza: heat pumps  [group Book club]"


def test_a_bad_group_is_a_configuration_error_with_its_line(workspace: Path):
    (workspace / "feeds.yaml").write_text("feeds: []\n")
    (workspace / "contacts.yaml").write_text(
        "groups:\n  family: {cadence: often}\ncontacts:\n  - name: Zoe\n    interests: [x]\n"
    )
    result = invoke(workspace, "contacts", "list", code=2)
    assert "contacts.yaml (line 2), group 'family', field 'cadence': 'often' is not" in (
        result.stderr
    )
    (workspace / "contacts.yaml").write_text("groups: [family]\ncontacts: []\n")
    assert "'groups:' expected a mapping" in invoke(workspace, "contacts", "list", code=2).stderr
    (workspace / "contacts.yaml").write_text("groups:\n  family: {every: 14d}\ncontacts: []\n")
    assert "unknown field 'every'" in invoke(workspace, "contacts", "list", code=2).stderr


# -- 5. recipient load -------------------------------------------------------------------------


def test_max_per_month_stops_suggestions_and_says_so(site_run: Server, workspace: Path):
    (workspace / "curator.yaml").write_text("extract_workers: 1\nmax_per_month: 1\n")
    invoke(workspace, "shared", "zoe", "https://example.org/elsewhere")
    out = invoke(workspace, "suggest", "zoe").stdout
    assert out == (
        "Zoe Park: sent 1 in the last 30 days, the most you set (max_per_month: 1); "
        "nothing more is suggested until fewer were sent.\n"
    )
    invoke(workspace, "run", "--no-fetch")
    zoe = people(workspace)["Zoe Park"]
    assert zoe["suggestions"] == []
    assert zoe["sent_last_30_days"] == 1
    assert zoe["max_per_month"] == 1
    text = invoke(workspace, "run", "--no-fetch", "--format", "text").stdout
    assert "   Sent 1 in the last 30 days, the most you set (max_per_month: 1)" in text
    # a share older than 30 days no longer counts
    with sqlite3.connect(workspace / ".curator" / "curator.db") as db:
        db.execute("UPDATE history SET on_date = '2020-01-01T00:00:00+00:00'")
    assert "heat" in invoke(workspace, "suggest", "zoe").stdout.casefold()


def test_cards_say_what_was_sent_lately(site_run: Server, workspace: Path):
    invoke(workspace, "shared", "zoe", "https://example.org/one")
    invoke(workspace, "shared", "zoe", "https://example.org/two", "--on", "yesterday")
    invoke(workspace, "run", "--no-fetch")
    assert people(workspace)["Zoe Park"]["sent_last_30_days"] == 2
    assert people(workspace)["Zack Lee"]["sent_last_30_days"] == 0
    md = next((workspace / "output").glob("*/digest.md")).read_text()
    html = next((workspace / "output").glob("*/index.html")).read_text()
    text = invoke(workspace, "run", "--no-fetch", "--format", "text").stdout
    for out in (md, html, text):
        assert out.count("ent 2 in the last 30 days") == 1
        assert "ent 0 in the last" not in out


# -- 6. honest sources -------------------------------------------------------------------------


def test_a_suggestion_from_the_feed_summary_says_so_everywhere(
    http_server: Server, workspace: Path
):
    make_site(http_server, workspace)
    http_server.add("/a/heat.html", "gone", status=404)  # the page cannot be read
    invoke(workspace, "run")
    mark = "from the feed's summary; the page could not be read"
    zoe = people(workspace)["Zoe Park"]["suggestions"]
    by_slug = {s["url"].rsplit("/", 1)[-1]: s for s in zoe}
    assert by_slug["heat.html"]["source"] == "feed"
    assert by_slug["heat.html"]["summary_only"] is True
    assert by_slug["retrofit.html"]["source"] == "page"
    assert by_slug["retrofit.html"]["summary_only"] is False
    assert "(I have only seen its summary so far.)" in by_slug["heat.html"]["draft"]
    assert "summary" not in by_slug["retrofit.html"]["draft"]

    md = next((workspace / "output").glob("*/digest.md")).read_text()
    html = next((workspace / "output").glob("*/index.html")).read_text()
    text = invoke(workspace, "run", "--no-fetch", "--format", "text").stdout
    # once per suggestion of it (Zoe's and Ana's), not beside the page-read one
    assert text.count(mark) == 2
    assert md.count(mark) == 2
    # the page also lists it once by article
    assert html.count("From the feed&#39;s summary; the page could not be read") == 3
    out = invoke(workspace, "suggest", "zoe").stdout
    assert out.count(f"({mark})") == 1
    assert f"({mark})" in out.split("retrofit")[0]  # under the heat-pump article


def test_inits_example_contacts_show_groups(tmp_path: Path):
    invoke(tmp_path / "ws", "init", str(tmp_path / "ws"))
    text = (tmp_path / "ws" / "contacts.yaml").read_text()
    assert "groups:\n  family: {cadence: 14d}\n" in text
    line = invoke(tmp_path / "ws", "contacts", "list").stdout
    assert line == (  # no run yet: the cadence starts when a digest first sees her
        "Zoe Example <zoe@example.org>: heat pumps, retrofitting old houses  "
        "[group close friends; every 30d]\n"
    )


def test_a_full_text_feed_is_not_marked_as_a_summary(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    feeds = (workspace / "feeds.yaml").read_text()
    (workspace / "feeds.yaml").write_text(feeds + "    full_text: true\n")
    invoke(workspace, "run")
    zoe = people(workspace)["Zoe Park"]["suggestions"]
    assert [s["source"] for s in zoe] == ["feed", "feed"]  # the feed's own text, on purpose
    assert [s["summary_only"] for s in zoe] == [False, False]
    assert "summary" not in invoke(workspace, "run", "--no-fetch", "--format", "text").stdout


def test_forget_keeps_the_other_snoozed_people_in_past_digests(site_run: Server, workspace: Path):
    invoke(workspace, "snooze", "zoe", "--for", "30d")
    invoke(workspace, "pause", "ana")
    invoke(workspace, "shared", "zack", "https://example.org/one")
    invoke(workspace, "run", "--no-fetch")
    assert [z["name"] for z in digest(workspace)["snoozed"]] == ["Ana Souza", "Zoe Park"]
    invoke(workspace, "forget", "Ana Souza", "--yes")
    assert [z["name"] for z in digest(workspace)["snoozed"]] == ["Zoe Park"]
    assert people(workspace)["Zack Lee"]["sent_last_30_days"] == 1
    md = next((workspace / "output").glob("*/digest.md")).read_text()
    assert "Snoozed: Zoe Park (until " in md
    assert "Sent 1 in the last 30 days." in md
    assert "Ana" not in md


def test_a_digest_with_everyone_snoozed_does_not_say_no_contacts(site_run: Server, workspace: Path):
    for name in ("zoe", "zack", "ana"):
        invoke(workspace, "pause", name)
    text = invoke(workspace, "run", "--no-fetch", "--format", "text").stdout
    assert "no contacts yet" not in text.casefold()
    assert "Snoozed: Ana Souza (paused), Zack Lee (paused), Zoe Park (paused)" in text
    invoke(workspace, "run", "--no-fetch")
    for name in ("digest.md", "index.html"):
        page = next((workspace / "output").glob(f"*/{name}")).read_text()
        assert "no contacts yet" not in page.casefold(), name


def test_a_contacts_own_max_per_month_wins_and_a_bad_one_is_refused(workspace: Path):
    (workspace / "feeds.yaml").write_text("feeds: []\n")
    (workspace / "curator.yaml").write_text("max_per_month: 5\n")
    (workspace / "contacts.yaml").write_text(
        "groups:\n  family: {max_per_month: 2}\ncontacts:\n"
        "  - name: Zoe\n    interests: [x]\n    group: family\n    max_per_month: 4\n"
        "  - name: Zack\n    interests: [x]\n    group: family\n"
        "  - name: Ana\n    interests: [x]\n"
    )
    from curator.config import load_contacts, open_workspace

    limits = {c.name: c.max_per_month for c in load_contacts(open_workspace(str(workspace)))}
    assert limits == {"Zoe": 4, "Zack": 2, "Ana": 5}
    (workspace / "contacts.yaml").write_text(
        "contacts:\n  - name: Zoe\n    interests: [x]\n    max_per_month: 0\n"
    )
    result = invoke(workspace, "contacts", "list", code=2)
    assert "field 'max_per_month': expected a whole number of articles, at least 1" in (
        result.stderr
    )
