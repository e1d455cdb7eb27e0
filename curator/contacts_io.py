"""Editing contacts.yaml without losing the user's comments, and importing address books.

contacts.yaml is the user's file: every edit goes through ruamel.yaml's round-trip mode
(or, to remove one entry, through its line numbers), so comments, blank lines, key order
and quoting of everything else stay as the user wrote them.

Imports read vCard 3.0/4.0 (.vcf), LinkedIn's Connections.csv and Google Contacts CSV.
A person is the same person when the email matches, else when the name does, so importing
the same file twice adds nobody twice.
"""

from __future__ import annotations

import csv
import html
import io
import logging
import re
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import CommentMark
from ruamel.yaml.scalarstring import SingleQuotedScalarString
from ruamel.yaml.tokens import CommentToken

from curator.config import CONTACTS_FILE, Workspace, _yaml_load, parse_contact, plain_email
from curator.errors import ConfigError, CuratorError, UsageError
from curator.files import atomic_write, snapshot
from curator.models import Contact
from curator.textutil import clean_text, one_line

log = logging.getLogger("curator")

# Dunbar's number: past this, a weekly digest stops being about depth.
DEPTH_LIMIT = 150


# -- reading and writing contacts.yaml -------------------------------------------------------


def _yaml(text: str) -> YAML:
    """A round-trip YAML whose indentation matches the file's, so a dump changes nothing else."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap the user's long notes
    dash = re.search(r"^( *)- ", text, re.MULTILINE)
    offset = len(dash.group(1)) if dash else 2
    yaml.indent(mapping=2, sequence=offset + 2, offset=offset)
    return yaml


def _load(workspace: Workspace) -> tuple[str, Any]:
    path = workspace.contacts_path
    if not path.exists():
        text = "contacts:\n"
        return text, _yaml(text).load(text)
    data = _yaml_load(path)  # ConfigError with a line number on broken YAML
    text = path.read_text(encoding="utf-8")
    if data is None:
        text = text.rstrip("\n") + ("\n" if text.strip() else "") + "contacts:\n"
        data = _yaml(text).load(text)
    if not isinstance(data, CommentedMap) or not isinstance(
        data.get("contacts", []), list | type(None)
    ):
        raise ConfigError(f"{CONTACTS_FILE}: expected 'contacts:' followed by a list of people")
    return text, data


def _dump(text: str, data: Any) -> str:
    out = io.StringIO()
    _yaml(text).dump(data, out)
    return out.getvalue()


def _flow_safe(topic: str) -> str:
    """The topic, quoted if ruamel would write it in a [flow, list] as something that
    reads back differently: it writes "?0" bare, which reads back as a mapping."""
    if re.fullmatch(r"\w[\w .'’-]*", topic):
        return topic  # ruamel quotes what needs it among plain words (null, yes, 1e3)
    seq = CommentedSeq([topic])
    seq.fa.set_flow_style()
    out = io.StringIO()
    YAML(typ="rt").dump({"x": seq}, out)
    try:
        back = YAML(typ="rt").load(out.getvalue())["x"]
    except Exception:
        back = None
    return topic if back == [topic] else SingleQuotedScalarString(topic)


def _entry_key(item: Any) -> str:
    name = item.get("name") if isinstance(item, dict) else None
    return " ".join(str(name).casefold().split()) if name else ""


# ruamel keeps the comment lines that follow a node on that node's last scalar, so a key or
# item appended after it would land below a comment meant for the next entry. Before an
# edit the comment is detached (all but the line's own end-of-line comment) and afterwards
# re-attached to whatever is last now.


def _deepest(node: Any) -> tuple[dict, Any, int] | None:
    """(comment table, key, slot) where the comment after ``node``'s last line lives."""
    if isinstance(node, CommentedMap) and node:
        key = list(node.keys())[-1]
        slot = 2
    elif isinstance(node, CommentedSeq) and node:
        key = len(node) - 1
        slot = 0
    else:
        return None
    value = node[key]
    if isinstance(value, CommentedMap | CommentedSeq) and value and not value.fa.flow_style():
        inner = _deepest(value)
        if inner:
            return inner
    return node.ca.items, key, slot


def _detach_tail(node: Any) -> str:
    found = _deepest(node)
    if not found:
        return ""
    table, key, slot = found
    entry = table.get(key)
    token = entry[slot] if entry else None
    if token is None or "\n" not in token.value:
        return ""
    head, tail = token.value.split("\n", 1)
    if head.strip():
        token.value = head + "\n"
    else:
        entry[slot] = None
    return tail


