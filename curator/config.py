"""The workspace: where feeds.yaml, contacts.yaml, settings and state live.

Values settle as flag, then ``CURATOR_*`` environment variable, then ``curator.yaml``,
then the defaults below.
"""

from __future__ import annotations

import logging
import math
import os
import re
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import YAMLError

from curator.errors import ConfigError
from curator.models import Contact, Feed, Interest

FEEDS_FILE = "feeds.yaml"
CONTACTS_FILE = "contacts.yaml"
SETTINGS_FILE = "curator.yaml"
STATE_DIR = ".curator"
OUTPUT_DIR = "output"

log = logging.getLogger("curator")

_DURATION = re.compile(r"^\s*(\d+)\s*([hdw]?)\s*$", re.IGNORECASE)


def parse_duration(text: str | int) -> timedelta:
    """Parse '7d', '2w', '36h' or a bare number of days."""
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"{text!r} is not a duration; use e.g. 7d, 2w or 36h")
    n, unit = int(match[1]), (match[2] or "d").lower()
    try:
        return {"h": timedelta(hours=n), "d": timedelta(days=n), "w": timedelta(weeks=n)}[unit]
    except OverflowError:
        raise ValueError(f"{text!r} is too long a duration") from None


@dataclass(frozen=True)
class Settings:
    """Tunable behaviour; every field can be set in curator.yaml or CURATOR_<NAME>."""

    since: str = "7d"  # window of articles a digest considers
    per_contact: int = 3  # suggestions per person per digest
    min_score: float = 0.8  # the lead interest alone must score this (0.6 of it by words only)
    # The bar follows the cadence: an overdue person's minimum is scaled by overdue_bar (an
    # excuse to write), and one you were in touch with in the last recent_days by recent_bar.
    overdue_bar: float = 0.7
    recent_bar: float = 1.5
    recent_days: int = 7
    default_cadence: str = ""  # e.g. "30d"; empty means no reminders by default
    max_per_month: int = 0  # suggestions stop for a person sent this many in 30 days; 0: no cap
    coverage_weeks: int = 4  # the digest lists interests nothing matched in this many weeks
    max_entries_per_feed: int = 200
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    deadline: float = 30.0  # total seconds for one request, however slowly it drips
    max_feed_bytes: int = 10_000_000
    max_page_bytes: int = 5_000_000
    max_redirects: int = 5
    concurrency: int = 8  # simultaneous requests in all
    per_host: int = 2  # simultaneous requests to one host
    host_strikes: int = 3  # requests to a site that run out of time before it is skipped
    extract_workers: int = 0  # 0 means one per CPU core
    extract_timeout: float = 20.0
    feed_budget: float = 60.0  # CPU seconds one feed's parsing and extraction may use a run
    backoff_after: int = 3  # failures in a row before a feed is tried less often
    backups: int = 5  # copies of the database kept under .curator/backups (0: none)
    user_agent: str = ""
    # Hosts on your own network that feeds' links may reach (e.g. a self-hosted reader):
    # names or addresses; a cloud metadata address is refused even when listed.
    allow_private_hosts: tuple[str, ...] = ()
    meaning: bool = True  # closeness in meaning as evidence, besides words
    meaning_model: str = ""  # a folder with model.onnx and tokenizer.json; empty: the bundled

    @property
    def window(self) -> timedelta:
        return parse_duration(self.since)


@dataclass
class Workspace:
    """A folder holding a user's feeds, contacts, state and output."""

    root: Path
    settings: Settings = field(default_factory=Settings)

    @property
    def feeds_path(self) -> Path:
        return self.root / FEEDS_FILE

    @property
    def contacts_path(self) -> Path:
        return self.root / CONTACTS_FILE

    @property
    def state_dir(self) -> Path:
        return self.root / STATE_DIR

    @property
    def db_path(self) -> Path:
        return self.state_dir / "curator.db"

    @property
    def backups_dir(self) -> Path:
        return self.state_dir / "backups"

    @property
    def lock_path(self) -> Path:
        return self.state_dir / "run.lock"

    @property
    def output_dir(self) -> Path:
        return self.root / OUTPUT_DIR

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"


def find_workspace(path: str | os.PathLike | None = None) -> Path:
    """The workspace folder: the flag, else $CURATOR_WORKSPACE, else the current directory."""
    chosen = path or os.environ.get("CURATOR_WORKSPACE") or os.getcwd()
    root = Path(chosen).expanduser()
    if not root.is_dir():
        raise ConfigError(f"workspace {root} is not a folder; create one with: curator init {root}")
    return root.resolve()


