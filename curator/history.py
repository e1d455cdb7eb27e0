"""What the user shared with each person, or set aside as not for them.

A history row keeps the URL and title even when the article is not (or no longer) in the
database, so a link shared from elsewhere is still never suggested again: the matcher
compares every candidate with these rows by canonical URL and by title (same story).

Recording is idempotent: the same article shared with (or dismissed for) the same person
twice on one day is one record. `undo` takes back the record made last.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from curator.config import Workspace, load_contacts
from curator.errors import CuratorError, UsageError
from curator.models import Contact
from curator.names import resolve_contact
from curator.store import Store, now, parse_iso
from curator.textutil import one_line
from curator.urls import canonical_url, safe_link

ACTIONS = ("shared", "dismissed")
VIAS = ("call", "meeting", "message", "email", "other")  # how `touched` says you were in touch


@dataclass(frozen=True)
class HistoryItem:
    """One remembered share or dismissal."""

    action: str
    on: datetime
    url: str
    title: str
    note: str
    via: str = ""  # for a touch: call, meeting, message, email or other


@dataclass(frozen=True)
class Touched:
    """What `touched` stored, for the confirmation line."""

    contact: Contact
    on: datetime
    via: str
    already: bool = False  # the same touch existed; nothing was added


@dataclass(frozen=True)
class Recorded:
    """What `shared` or `dismiss` stored, for the confirmation line."""

    contact: Contact
    action: str
    on: datetime
    url: str
    title: str
    known: bool  # the article is in the database
    already: bool = False  # the same record existed; nothing was added


@dataclass(frozen=True)
class Undone:
    """The record `undo` took back, and the name of the person it was about."""

    name: str
    item: HistoryItem


def parse_day(text: str, today: date | None = None) -> datetime:
    """'2026-11-02', 'today', 'yesterday' or 'N days ago' as a UTC datetime at midnight."""
    today = today or now().date()
    value = " ".join(text.strip().lower().split())
    if value == "today":
        day = today
    elif value == "yesterday":
        day = today - timedelta(days=1)
    elif value.endswith(" days ago") and value.split()[0].isdigit():
        day = today - timedelta(days=int(value.split()[0]))
    else:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise UsageError(
                f"{text!r} is not a date; use e.g. 2026-11-02, today, yesterday or '3 days ago'"
            ) from None
    if day > today:
        raise UsageError(f"{text!r} is in the future; give the day it happened")
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def record(
    workspace: Workspace,
    name: str,
    url: str,
    action: str,
    *,
    on: datetime | None = None,
    note: str = "",
    title: str = "",
) -> Recorded:
    """Remember that ``url`` was shared with (or dismissed for) the contact ``name``."""
    if action not in ACTIONS:
        raise ValueError(action)
    contact = resolve_contact(load_contacts(workspace), name)
    url = url.strip()
    if not safe_link(url):
        raise UsageError(f"{url!r} is not a web address; give the article's http(s) URL")
    when = on or now()
    with Store(workspace.db_path) as store:
        article = store.article_by_url(canonical_url(url)) or store.article_by_url(url)
        stored_title = title or (article.title if article else "")
        with store.transaction():
            for row in store.history_of_day(contact.key, action, when):
                same_article = article is not None and row["article_id"] == article.id
                if same_article or canonical_url(row["url"]) == canonical_url(url):
                    on = parse_iso(row["on_date"]) or when
                    title = row["title"]
                    return Recorded(contact, action, on, url, title, article is not None, True)
            store.add_history(
                contact.key,
                article.url if article else url,
                action,
                when,
                article_id=article.id if article else None,
                title=stored_title,
                note=note.strip(),
            )
    return Recorded(contact, action, when, url, stored_title, article is not None)


def touch(
    workspace: Workspace,
    name: str,
    *,
    on: datetime | None = None,
    via: str = "other",
    note: str = "",
) -> Touched:
    """Remember that you were in touch with ``name`` (a call, a meeting, ...); the
    cadence restarts from it. One record per person, day and means."""
    if via not in VIAS:
        raise UsageError(f"{via!r} is not a way of being in touch; use one of {', '.join(VIAS)}")
    contact = resolve_contact(load_contacts(workspace), name)
    when = on or now()
    with Store(workspace.db_path) as store, store.transaction():
        for row in store.touches_of_day(contact.key, via, when):
            return Touched(contact, parse_iso(row["on_date"]) or when, via, True)
        store.add_touch(contact.key, when, via, note.strip())
    return Touched(contact, when, via)


def undo(workspace: Workspace) -> Undone | None:
    """Take back the share, dismissal or touch recorded last; None when there is none."""
    if not workspace.db_path.exists():
        return None
    try:
        names = {c.key: c.name for c in load_contacts(workspace)}
    except CuratorError:  # a broken contacts.yaml must not stop a correction
        names = {}
    with Store(workspace.db_path) as store:
        taken = store.take_back_last()
    if taken is None:
        return None
    table, row = taken
    item = _touch_item(row) if table == "touches" else _item(row)
    return Undone(names.get(row["contact"], row["contact"]), item)


def history(workspace: Workspace, name: str) -> tuple[Contact, list[HistoryItem]]:
    """Everything shared with, dismissed for or touched with one contact, newest first."""
    contact = resolve_contact(load_contacts(workspace), name)
    if not workspace.db_path.exists():
        return contact, []
    with Store(workspace.db_path) as store:
        items = [_item(row) for row in store.history(contact.key)]
        items += [_touch_item(row) for row in store.touches(contact.key)]
    # sorted() is stable: on one day, the order each table gives stays
    return contact, sorted(items, key=lambda i: i.on.date(), reverse=True)


def _touch_item(row: Mapping[str, str]) -> HistoryItem:
    return HistoryItem(
        action="touched",
        on=parse_iso(row["on_date"]) or now(),
        url="",
        title="",
        note=row["note"],
        via=row["via"],
    )


EXPORT_FIELDS = ("person", "email", "action", "date", "url", "title", "note", "via")


def export_history(workspace: Workspace, name: str | None = None) -> list[dict[str, str]]:
    """Every share, dismissal and touch (or one person's), oldest first, as plain records
    for `curator history --format json|csv`; a person no longer in contacts.yaml keeps the
    name as stored."""
    contacts = load_contacts(workspace)
    people = {c.key: c for c in contacts}
    only = resolve_contact(contacts, name).key if name else None
    if not workspace.db_path.exists():
        return []
    with Store(workspace.db_path) as store:
        rows = [(row, row["action"], "") for row in store.history(only)]
        rows += [(row, "touched", row["via"]) for row in store.touches(only)]
    records = []
    # oldest first; on one day, in the order they were recorded
    for row, action, via in sorted(rows, key=lambda r: (r[0]["on_date"], r[1] == "touched")):
        person = people.get(row["contact"])
        on = parse_iso(row["on_date"])
        records.append(
            {
                "person": person.name if person else row["contact"],
                "email": person.email if person else "",
                "action": action,
                "date": on.date().isoformat() if on else "",
                "url": row["url"] if via == "" else "",
                "title": row["title"] if via == "" else "",
                "note": row["note"],
                "via": via,
            }
        )
    return records


def history_csv(records: list[dict[str, str]]) -> str:
    """The records as CSV with a header; a cell a spreadsheet would run as a formula
    (=, +, -, @ first: titles come from feeds) is kept as text with a leading '."""
    out = io.StringIO()
    writer = csv.DictWriter(out, EXPORT_FIELDS, lineterminator="\n")
    writer.writeheader()
    for record in records:
        writer.writerow(
            {
                k: "'" + v if v[:1] in ("=", "+", "-", "@", "\t", "\r") else v
                for k, v in record.items()
            }
        )
    return out.getvalue()


def _item(row: Mapping[str, str]) -> HistoryItem:
    return HistoryItem(
        action=row["action"],
        on=parse_iso(row["on_date"]) or now(),
        url=row["url"],
        title=row["title"],
        note=row["note"],
    )


def format_history(contact: Contact, items: list[HistoryItem], today: date | None = None) -> str:
    """The lines `curator history NAME` prints."""
    name = one_line(contact.name)  # names and notes are the user's, titles a feed's: no escapes
    if not items:
        return f"Nothing shared with, dismissed for or touched with {name} yet.\n"
    today = today or now().date()
    lines = []
    shared = [i for i in items if i.action == "shared"]
    if shared:
        days = (today - shared[0].on.date()).days
        ago = "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"
        lines.append(f"{name}: {len(shared)} shared, most recently {ago}")
    else:
        lines.append(f"{name}: nothing shared yet")
    touched = [i for i in items if i.action == "touched"]
    if touched:
        days = (today - touched[0].on.date()).days
        ago = "today" if days == 0 else "yesterday" if days == 1 else f"{days} days ago"
        times = "once" if len(touched) == 1 else f"{len(touched)} times"
        lines.append(f"{name}: in touch by other means {times}, most recently {ago}")
    for item in items:
        if item.action == "touched":
            lines.append(f"{item.on:%Y-%m-%d}  {item.action:<9}  by {item.via}")
            if item.note:
                lines.append(f"{'':12}{'':11}note: {one_line(item.note)}")
            continue
        label = one_line(item.title or item.url)
        lines.append(f"{item.on:%Y-%m-%d}  {item.action:<9}  {label}")
        if item.title:
            lines.append(f"{'':12}{'':11}{one_line(item.url)}")
        if item.note:
            lines.append(f"{'':12}{'':11}note: {one_line(item.note)}")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Snoozed:
    """A snooze as set or lifted, for the confirmation line."""

    contact: Contact
    until: datetime | None  # None: until lifted
    lifted: bool = False  # `--off`: True if there was a snooze to lift


def snooze_until(for_: str | None, until: str | None, today: date | None = None) -> datetime:
    """The end of a snooze from `--for 30d` or `--until 2027-01-06` (a later day)."""
    from curator.config import parse_duration

    today = today or now().date()
    start = datetime(today.year, today.month, today.day, tzinfo=UTC)
    if for_:
        try:
            span = parse_duration(for_)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        if span.days < 1:
            raise UsageError(f"{for_!r} is less than a day; snooze for 1d or more")
        return start + timedelta(days=span.days)
    try:
        day = date.fromisoformat((until or "").strip())
    except ValueError:
        raise UsageError(f"{until!r} is not a date; use e.g. 2027-01-06") from None
    if day <= today:
        raise UsageError(f"{until!r} is not after today; give the day the snooze ends")
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def snooze(workspace: Workspace, name: str, until: datetime | None) -> Snoozed:
    """Set ``name`` aside until ``until`` (None: until lifted): no suggestions, no reminder."""
    contact = resolve_contact(load_contacts(workspace), name)
    with Store(workspace.db_path) as store:
        store.snooze(contact.key, until, now())
    return Snoozed(contact, until)


def unsnooze(workspace: Workspace, name: str) -> Snoozed:
    """Lift ``name``'s snooze or pause."""
    contact = resolve_contact(load_contacts(workspace), name)
    if not workspace.db_path.exists():
        return Snoozed(contact, None, lifted=False)
    with Store(workspace.db_path) as store:
        lifted = store.unsnooze(contact.key)
    return Snoozed(contact, None, lifted=lifted)


def snoozed(workspace: Workspace, contact: Contact) -> Snoozed | None:
    """The snooze ``contact`` is under now, if any."""
    if not workspace.db_path.exists():
        return None
    with Store(workspace.db_path) as store:
        snoozes = store.snoozes(now())
    if contact.key not in snoozes:
        return None
    return Snoozed(contact, snoozes[contact.key])


def snooze_words(until: datetime | None) -> str:
    """'snoozed until 2027-01-06' or 'paused until you lift it'."""
    return f"snoozed until {until:%Y-%m-%d}" if until else "paused until you lift it"