def _attach_tail(node: Any, tail: str) -> None:
    found = _deepest(node) if tail else None
    if not found:
        return
    table, key, slot = found
    entry = table.setdefault(key, [None, None, None, None])
    if entry[slot] is not None:
        entry[slot].value = entry[slot].value.rstrip("\n") + "\n" + tail
    else:
        entry[slot] = CommentToken("\n" + tail, CommentMark(0), None)


def remove_contact(workspace: Workspace, contact: Contact) -> None:
    """Delete one person's entry from contacts.yaml, keeping every other byte in place.

    The entry's own lines go, with the comment lines directly above it (they describe it);
    the comments above the next entry stay with that entry.
    """
    before = snapshot(workspace.contacts_path)
    text, data = _load(workspace)
    people = data.get("contacts") or []
    found = [i for i, item in enumerate(people) if _entry_key(item) == contact.key]
    if not found:
        raise CuratorError(f"{contact.name!r} is not in {CONTACTS_FILE}")
    i = found[0]
    new_text = _remove_lines(text, people, i)
    if new_text is None or not _removed_cleanly(new_text, text, contact, workspace):
        # Flow style or an unusual layout: let ruamel re-emit the file instead.
        del people[i]
        new_text = _dump(text, data)
    atomic_write(workspace.contacts_path, new_text, unchanged_since=before)


def _remove_lines(text: str, people: CommentedSeq, i: int) -> str | None:
    if getattr(people.fa, "_flow_style", False):
        return None
    lines = text.splitlines(keepends=True)
    try:
        start = _block_start(lines, people.lc.item(i)[0])
        end = _block_start(lines, people.lc.item(i + 1)[0]) if i + 1 < len(people) else None
    except (KeyError, TypeError, AttributeError):
        return None
    if end is None:
        # The last entry runs to the end of the file, less the trailing comments and blank
        # lines that sit at or left of the dash (they are not part of the entry).
        dash_col = len(lines[people.lc.item(i)[0]]) - len(lines[people.lc.item(i)[0]].lstrip())
        end = len(lines)
        while end > start + 1:
            line = lines[end - 1]
            stripped = line.strip()
            indent = len(line) - len(line.lstrip())
            if not stripped or (stripped.startswith("#") and indent <= dash_col):
                end -= 1
            else:
                break
    return "".join(lines[:start] + lines[end:])


def _block_start(lines: list[str], item_line: int) -> int:
    """The first line of an entry: its dash line, or the comment lines right above it."""
    start = item_line
    while start > 0 and not lines[start].lstrip().startswith("-"):
        start -= 1  # the item's map may start on the line after a lone dash
    while start > 0 and lines[start - 1].lstrip().startswith("#"):
        start -= 1
    return start


def _removed_cleanly(new_text: str, old_text: str, contact: Contact, workspace: Workspace) -> bool:
    """Does the line-edited file still parse, with exactly the one person gone?"""
    try:
        before = YAML(typ="rt").load(old_text)["contacts"]
        after = YAML(typ="rt").load(new_text)
        after = after.get("contacts") if isinstance(after, dict) else None
    except Exception:  # any parse failure means: fall back to ruamel
        return False
    if after is None:
        after = []
    want = [_entry_key(p) for p in before if _entry_key(p) != contact.key]
    return [_entry_key(p) for p in after] == want


# -- importing -------------------------------------------------------------------------------


@dataclass
class Person:
    """Someone read from an address book, before merging."""

    name: str
    email: str = ""
    interests: list[str] = field(default_factory=list)
    notes: str = ""
    groups: list[str] = field(default_factory=list)  # address-book groups, not interests


@dataclass
class ImportReport:
    """What an import did."""

    source: str
    read: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # entries without a usable name
    bad_emails: list[tuple[str, str]] = field(default_factory=list)  # (name, address) left out
    without_interests: int = 0  # added people the export said nothing about
    total: int = 0
    groups: dict[str, int] = field(default_factory=dict)  # group skipped -> people in it
    dry_run: bool = False  # nothing was written
    backup: Path | None = None  # contacts.yaml as it was before this import

    @property
    def unchanged(self) -> int:
        return self.read - len(self.added) - len(self.updated) - len(self.skipped)