def open_workspace(path: str | os.PathLike | None = None, **overrides: Any) -> Workspace:
    """Resolve the workspace and settle its settings (flags given as overrides win)."""
    root = find_workspace(path)
    return Workspace(
        root, load_settings(root, {k: v for k, v in overrides.items() if v is not None})
    )


def _init_hint(folder: Path) -> str:
    """The `curator init` command that would create the missing file in ``folder``."""
    try:
        here = folder.resolve() == Path.cwd().resolve()
    except OSError:
        here = False
    return "curator init" if here else f"curator init {folder}"


class _BadValue(ConstructorError):
    """A value YAML reads but the calendar refuses (2026-02-30), with its line."""


class _Constructor(RoundTripConstructor):
    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError as exc:
            problem = f"{node.value!r} is not a date ({exc})"
            raise _BadValue(None, None, problem, node.start_mark) from None


_Constructor.add_constructor("tag:yaml.org,2002:timestamp", _Constructor.construct_yaml_timestamp)


def _yaml_load(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path.name} not found in {path.parent}; create one with: {_init_hint(path.parent)}"
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path.name} is not UTF-8 text ({exc.reason})") from None
    except OSError as exc:  # a folder named feeds.yaml, no permission, ...
        raise ConfigError(f"{path.name} cannot be read ({exc.strerror or exc})") from None
    try:
        yaml = YAML(typ="rt")
        yaml.Constructor = _Constructor
        return yaml.load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if isinstance(exc, _BadValue):
            raise ConfigError(f"{path.name}{where}: {problem}") from None
        raise ConfigError(f"{path.name}{where}: not valid YAML ({problem})") from None
    except (ValueError, TypeError, OverflowError, RecursionError) as exc:
        # ruamel's constructors raise these for values such as a mapping used as a key
        # ("? - a:") or absurd nesting: the user's typo, not our bug.
        raise ConfigError(f"{path.name}: not valid YAML ({exc})") from None


def _line(node: Any, key: Any = None) -> str:
    """' (line N)' for a ruamel node or one of its keys, when known."""
    try:
        if key is not None and hasattr(node, "lc"):
            return f" (line {node.lc.key(key)[0] + 1})"
        if hasattr(node, "lc"):
            return f" (line {node.lc.line + 1})"
    except (KeyError, TypeError, AttributeError):
        pass
    return ""


def _coerce(value: Any, kind: type, where: str) -> Any:
    if kind is bool and isinstance(value, bool):
        return value
    if kind is bool and isinstance(value, str) and value.strip().lower() in _BOOLEANS:
        return _BOOLEANS[value.strip().lower()]
    if kind is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if kind is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind is str and isinstance(value, str | int):
        return str(value)
    if kind is tuple and isinstance(value, str):  # an environment variable: comma-separated
        return tuple(v.strip() for v in value.split(",") if v.strip())
    if kind is tuple and isinstance(value, list) and all(isinstance(v, str | int) for v in value):
        return tuple(str(v).strip() for v in value if str(v).strip())
    if kind is tuple and value is None:
        return ()
    if isinstance(value, str) and kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    expected = "a list of host names or addresses" if kind is tuple else kind.__name__
    raise ConfigError(f"{where}: expected {expected}, got {value!r}")


_BOOLEANS = {"true": True, "yes": True, "on": True, "1": True}
_BOOLEANS |= {"false": False, "no": False, "off": False, "0": False}


def load_settings(root: Path, overrides: dict[str, Any] | None = None) -> Settings:
    """Settings from defaults, curator.yaml, CURATOR_* variables and flags, in that order."""
    values: dict[str, Any] = {}
    source: dict[str, str] = {}  # where each value came from, for the error message
    types = {f.name: type(f.default) for f in fields(Settings)}
    path = root / SETTINGS_FILE
    if path.exists():
        data = _yaml_load(path) or {}
        if not isinstance(data, dict):
            raise ConfigError(f"{SETTINGS_FILE}: expected a mapping of setting: value")
        for key, value in data.items():
            if key not in types:
                known = ", ".join(sorted(types))
                raise ConfigError(
                    f"{SETTINGS_FILE}{_line(data, key)}: unknown setting "
                    f"{key!r}; known settings: {known}"
                )
            source[key] = f"{SETTINGS_FILE}{_line(data, key)}, setting {key!r}"
            values[key] = _coerce(value, types[key], source[key])
    for name, kind in types.items():
        env = os.environ.get(f"CURATOR_{name.upper()}")
        if env is not None and env != "":
            source[name] = f"environment variable CURATOR_{name.upper()}"
            values[name] = _coerce(env, kind, source[name])
    for name, value in (overrides or {}).items():
        source[name] = f"option --{name.replace('_', '-')}"
        values[name] = _coerce(value, types[name], source[name])
    for name, value in values.items():
        where = source.get(name, f"setting {name!r}")
        if name in _DURATION_SETTINGS and (value or name == "since"):  # cadence may be off
            try:
                parse_duration(value)
            except ValueError as exc:
                raise ConfigError(f"{where}: {exc}") from None
        elif isinstance(value, int | float) and not math.isfinite(value):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        elif isinstance(value, int | float) and value < _MINIMUM.get(name, 0):
            raise ConfigError(f"{where}: must be at least {_MINIMUM.get(name, 0)}, got {value!r}")
    if "allow_private_hosts" in values:
        values["allow_private_hosts"] = _private_hosts(
            values["allow_private_hosts"], source["allow_private_hosts"]
        )
    return replace(Settings(), **values)


