"""feeds.yaml editing and OPML, the format every feed reader imports and exports.

Import reads OPML 1.0 and 2.0 with nested folders (a folder's title becomes a tag) and
refuses DOCTYPEs (entity expansion has no place in a subscription list). Export writes
OPML 2.0 that imports back to the same feeds. Edits to feeds.yaml go through ruamel.yaml's
round-trip mode, so the user's comments and layout stay.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from curator.config import FEEDS_FILE, Workspace, _yaml_load, load_feeds, resolve_feed_url
from curator.contacts_io import _attach_tail, _detach_tail, _yaml
from curator.errors import ConfigError, CuratorError, UsageError
from curator.files import atomic_write, snapshot
from curator.models import Feed
from curator.store import now
from curator.urls import canonical_url


@dataclass
class AddReport:
    """Feeds added to feeds.yaml, and those already there."""

    added: list[Feed] = field(default_factory=list)
    present: list[Feed] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # outlines whose URL cannot be used
    refused: list[str] = field(default_factory=list)  # "URL: why", for the user to read


def parse_opml(data: bytes, source: str = "OPML") -> list[Feed]:
    """The feeds of an OPML 1.0/2.0 document, folders flattened into tags."""
    head = data[:4096].lower()
    if b"<!doctype" in head or b"<!entity" in data.lower():
        raise UsageError(f"{source}: OPML with a DOCTYPE or entities is not accepted")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise UsageError(f"{source}: not valid XML ({exc})") from None
    if root.tag.lower() != "opml":
        raise UsageError(f"{source}: not an OPML file (the root element is <{root.tag}>)")
    body = next((c for c in root if c.tag.lower() == "body"), None)
    if body is None:
        raise UsageError(f"{source}: OPML without a <body>")
    feeds: list[Feed] = []

    def walk(node: ET.Element, folders: tuple[str, ...]) -> None:
        for outline in node:
            if outline.tag.lower() != "outline":
                continue
            attrs = {k.lower(): (v or "").strip() for k, v in outline.attrib.items()}
            title = attrs.get("title") or attrs.get("text") or ""
            url = attrs.get("xmlurl", "")
            if url:
                tags = list(folders)
                for category in attrs.get("category", "").split(","):
                    tag = category.strip().strip("/").split("/")[-1].strip()
                    if tag and tag not in tags:
                        tags.append(tag)
                feeds.append(Feed(url=url, name=title, tags=tuple(tags)))
            walk(outline, (*folders, title) if not url and title else folders)

    walk(body, ())
    return feeds


def export_opml(feeds: list[Feed], title: str = "curator feeds") -> str:
    """OPML 2.0 text listing the feeds (tags in the category attribute)."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(now(), usegmt=True)
    ET.SubElement(head, "docs").text = "http://opml.org/spec2.opml"
    body = ET.SubElement(root, "body")
    for feed in feeds:
        attrs = {"type": "rss", "text": feed.label, "xmlUrl": feed.url}
        if feed.name:
            attrs["title"] = feed.name
        if feed.tags:
            attrs["category"] = ",".join(f"/{t}" for t in feed.tags)
        ET.SubElement(body, "outline", attrs)
    ET.indent(root, space="  ")
    out = io.BytesIO()
    ET.ElementTree(root).write(out, encoding="utf-8", xml_declaration=True)
    return out.getvalue().decode("utf-8") + "\n"


# What a feed file is called; anything else in the workspace (the database, contacts,
# settings, digests) is not a feed and must never become one.
FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf")
_LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
_LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")


