"""Cadence: when someone is overdue for a note. A new contact's cadence counts from the day
curator first saw them (kept in the database), a `last_contact:` or a share from that day."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import Server
from test_history import invoke, make_site


def people(workspace: Path) -> dict[str, dict]:
    data = json.loads(next((workspace / "output").glob("*/digest.json")).read_text())
    return {p["name"]: p for p in data["people"]}


def first_seen(workspace: Path) -> dict[str, str]:
    with sqlite3.connect(workspace / ".curator" / "curator.db") as db:
        return dict(db.execute("SELECT contact, first_seen FROM contacts_seen"))


def test_nobody_is_overdue_on_the_day_they_are_added(http_server: Server, workspace: Path):
    make_site(http_server, workspace)  # Zoe Park has a 30-day cadence and no last contact
    invoke(workspace, "run")
    assert people(workspace)["Zoe Park"]["overdue"] is False
    text = invoke(workspace, "run", "--no-fetch", "--format", "text").stdout
    assert "overdue" not in text.casefold()
    seen = first_seen(workspace)
    assert set(seen) == {"zoe park", "zack lee", "ana souza"}
    assert seen["zoe park"][:10] == datetime.now(UTC).date().isoformat()

    # a month later (the first sighting moved back), with nothing shared: overdue
    moved = (datetime.now(UTC) - timedelta(days=31)).isoformat(timespec="seconds")
    with sqlite3.connect(workspace / ".curator" / "curator.db") as db:
        db.execute("UPDATE contacts_seen SET first_seen = ? WHERE contact = 'zoe park'", (moved,))
    text = invoke(workspace, "run", "--no-fetch", "--format", "text").stdout
    assert "== Zoe Park (overdue: nothing shared yet)" in text
    assert first_seen(workspace)["zoe park"] == moved  # the first sighting is kept

    # a share resets the clock
    invoke(workspace, "shared", "Zoe Park", "https://example.org/elsewhere")
    invoke(workspace, "run", "--no-fetch")
    assert people(workspace)["Zoe Park"]["overdue"] is False


def test_last_contact_counts_instead_of_the_first_sighting(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    today = datetime.now(UTC).date()
    contacts = (workspace / "contacts.yaml").read_text()
    contacts = contacts.replace(
        "    cadence: 30d\n", f"    cadence: 30d\n    last_contact: {today - timedelta(days=45)}\n"
    ).replace(
        "    interests: [marathon training]\n",
        f"    interests: [marathon training]\n    cadence: 7d\n"
        f"    last_contact: {today - timedelta(days=3)}\n",
    )
    (workspace / "contacts.yaml").write_text(contacts)
    invoke(workspace, "run")
    found = people(workspace)
    assert found["Zoe Park"]["overdue"] is True
    assert found["Zoe Park"]["days_since_last_contact"] == 45
    assert found["Zack Lee"]["overdue"] is False


def test_forget_removes_the_first_sighting(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    invoke(workspace, "run")
    assert "ana souza" in first_seen(workspace)
    invoke(workspace, "forget", "Ana Souza", "--yes")
    assert "ana souza" not in first_seen(workspace)