def _private_hosts(hosts: tuple[str, ...], where: str) -> tuple[str, ...]:
    """The hosts a user allows, less any cloud metadata address (said, not silently)."""
    from curator.fetch import host_key, is_metadata

    kept = []
    for host in hosts:
        if is_metadata(host):
            log.error("%s: %s is a cloud metadata address; curator never fetches it", where, host)
        elif not host_key(host) or "/" in host:
            raise ConfigError(f"{where}: {host!r} is not a host name or address")
        else:
            kept.append(host)
    return tuple(kept)


_DURATION_SETTINGS = ("since", "default_cadence")
# Numeric settings may not be negative; these must be at least 1 to mean anything.
_MINIMUM = {
    "per_contact": 1,
    "concurrency": 1,
    "per_host": 1,
    "host_strikes": 1,
    "max_entries_per_feed": 1,
}


def _string_list(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise ConfigError(f"{where}: expected a list of words or phrases")
    return tuple(str(v).strip() for v in value if str(v).strip())


def _known_fields(item: dict, known: set[str], where: str) -> None:
    """Refuse a field curator does not know: a typo would otherwise be ignored silently."""
    unknown = set(map(str, item)) - known
    if unknown:
        raise ConfigError(
            f"{where}: unknown field {sorted(unknown)[0]!r}; "
            f"known fields: {', '.join(sorted(known))}"
        )


def load_feeds(workspace: Workspace) -> list[Feed]:
    """Read feeds.yaml; raise ConfigError naming the entry and field on any mistake."""
    path = workspace.feeds_path
    data = _yaml_load(path)
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get("feeds", []), list | type(None)):
        raise ConfigError(f"{FEEDS_FILE}: expected 'feeds:' followed by a list of feeds")
    _top_level(data, "feeds", FEEDS_FILE)
    feeds: list[Feed] = []
    seen: dict[str, int] = {}
    for n, item in enumerate(data.get("feeds") or [], start=1):
        where = f"{FEEDS_FILE}, feed {n}{_line(item) if hasattr(item, 'lc') else ''}"
        if isinstance(item, str):
            item = {"url": item}
        if not isinstance(item, dict):
            raise ConfigError(f"{where}: expected a mapping with at least 'url'")
        _known_fields(item, FEED_FIELDS, where)
        url = item.get("url")
        if url is not None and not isinstance(url, str):
            raise ConfigError(f"{where}, field 'url': expected text, got {url!r}")
        if not isinstance(url, str) or not url.strip():
            raise ConfigError(f"{where}: 'url' is missing")
        name = item.get("name") or ""
        if not isinstance(name, str):
            raise ConfigError(f"{where}, field 'name': expected text")
        full_text = item.get("full_text", False)
        if not isinstance(full_text, bool):
            raise ConfigError(f"{where}, field 'full_text': expected true or false")
        feed = Feed(
            url=resolve_feed_url(url.strip(), workspace.root, where),
            name=name,
            tags=_string_list(item.get("tags"), f"{where}, field 'tags'"),
            full_text=full_text,
        )
        if feed.url in seen:
            raise ConfigError(
                f"{where}: the same url as feed {seen[feed.url]}; remove one of the two"
            )
        seen[feed.url] = n
        feeds.append(feed)
    return feeds


FEED_FIELDS = {"url", "name", "tags", "full_text"}


def _top_level(data: dict, key: str, filename: str, *also: str) -> None:
    """Reject keys beside the one list a file holds: 'contact:' would otherwise mean nobody."""
    for other in data:
        if other != key and other not in also:
            raise ConfigError(
                f"{filename}{_line(data, other)}: unknown key {str(other)!r}; "
                f"the file holds one list, '{key}:'"
            )