def refusal(url: str, workspace: Workspace) -> str | None:
    """Why a feed address may not be added, or None: a cloud metadata address, a
    private or loopback one (by address in any spelling, or a local name) not listed in
    allow_private_hosts, or a file of the workspace's own that is not a feed.

    The same rule for `feeds add` and `feeds import`; an OPML file from elsewhere must not
    turn curator into a way to read the user's network or files every week.
    """
    from urllib.parse import unquote, urlsplit

    from curator.fetch import host_key, is_metadata, is_private, literal_ip

    parts = urlsplit(url)
    if parts.scheme.lower() == "file":
        path = Path(unquote(parts.path)).resolve()
        root = workspace.root.resolve()
        if not path.is_relative_to(root):
            return None
        relative = path.relative_to(root)
        inside = relative.parts[:1] in ((".curator",), ("output",), ("templates",))
        hidden = any(part.startswith(".") for part in relative.parts)
        if inside or hidden or path.suffix.lower() not in FEED_SUFFIXES:
            return f"{relative} is a file of this workspace, not a feed"
        return None
    host = parts.hostname or ""
    if is_metadata(host):
        return f"{host} is a cloud metadata address; curator never fetches it"
    key = host_key(host)
    ip = literal_ip(host)
    local = is_private(str(ip)) if ip else key in _LOCAL_NAMES or key.endswith(_LOCAL_SUFFIXES)
    allowed = {host_key(h) for h in workspace.settings.allow_private_hosts}
    if local and key not in allowed:
        return (
            f"{host} is on your own machine or network; to use it, add {key} to "
            f"allow_private_hosts in curator.yaml"
        )
    return None


def _load(workspace: Workspace) -> tuple[str, Any]:
    path = workspace.feeds_path
    if not path.exists():
        text = "feeds:\n"
        return text, _yaml(text).load(text)
    data = _yaml_load(path)
    text = path.read_text(encoding="utf-8")
    if data is None:
        text = text.rstrip("\n") + ("\n" if text.strip() else "") + "feeds:\n"
        data = _yaml(text).load(text)
    if not isinstance(data, CommentedMap):
        raise ConfigError(f"{FEEDS_FILE}: expected 'feeds:' followed by a list of feeds")
    return text, data


def add_feeds(workspace: Workspace, feeds: list[Feed], web_only: bool = False) -> AddReport:
    """Append feeds to feeds.yaml, skipping those already listed (same canonical URL).

    ``web_only`` accepts http(s) URLs only: an OPML file from elsewhere must not point
    curator at files on this machine. An address ``refusal`` names is skipped and listed
    in the report's ``refused`` (web_only) or raised as a ConfigError.
    """
    report = AddReport()
    before = snapshot(workspace.feeds_path)
    existing = load_feeds(workspace) if workspace.feeds_path.exists() else []
    known = {canonical_url(f.url) for f in existing}
    text, data = _load(workspace)
    if data.get("feeds") is None:
        data["feeds"] = CommentedSeq()
    entries = data["feeds"]
    tail = _detach_tail(entries)  # comments after the last feed stay at the end
    for feed in feeds:
        url = feed.url.strip()
        try:
            resolved = resolve_feed_url(url, workspace.root)
        except ConfigError:
            report.skipped.append(url)
            continue
        web = url.lower().startswith(("http://", "https://")) or _inside(resolved, workspace)
        if (web_only and not web) or not resolved.lower().startswith(
            ("http://", "https://", "file://")
        ):
            report.skipped.append(url)
            continue
        why = refusal(resolved, workspace)
        if why and web_only:
            report.refused.append(f"{url}: {why}")
            continue
        if why:
            raise ConfigError(f"refused {url}: {why}")
        if canonical_url(resolved) in known:
            report.present.append(feed)
            continue
        known.add(canonical_url(resolved))
        item = CommentedMap()
        item["url"] = url
        if feed.name:
            item["name"] = feed.name
        if feed.tags:
            tags = CommentedSeq(feed.tags)
            tags.fa.set_flow_style()
            item["tags"] = tags
        entries.append(item)
        report.added.append(feed)
    _attach_tail(entries, tail)
    if report.added:
        out = io.StringIO()
        _yaml(text).dump(data, out)
        atomic_write(workspace.feeds_path, out.getvalue(), unchanged_since=before)
        load_feeds(workspace)  # the file must still be one curator reads
    return report