def read_people(path: Path) -> tuple[str, list[Person]]:
    """The format name and the people of an address-book export."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CuratorError(f"cannot read {path} ({exc.strerror or exc})") from None
    text = _decode(raw)
    stripped = text.lstrip()
    if path.suffix.lower() in (".vcf", ".vcard") or stripped.upper().startswith("BEGIN:VCARD"):
        return "vCard", _cleaned(parse_vcards(text))
    lines = text.splitlines()
    header_at = next(
        (n for n, line in enumerate(lines[:30]) if line.startswith("First Name,Last Name,")), None
    )
    if (header_at is not None and "URL" in lines[header_at]) or "Connected On" in text[:4000]:
        return "LinkedIn", _cleaned(parse_linkedin(text))
    first = lines[0] if lines else ""
    if "E-mail 1 - Value" in first or "Given Name" in first or "First Name" in first:
        return "Google Contacts", _cleaned(parse_google(text))
    raise UsageError(
        f"{path.name}: not a vCard (.vcf), LinkedIn Connections.csv or Google Contacts CSV"
    )


# Groups that address books make for everyone (Google, Apple, Outlook, Android exports),
# compared casefolded with only letters and digits kept. They say how the user files a
# person, not what the person cares about: as interests they match any article saying
# "friend" or "work".
_ADDRESS_BOOK_GROUPS = frozenset(
    re.sub(r"[\W_]+", "", g.casefold())
    for g in (
        *("Friends", "Family", "Work", "Coworkers", "Colleagues", "Starred", "VIP"),
        *("Starred in Android", "Favorites", "Favourites", "Business", "Personal", "Home"),
        *("Classmates", "Acquaintances", "Neighbors", "Neighbours", "Clients", "Customers"),
        *("Emergency", "ICE", "Holiday Cards", "Hot Contacts", "Key Customer", "Suppliers"),
        *("Phone Calls", "Waiting", "Status", "Goals/Objectives", "Time & Expenses"),
        *("Miscellaneous", "Blue Category", "Green Category", "Orange Category"),
        *("Purple Category", "Red Category", "Yellow Category"),
    )
)
# Groups holding everyone, or everyone imported one day: not even worth keeping as a group.
_EVERYONE = frozenset({"mycontacts", "allcontacts", "othercontacts", "contacts", "other"})


def _group(label: str) -> tuple[bool, bool]:
    """(is an address-book group, is worth keeping as the person's group)."""
    key = re.sub(r"[\W_]+", "", label.casefold())
    if key in _EVERYONE or key.startswith("importedon"):
        return True, False
    return key in _ADDRESS_BOOK_GROUPS, True


def _cleaned(people: list[Person]) -> list[Person]:
    """The people as contacts.yaml gets them: no control characters (a terminal escape in
    a name is an attack), address-book groups apart from the interests."""
    out = []
    for person in people:
        name = one_line(person.name)
        if not name:
            continue
        interests: dict[str, str] = {}  # by casefolded topic: the first spelling wins
        groups: dict[str, str] = {}
        for group in filter(None, map(one_line, person.groups)):
            groups.setdefault(group.casefold(), group)
        for topic in map(one_line, person.interests):
            if topic:
                (groups if _group(topic)[0] else interests).setdefault(topic.casefold(), topic)
        email = one_line(person.email)
        notes = clean_text(person.notes)
        out.append(Person(name, email, list(interests.values()), notes, list(groups.values())))
    return out


def kept_groups(groups: list[str]) -> list[str]:
    """The groups worth writing as the person's ``group``: not "myContacts" and the like."""
    return [g for g in groups if _group(g)[1]]


def _decode(raw: bytes) -> str:
    for encoding in ("utf-8-sig", "utf-16"):
        try:
            text = raw.decode(encoding)
            if encoding == "utf-8-sig" or text.startswith(("BEGIN", "First", "Name", "Notes")):
                return text
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")  # old exports; every byte decodes


def _vcard_unescape(value: str) -> str:
    return re.sub(
        r"\\(.)", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value, flags=re.DOTALL
    )


def _split_unescaped(value: str, sep: str) -> list[str]:
    parts, current, escaped = [], [], False
    for ch in value:
        if escaped:
            current.append("\\" + ch)
            escaped = False
        elif ch == "\\":
            escaped = True
        elif ch == sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def _quoted_printable(value: str, charset: str) -> str:
    import quopri

    try:
        return quopri.decodestring(value.encode("latin-1")).decode(charset or "utf-8", "replace")
    except (LookupError, UnicodeEncodeError):
        return value


def _unfold(text: str) -> str:
    """vCard lines as logical lines, in one pass over the text.

    A line starting with a space or tab continues the previous one; in vCard 2.1 a
    quoted-printable value ending in "=" continues on the next line too.
    """
    lines: list[str] = []
    parts: list[str] = []  # the logical line being joined, in pieces: no copy per join
    soft = False  # does the logical line being joined take soft line breaks?
    raws = re.sub(r"\r?\n[ \t]", "", text).split("\n")
    for n, raw in enumerate(raws, 1):
        if not parts:
            soft = "QUOTED-PRINTABLE" in raw.partition(":")[0].upper()
        line = raw.removesuffix("\r")
        if soft and line.endswith("=") and n < len(raws):
            parts.append(line[:-1])
            continue
        parts.append(raw)
        lines.append("".join(parts))
        parts = []
    return "\n".join(lines)


def parse_vcards(text: str) -> list[Person]:
    """People from vCard 2.1/3.0/4.0 text: FN (or N), EMAIL, CATEGORIES, NOTE."""
    people: list[Person] = []
    card: dict[str, list[tuple[dict[str, str], str]]] | None = None
    for line in _unfold(text).splitlines():
        if not line.strip():
            continue
        head, sep, value = line.partition(":")
        if not sep:
            continue
        name, *params = head.split(";")
        name = name.split(".")[-1].upper()  # "item1.EMAIL" -> "EMAIL"
        if name == "BEGIN" and value.strip().upper() == "VCARD":
            card = {}
            continue
        if card is None:
            continue
        if name == "END" and value.strip().upper() == "VCARD":
            person = _vcard_person(card)
            if person:
                people.append(person)
            card = None
            continue
        options = {}
        for p in params:
            key, _, val = p.partition("=")
            options[key.upper()] = val if _ else key  # vCard 2.1 bare "PREF"
        if options.get("ENCODING", "").upper() == "QUOTED-PRINTABLE":
            value = _quoted_printable(value, options.get("CHARSET", "utf-8"))
        card.setdefault(name, []).append((options, value))
    return people


def _vcard_person(card: dict[str, list[tuple[dict[str, str], str]]]) -> Person | None:
    def first(key: str) -> str:
        return _vcard_unescape(card[key][0][1]).strip() if key in card else ""

    name = first("FN")
    if not name and "N" in card:
        parts = [_vcard_unescape(p).strip() for p in _split_unescaped(card["N"][0][1], ";")]
        family, given = ([*parts, "", ""])[:2]
        name = " ".join(p for p in (given, family) if p)
    name = " ".join(name.split())
    if not name:
        return None
    emails = card.get("EMAIL", [])
    preferred = [
        v for o, v in emails if "PREF" in o or "pref" in o.get("TYPE", "").lower() or o.get("PREF")
    ]
    email = _vcard_unescape((preferred or [v for _, v in emails] or [""])[0]).strip()
    email = email.removeprefix("mailto:")
    interests = [  # duplicates and address-book groups are sorted out by _cleaned
        _vcard_unescape(part)
        for _, value in card.get("CATEGORIES", [])
        for part in _split_unescaped(value, ",")
    ]
    return Person(name, email, interests, first("NOTE"))


def parse_linkedin(text: str) -> list[Person]:
    """People from LinkedIn's Connections.csv, which opens with a few lines of notes."""
    lines = text.splitlines(keepends=True)
    start = next((n for n, line in enumerate(lines) if line.startswith("First Name,")), None)
    if start is None:
        raise UsageError("Connections.csv: no 'First Name,Last Name,...' header found")
    people = []
    for row in csv.DictReader(io.StringIO("".join(lines[start:]))):
        name = " ".join(f"{row.get('First Name') or ''} {row.get('Last Name') or ''}".split())
        if not name:
            continue
        position, company = (row.get("Position") or "").strip(), (row.get("Company") or "").strip()
        notes = " at ".join(p for p in (position, company) if p)
        people.append(Person(name, (row.get("Email Address") or "").strip(), [], notes))
    return people


def parse_google(text: str) -> list[Person]:
    """People from a Google Contacts CSV export (the current and the older column names)."""
    people = []
    for row in csv.DictReader(io.StringIO(text)):
        parts = [row.get(k) or "" for k in ("First Name", "Given Name")]
        given = next((p for p in parts if p.strip()), "")
        middle = row.get("Middle Name") or row.get("Additional Name") or ""
        family = row.get("Last Name") or row.get("Family Name") or ""
        name = " ".join((row.get("Name") or f"{given} {middle} {family}").split())
        if not name:
            name = " ".join((row.get("Nickname") or "").split())
        if not name:
            continue
        email = ""
        for n in range(1, 6):
            value = (row.get(f"E-mail {n} - Value") or "").strip()
            if value:
                email = value.split(" ::: ")[0].strip()
                break
        # Labels are what a vCard export calls CATEGORIES: "* myContacts ::: Book club",
        # where "* " (or "System Group: " in older exports) marks Google's own groups.
        labels = (row.get("Labels") or row.get("Group Membership") or "").split(":::")
        own = re.compile(r"\s*(\*|system group:)\s*", re.IGNORECASE)
        groups = [own.sub("", label, count=1) for label in labels if own.match(label)]
        topics = [label for label in labels if not own.match(label)]
        notes = (row.get("Notes") or "").strip()
        people.append(Person(name, email, topics, notes, groups))
    return people


# contacts.yaml as it was before the last import, beside it, and what that import wrote
# (its SHA-256 and whether the file existed before), so `undo-import` restores the file only
# if nothing changed it since.
IMPORT_BACKUP = CONTACTS_FILE + ".before-import"
_IMPORT_RECORD = "last-import.json"


def import_contacts(workspace: Workspace, path: Path, *, dry_run: bool = False) -> ImportReport:
    """Merge an address-book export into contacts.yaml: by email, else by name. With
    ``dry_run``, report what would change and write nothing; else keep the file as it was
    in IMPORT_BACKUP, for `undo_import`."""
    kind, people = read_people(path)
    report = ImportReport(kind, read=len(people), dry_run=dry_run)
    before = snapshot(workspace.contacts_path)
    text, data = _load(workspace)
    if data.get("contacts") is None:
        data["contacts"] = CommentedSeq()
    entries: CommentedSeq = data["contacts"]
    by_email: dict[str, Any] = {}
    by_name: dict[str, Any] = {}
    for item in entries:
        if isinstance(item, dict):
            if item.get("email"):
                by_email[str(item["email"]).strip().casefold()] = item
            if _entry_key(item):
                by_name[_entry_key(item)] = item
    list_tail = _detach_tail(entries)
    for person in people:
        for group in person.groups:
            report.groups[group] = report.groups.get(group, 0) + 1
        if person.email and not plain_email(person.email):
            # a@x.org,eve@evil.example would be two recipients of every share link
            report.bad_emails.append((person.name, person.email))
            person = replace(person, email="")
        key = " ".join(person.name.casefold().split())
        email = person.email.casefold()
        item = (by_email.get(email) if email else None) or by_name.get(key)
        if item is None:
            item = CommentedMap()
            item["name"] = person.name
            if person.email:
                item["email"] = person.email
            interests = CommentedSeq(_flow_safe(t) for t in person.interests)
            interests.fa.set_flow_style()
            item["interests"] = interests
            if person.notes:
                item["notes"] = person.notes
            if kept_groups(person.groups):
                item["group"] = _group_value(kept_groups(person.groups))
            entries.append(item)
            report.added.append(person.name)
            report.without_interests += not person.interests
        else:
            tail = _detach_tail(item)
            changed = _merge(item, person)
            _attach_tail(item, tail)
            if not changed:
                continue
            report.updated.append(str(item.get("name")))
        if email:
            by_email[email] = item
        by_name[key] = item
    _attach_tail(entries, list_tail)
    report.total = len(entries)
    if report.added or report.updated:
        new_text = _dump(text, data)
        # Refuse to write a file curator itself could not read back.
        for n, item in enumerate(_yaml(new_text).load(new_text)["contacts"] or [], 1):
            parse_contact(item, f"{CONTACTS_FILE}, entry {n}")
        if not dry_run:
            report.backup = _write_import(workspace, before, new_text)
    return report


def _write_import(workspace: Workspace, before: bytes | None, new_text: str) -> Path | None:
    """Write the import unless contacts.yaml changed since ``before`` was read, then keep
    the file as it was (if there was one); return the backup's path."""
    import hashlib
    import json

    atomic_write(workspace.contacts_path, new_text, unchanged_since=before)
    backup = workspace.contacts_path.with_name(IMPORT_BACKUP)
    if before is not None:
        atomic_write(backup, before)
    else:
        backup.unlink(missing_ok=True)  # an older import's: undoing this one removes the file
    record = {
        "sha256": hashlib.sha256(new_text.encode("utf-8")).hexdigest(),
        "existed": before is not None,
    }
    atomic_write(workspace.state_dir / _IMPORT_RECORD, json.dumps(record))
    return backup if before is not None else None


def undo_import(workspace: Workspace) -> Path | None:
    """Put contacts.yaml back as it was before the last import; None when there is no
    import to undo. Refused if contacts.yaml changed since the import."""
    import hashlib
    import json

    backup = workspace.contacts_path.with_name(IMPORT_BACKUP)
    record_path = workspace.state_dir / _IMPORT_RECORD
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        written, existed = str(record["sha256"]), bool(record["existed"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if existed and not backup.is_file():
        return None
    current = workspace.contacts_path.read_bytes() if workspace.contacts_path.exists() else b""
    if hashlib.sha256(current).hexdigest() != written:
        raise CuratorError(
            f"{CONTACTS_FILE} changed since the last import, so it is left as it is; "
            f"the file as it was before the import is {backup}"
        )
    if existed:
        atomic_write(workspace.contacts_path, backup.read_bytes())
    else:
        workspace.contacts_path.unlink()
    backup.unlink(missing_ok=True)
    record_path.unlink()
    return workspace.contacts_path


def _merge(item: Any, person: Person) -> bool:
    """Fill what the entry lacks from an import; never overwrite what the user wrote."""
    changed = False
    if person.email and not item.get("email"):
        keys = list(item.keys())
        item.insert(keys.index("name") + 1 if "name" in keys else 0, "email", person.email)
        changed = True
    if person.interests:
        if not isinstance(item.get("interests"), list):
            item["interests"] = CommentedSeq()
        have = {
            str(i.get("topic") if isinstance(i, dict) else i).casefold() for i in item["interests"]
        }
        for topic in person.interests:
            if topic.casefold() not in have:
                item["interests"].append(_flow_safe(topic))
                have.add(topic.casefold())
                changed = True
    if person.notes and not item.get("notes"):
        item["notes"] = person.notes
        changed = True
    if kept_groups(person.groups) and not item.get("group"):
        item["group"] = _group_value(kept_groups(person.groups))
        changed = True
    return changed


def _group_value(groups: list[str]) -> Any:
    """One group as a plain value, several as a [flow, list]."""
    if len(groups) == 1:
        return _flow_safe(groups[0])
    seq = CommentedSeq(_flow_safe(g) for g in groups)
    seq.fa.set_flow_style()
    return seq


def depth_warning(total: int) -> str | None:
    """A kind word when the list outgrows what one person can keep up with."""
    if total <= DEPTH_LIMIT:
        return None
    return (
        f"contacts.yaml now lists {total} people. Curator works best for the people you "
        f"really keep up with (about {DEPTH_LIMIT} at most); consider trimming it to those "
        f"you would write to this month."
    )


def contact_lines(
    contacts: list[Contact],
    last: dict[str, Any] | None = None,
    *,
    seen: dict[str, Any] | None = None,
    snoozes: dict[str, Any] | None = None,
) -> list[str]:
    """The lines `curator contacts list` prints: name, email, interests, then group,
    cadence, last contact, when the next is due (from the last contact, else the day
    curator first saw them) and any snooze."""
    last, seen, snoozes = last or {}, seen or {}, snoozes or {}
    out = []
    for c in contacts:
        bits = [one_line(c.name)]  # hand-written contacts.yaml may hold escapes too
        if c.email:
            bits.append(f"<{one_line(c.email)}>")
        line = " ".join(bits)
        topics = ", ".join(one_line(i.topic) for i in c.interests) or "(no interests yet)"
        extra = []
        if c.groups:
            label = "group " if len(c.groups) == 1 else "groups "
            extra.append(label + one_line(", ".join(c.groups)))
        if c.cadence_days:
            extra.append(f"every {c.cadence_days}d")
        when = last.get(c.key)
        if when:
            extra.append(f"last contact {when:%Y-%m-%d}")
        since = when or seen.get(c.key)
        if c.cadence_days and since:
            extra.append(f"next due {since + timedelta(days=c.cadence_days):%Y-%m-%d}")
        if c.key in snoozes:
            until = snoozes[c.key]
            extra.append(f"snoozed until {until:%Y-%m-%d}" if until else "paused")
        out.append(f"{line}: {topics}" + (f"  [{'; '.join(extra)}]" if extra else ""))
    return out


# -- forgetting ------------------------------------------------------------------------------


@dataclass
class ForgetReport:
    """What `curator forget` removed, and anything it could not."""

    contact: Contact
    rows_deleted: int = 0
    digests_rewritten: list[str] = field(default_factory=list)
    leftovers: list[Path] = field(default_factory=list)  # files still holding their name
    in_articles: int = 0  # stored articles whose own text names them (public, not about them)
    import_backup: Path | None = None  # contacts.yaml.before-import, deleted: it named them


def _fold(text: str) -> str:
    """Text as a reader compares it: compatibility-normalised and case-folded."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


_JSON_ESCAPE = re.compile(r"\\u[0-9a-fA-F]{4}")


def _json_unescape(text: str) -> str:
    """\\u00e9 (and surrogate pairs) as the characters they stand for; the rest unchanged."""
    decoded = _JSON_ESCAPE.sub(lambda m: chr(int(m[0][2:], 16)), text)
    return decoded.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _needles(contact: Contact) -> list[str]:
    words = [contact.name, contact.key, contact.email]  # the key: spaces as one
    return list(dict.fromkeys(_fold(w) for w in words if w and len(w) >= 3))


def mentions(data: bytes, contact: Contact) -> bool:
    """Do these bytes hold the contact's full name or email, however written?

    Compared as decoded text, case-folded (so "WEISS" finds "Weiß"), in every form a
    digest writes it: raw UTF-8, HTML character references, JSON \\u escapes and
    percent-encoding (mailto: links).
    """
    needles = _needles(contact)
    text = data.decode("utf-8", "replace")
    forms = [text]
    decoded = text
    if "&" in decoded:
        decoded = html.unescape(decoded)
    if "\\u" in decoded:
        decoded = _json_unescape(decoded)
    if "%" in decoded:
        decoded = unquote(decoded, errors="replace")
    if decoded != text:
        forms.append(decoded)
    return any(n in _fold(form) for form in forms for n in needles)


def file_mentions(path: Path, contact: Contact) -> bool:
    """mentions() over a file read in overlapping blocks: a large database is never whole."""
    block, overlap = 1 << 22, 1 << 12  # the overlap outlasts any escaped name or address
    with path.open("rb") as fh:
        tail = b""
        while chunk := fh.read(block):
            if mentions(tail + chunk, contact):
                return True
            tail = chunk[-overlap:]
    return False


def forget(workspace: Workspace, contact: Contact) -> ForgetReport:
    """Remove a person from contacts.yaml, the database and every generated digest."""
    from curator.store import Store, backup_workspace

    report = ForgetReport(contact)
    backup_workspace(workspace)  # for a forget cut short; rewritten below like the rest
    remove_contact(workspace, contact)
    backup = workspace.contacts_path.with_name(IMPORT_BACKUP)
    if backup.is_file() and not backup.is_symlink() and file_mentions(backup, contact):
        backup.unlink()  # undoing the import would bring them back
        (workspace.state_dir / _IMPORT_RECORD).unlink(missing_ok=True)
        report.import_backup = backup
    from curator import coverage

    coverage.keep_only(workspace.state_dir / coverage.CACHE_FILE, _contacts_after(workspace))
    if workspace.db_path.exists():
        with Store(workspace.db_path) as store:
            _scrub_notes(store, contact)
            report.rows_deleted = store.forget_contact(contact.key)
            # A public figure's name can be in the news itself; say so rather than alarm.
            report.in_articles = sum(
                1
                for row in store.db.execute("SELECT title, text, author FROM articles")
                if mentions("\n".join(row).encode("utf-8"), contact)
            )
    forget_in_backups(workspace, contact)
    report.digests_rewritten = rerender_without(workspace, contact)
    for folder in (workspace.state_dir, workspace.output_dir):
        if folder.is_dir() and not folder.is_symlink():
            report.leftovers += [
                p
                for p in sorted(folder.rglob("*"))
                if p.is_file() and not p.is_symlink() and file_mentions(p, contact)
            ]
    return report


def forget_in_backups(workspace: Workspace, contact: Contact) -> None:
    """Forget the person in every backup of the database too; a backup that cannot be
    opened is deleted, as it can neither be restored nor cleaned of them."""
    from curator.store import Store, list_backups

    for path in list_backups(workspace.backups_dir):
        try:
            with Store(path, backup_before_migrating=False) as copy:
                _scrub_notes(copy, contact)
                copy.forget_contact(contact.key)
        except CuratorError:
            path.unlink()


def _scrub_notes(store: Any, contact: Contact) -> None:
    """Other people's history notes may name them ("sent to Zoe too"): blank those words."""
    # the case-folded name too: "WEISS" is how "Weiß" is often typed
    needles = [w for w in (contact.name, contact.email, contact.name.casefold()) if w]
    with store.transaction() as db:
        for row in list(
            db.execute("SELECT id, note, title FROM history WHERE contact <> ?", (contact.key,))
        ):
            note = row["note"]
            for word in needles:
                note = re.sub(re.escape(word), "(forgotten)", note, flags=re.IGNORECASE)
            if note != row["note"]:
                db.execute("UPDATE history SET note = ? WHERE id = ?", (note, row["id"]))


def rerender_without(workspace: Workspace, contact: Contact) -> list[str]:
    """Rewrite each digest under output/ that mentions the contact, without them.

    A digest is rebuilt from its own digest.json (people, order, reasons, drafts, as they
    were that week) so the other people's sections stay exactly as they were, and rendered
    again through the templates in every format.
    """
    from datetime import UTC, datetime, timedelta

    from curator import render
    from curator.models import Article, FeedFailure, Reason, Suggestion
    from curator.pipeline import Digest, Person
    from curator.store import Store

    if not workspace.output_dir.is_dir():
        return []
    remaining = {c.name: c for c in _contacts_after(workspace)}
    rewritten = []
    for data_file in sorted(workspace.output_dir.glob("*/digest.json")):
        folder = data_file.parent
        if folder.is_symlink() or folder.name.startswith("."):
            continue  # not a folder curator made, or a week's being written
        if not any(file_mentions(p, contact) for p in folder.iterdir() if p.is_file()):
            continue
        import json

        data = json.loads(data_file.read_text(encoding="utf-8"))
        generated = datetime.fromisoformat(data["generated_at"])
        people = []
        store = Store(workspace.db_path) if workspace.db_path.exists() else None
        try:
            for p in data.get("people", []):
                if p["name"] == contact.name or mentions(p["name"].encode(), contact):
                    continue
                person_contact = remaining.get(p["name"]) or Contact(name=p["name"], interests=())
                suggestions = []
                for n, s in enumerate(p.get("suggestions", [])):
                    article = store.article_by_url(s["url"]) if store else None
                    if article is None:
                        article = Article(
                            id=-1 - n,
                            url=s["url"],
                            title=s["title"],
                            text="",
                            feed=s.get("feed", ""),
                            published=datetime.fromisoformat(s["published"])
                            if s.get("published")
                            else None,
                            summary_only=s.get("summary_only") is True,
                        )
                    reasons = tuple(
                        Reason(
                            interest=r["interest"],
                            matched=tuple(
                                (m["interest_word"], m["article_word"], m["similarity"])
                                for m in r.get("matched", [])
                            ),
                            where=r["where"],
                            count=r["count"],
                            snippet=r["snippet"],
                            marks=tuple(tuple(m) for m in r.get("marks", [])),
                            score=r.get("score", 0.0),
                        )
                        for r in s.get("reasons", [])
                    )
                    suggestions.append(
                        Suggestion(person_contact, article, s["score"], reasons, s.get("draft", ""))
                    )
                days = p.get("days_since_last_contact")
                last = generated - timedelta(days=days) if days is not None else None
                sent, limit = p.get("sent_last_30_days") or 0, p.get("max_per_month")
                at_limit = isinstance(limit, int) and not suggestions and sent >= limit
                if at_limit:
                    person_contact = replace(person_contact, max_per_month=limit)
                people.append(
                    Person(
                        person_contact,
                        suggestions,
                        last,
                        bool(p.get("overdue")),
                        as_of=generated,
                        sent_recently=sent,
                        at_limit=at_limit,
                    )
                )
        finally:
            if store:
                store.close()
        digest = Digest(
            week=folder.name,  # never digest.json's own word: it may point elsewhere
            generated_at=generated,
            people=people,
            failures=[
                FeedFailure(f["url"], f["error"], f.get("kind", "feed"), f.get("feed", ""))
                for f in data.get("failures", [])
            ],
            articles_considered=data.get("articles_considered", 0),
            feeds=data.get("feeds", 0),
            snoozed=[
                (
                    remaining.get(z["name"]) or Contact(name=z["name"], interests=()),
                    datetime.fromisoformat(z["until"]).replace(tzinfo=UTC) if z["until"] else None,
                )
                for z in data.get("snoozed", [])
                if z["name"] != contact.name and not mentions(z["name"].encode(), contact)
            ],
        )
        render.write_digest(workspace, digest)
        rewritten.append(folder.name)
    return rewritten


def _contacts_after(workspace: Workspace) -> list[Contact]:
    from curator.config import load_contacts

    try:
        return load_contacts(workspace)
    except CuratorError:
        return []