def resolve_feed_url(url: str, root: Path, where: str = FEEDS_FILE) -> str:
    """http(s) and file URLs as they are; a plain path becomes file:// under the workspace."""
    lowered = url.lower()
    if lowered.startswith(("http://", "https://", "file://")):
        return url
    if re.match(r"^[a-z][a-z0-9+.-]*:", lowered) and not re.match(r"^[a-z]:[\\/]", lowered):
        raise ConfigError(f"{where}: url {url!r} must be http(s), file:// or a path")
    return (root / url).resolve().as_uri()


def _interest(value: Any, where: str) -> Interest:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        topic = str(value).strip()
        if not topic:
            raise ConfigError(f"{where}: an empty interest")
        return Interest(topic)
    if isinstance(value, dict):
        topic = value.get("topic")
        if not isinstance(topic, str) or not topic.strip():
            raise ConfigError(f"{where}: 'topic' is missing")
        weight = value.get("weight", 1.0)
        if (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or not math.isfinite(weight)
            or weight <= 0
        ):
            raise ConfigError(f"{where}, field 'weight': expected a positive number")
        unknown = set(value) - {"topic", "also", "weight"}
        if unknown:
            raise ConfigError(
                f"{where}: unknown field {sorted(unknown)[0]!r} (use topic, also, weight)"
            )
        return Interest(
            topic.strip(), _string_list(value.get("also"), f"{where}, field 'also'"), float(weight)
        )
    raise ConfigError(f"{where}: expected a phrase or {{topic: ..., also: [...], weight: N}}")


def _date(value: Any, where: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str):
        try:
            return _date(date.fromisoformat(value.strip()), where)
        except ValueError:
            pass
    got = f", got {str(value)[:40]!r}" if isinstance(value, str | int | float) else ""
    raise ConfigError(f"{where}: expected a date like 2026-11-02{got}")


CONTACT_FIELDS = {
    "name",
    "email",
    "interests",
    "avoid",
    "notes",
    "said",
    "cadence",
    "last_contact",
    "group",
    "max_per_month",
}
GROUP_FIELDS = {"cadence", "max_per_month"}

# One address: a local part and a domain without spaces, separators (",;"), brackets,
# quotes, URL delimiters or control characters, so a mailto: link names one recipient.
_NOT_IN_ADDRESS = r"\s@,;:<>()\[\]\"\\%?&=/\x00-\x1f\x7f"
_EMAIL = re.compile(rf"[^{_NOT_IN_ADDRESS}]+@[^{_NOT_IN_ADDRESS}.][^{_NOT_IN_ADDRESS}]*")


def plain_email(value: str) -> bool:
    """Is ``value`` exactly one plain email address (name@example.org)?"""
    return len(value) <= 254 and _EMAIL.fullmatch(value) is not None


def parse_contact(item: Any, where: str) -> Contact:
    """One contacts.yaml entry as a Contact, or a ConfigError naming entry and field."""
    if not isinstance(item, dict):
        raise ConfigError(f"{where}: expected a mapping with name and interests")
    name = item.get("name")
    if name is not None and not isinstance(name, str):
        raise ConfigError(f"{where}, field 'name': expected text, got {name!r}")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: 'name' is missing")
    where = f"{where} ({name.strip()})"
    _known_fields(item, CONTACT_FIELDS, where)
    interests = item.get("interests")
    if interests is None:
        raise ConfigError(f"{where}: 'interests' is missing")
    if not isinstance(interests, list):
        raise ConfigError(f"{where}, field 'interests': expected a list of phrases")
    avoid = item.get("avoid") or []
    if not isinstance(avoid, list):
        raise ConfigError(f"{where}, field 'avoid': expected a list of phrases")
    email = item.get("email") or ""
    if not isinstance(email, str):
        raise ConfigError(f"{where}, field 'email': expected text")
    if email.strip() and not plain_email(email.strip()):
        raise ConfigError(
            f"{where}, field 'email': {email.strip()!r} is not one plain email address "
            f"(like name@example.org)"
        )
    notes = item.get("notes") or ""
    if not isinstance(notes, str):
        raise ConfigError(f"{where}, field 'notes': expected text")
    group = item.get("group") or []  # an address-book group: "Friends", or [Friends, Work]
    groups = [group] if isinstance(group, str) else group
    if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
        raise ConfigError(f"{where}, field 'group': expected text or a list of text")
    cadence_days = _cadence(item.get("cadence"), f"{where}, field 'cadence'")
    last = item.get("last_contact")
    return Contact(
        name=" ".join(name.split()),
        email=email.strip(),
        interests=tuple(
            _interest(v, f"{where}, field 'interests' item {i}") for i, v in enumerate(interests, 1)
        ),
        avoid=tuple(
            _interest(v, f"{where}, field 'avoid' item {i}") for i, v in enumerate(avoid, 1)
        ),
        notes=notes.strip(),
        said=_string_list(item.get("said"), f"{where}, field 'said'"),
        cadence_days=cadence_days,
        last_contact=(
            _date(last, f"{where}, field 'last_contact'{_line(item, 'last_contact')}")
            if last
            else None
        ),
        groups=tuple(g.strip() for g in groups if g.strip()),
        max_per_month=_per_month(item.get("max_per_month"), f"{where}, field 'max_per_month'"),
    )