# A web address typed without its scheme: a host name with a dot (or localhost), maybe a
# port, then a path or nothing ("www.example.org/rss", "example.org:8080/feed").


def _web_host(host_and_port: str) -> bool:
    """Whether text before the first / ? # reads as a host name with an optional port.

    Checked label by label rather than with a pattern: what a user types is untrusted
    text, and a repeated group of labels is the shape that backtracks.
    """
    host, _, port = host_and_port.partition(":")
    if port and not (port.isascii() and port.isdigit() and len(port) <= 5):
        return False
    if host.lower() == "localhost":
        return True
    *labels, tld = host.split(".")
    return (
        bool(labels)
        and 2 <= len(tld) <= 63
        and tld.isascii()
        and tld.isalpha()
        and all(
            0 < len(label) <= 63
            and label.isascii()
            and label.replace("-", "").isalnum()
            and not label.startswith("-")
            and not label.endswith("-")
            for label in labels
        )
    )


# Names that end like a feed file, not like a web address ("feed.xml", "news.rss").
_FILE_ENDINGS = ("xml", "rss", "atom", "rdf", "json", "opml", "txt", "html", "htm", "yaml", "yml")


def feed_address(url: str, workspace: Workspace) -> tuple[str, str]:
    """The address ``curator feeds add`` stores for what was typed, and a note saying how
    it was read ("" when as typed).

    An http(s) URL is kept. A web address without its scheme gets https://, so it is not
    taken for a file that does not exist. A path (relative to the workspace) or file://
    URL must name an existing file. Anything else raises UsageError.
    """
    url = url.strip()
    lowered = url.lower()
    if lowered.startswith(("http://", "https://")):
        return url, ""
    try:
        resolved = resolve_feed_url(url, workspace.root)
    except ConfigError:
        resolved = ""
    path = Path(unquote(urlsplit(resolved).path)) if resolved.startswith("file://") else None
    if path is not None and path.is_file():
        return url, ""
    host = url.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if (
        not lowered.startswith("file:")
        and _web_host(host)
        and ("/" in url or host.rsplit(".", 1)[-1].lower() not in _FILE_ENDINGS)
    ):
        web = f"https://{url}"
        return web, f"{url} has no scheme; taken as {web} (write http:// if the site has no https)"
    if path is None:
        raise UsageError(
            f"{url!r} is not a feed address; give an http(s) URL or the path of a feed file"
        )
    raise UsageError(
        f"no feed file at {path} (a path is read from the workspace folder; "
        f"a web address starts with https://)"
    )


def _inside(url: str, workspace: Workspace) -> bool:
    """A file:// URL under the workspace folder (an exported demo feed, say)."""
    if not url.lower().startswith("file://"):
        return False
    from urllib.parse import unquote, urlsplit

    path = Path(unquote(urlsplit(url).path)).resolve()
    return path.is_relative_to(workspace.root.resolve())


def import_opml(workspace: Workspace, path: Path) -> AddReport:
    """Add every feed of an OPML file to feeds.yaml."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CuratorError(f"cannot read {path} ({exc.strerror or exc})") from None
    return add_feeds(workspace, parse_opml(data, path.name), web_only=True)


def feed_lines(workspace: Workspace) -> list[str]:
    """The lines `curator feeds list` prints: label, URL and the last fetch's outcome."""
    from curator.store import Store

    feeds = load_feeds(workspace)
    states = {}
    if workspace.db_path.exists():
        with Store(workspace.db_path) as store:
            states = {row["url"]: row for row in store.feed_rows()}
    lines = []
    for feed in feeds:
        row = states.get(feed.url)
        if row is None or not row["last_fetched_at"]:
            status = "not fetched yet"
        elif row["last_error"]:
            status = f"failing ({row['consecutive_failures']}x): {row['last_error']}"
        else:
            status = f"ok {row['last_fetched_at'][:10]}"
        tags = f"  [{', '.join(feed.tags)}]" if feed.tags else ""
        lines.append(f"{feed.label}{tags}\n    {feed.url}  ({status})")
    return lines