def _cadence(value: Any, where: str) -> int | None:
    """A cadence like 30d or 2w in days; None when it is not set."""
    if value in (None, ""):
        return None
    try:
        days = parse_duration(value).days
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if days < 1:
        raise ConfigError(f"{where}: {value!r} is less than a day")
    return days


def _per_month(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where}: expected a whole number of articles, at least 1")
    return value


@dataclass(frozen=True)
class Group:
    """A group defined under `groups:` in contacts.yaml, with what its members share."""

    name: str
    cadence_days: int | None = None
    max_per_month: int | None = None


def parse_groups(document: dict) -> dict[str, Group]:
    """The `groups:` mapping of contacts.yaml, by case-folded name."""
    data = document.get("groups")
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            f"{CONTACTS_FILE}{_line(document, 'groups')}: 'groups:' expected a mapping like "
            f"family: {{cadence: 14d}}"
        )
    groups: dict[str, Group] = {}
    for name, value in data.items():
        where = f"{CONTACTS_FILE}{_line(data, name)}, group {str(name)!r}"
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{where}: a group's name must be text")
        value = value or {}
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: expected a mapping like {{cadence: 14d}}")
        _known_fields(value, GROUP_FIELDS, where)
        groups[" ".join(name.casefold().split())] = Group(
            " ".join(name.split()),
            _cadence(value.get("cadence"), f"{where}, field 'cadence'"),
            _per_month(value.get("max_per_month"), f"{where}, field 'max_per_month'"),
        )
    return groups


def with_groups(contact: Contact, groups: dict[str, Group], settings: Settings) -> Contact:
    """A contact with the cadence and limit it takes from its groups and the settings: its
    own value first, then the closest of its defined groups (the shortest cadence, the
    smallest limit), then curator.yaml. A group not defined under `groups:` (such as an
    address book's) gives nothing."""
    keys = (" ".join(g.casefold().split()) for g in contact.groups)
    mine = [groups[k] for k in keys if k in groups]
    cadences = [g.cadence_days for g in mine if g.cadence_days]
    limits = [g.max_per_month for g in mine if g.max_per_month]
    cadence = contact.cadence_days or (min(cadences) if cadences else None)
    if not cadence and settings.default_cadence:
        cadence = max(1, parse_duration(settings.default_cadence).days)
    limit = contact.max_per_month or (min(limits) if limits else None)
    limit = limit or settings.max_per_month or None
    return replace(contact, cadence_days=cadence, max_per_month=limit)


def load_contacts(workspace: Workspace) -> list[Contact]:
    """Read contacts.yaml; raise ConfigError naming the entry and field on any mistake."""
    data = _yaml_load(workspace.contacts_path)
    if data is None:  # an empty file, like 'contacts:' with nothing under it: nobody yet
        return []
    if not isinstance(data, dict) or not isinstance(data.get("contacts", []), list | type(None)):
        raise ConfigError(f"{CONTACTS_FILE}: expected 'contacts:' followed by a list of people")
    _top_level(data, "contacts", CONTACTS_FILE, "groups")
    groups = parse_groups(data)
    contacts: list[Contact] = []
    seen: dict[str, int] = {}
    for n, item in enumerate(data.get("contacts") or [], start=1):
        where = f"{CONTACTS_FILE}, entry {n}{_line(item)}"
        contact = parse_contact(item, where)
        if contact.key in seen:
            # Names are the key in the database and on the command line, so they must differ.
            raise ConfigError(
                f"{where}: {contact.name!r} has the same name as entry {seen[contact.key]}; "
                f"merge the two entries or tell them apart (e.g. add a surname)"
            )
        seen[contact.key] = n
        contacts.append(contact)
    return [with_groups(c, groups, workspace.settings) for c in contacts]
