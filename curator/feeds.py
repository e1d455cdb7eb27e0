"""Parse feed bytes with feedparser, behind guards against hostile XML.

feedparser is given bytes we fetched (it never fetches). Before parsing, DOCTYPEs that
declare entities are removed (the loose parser would expand them without bound and an
external entity could read local files); after parsing, links are checked, fields capped
and control characters stripped. ``bozo`` is a warning: a broken feed that still has
entries yields them.
"""

from __future__ import annotations

import re
from calendar import timegm
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

import feedparser

from curator.errors import NotAFeedError
from curator.models import Entry
from curator.textutil import clean_text, html_to_text, one_line
from curator.urls import safe_link

MAX_TITLE = 500
MAX_TEXT = 200_000
MAX_AUTHOR = 200

# A DOCTYPE with an internal subset: <!DOCTYPE x [ ... ]>. The subset may hold entities.
_DOCTYPE_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]*\[.*?\]\s*>", re.IGNORECASE | re.DOTALL)
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)
_ROOT = re.compile(rb"<(rss|feed|rdf:RDF|channel)\b", re.IGNORECASE)
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*(<!doctype\s+html|<html)", re.I | re.S)

_HARMLESS = (
    feedparser.exceptions.NonXMLContentType,
    feedparser.exceptions.CharacterEncodingOverride,
)

feedparser.RESOLVE_RELATIVE_URIS = 1
feedparser.SANITIZE_HTML = 1


@dataclass
class ParsedFeed:
    """A feed's entries, newest first, plus warnings worth telling the user."""

    title: str = ""
    entries: list[Entry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: int = 0


def defuse(body: bytes) -> tuple[bytes, bool]:
    """Remove a DOCTYPE that declares entities; say whether one was removed.

    The whole body is searched, not just its head: padding the prolog with a long
    comment must not hide a DOCTYPE. The XML declaration before it is kept, since it
    may name the encoding.
    """
    doctype = _DOCTYPE.search(body)
    if doctype is None:
        return body, False
    match = _DOCTYPE_SUBSET.match(body, doctype.start())
    if match and _ENTITY_DECL.search(match.group(0)):
        return body[: match.start()] + body[match.end() :], True
    if match is None and _ENTITY_DECL.search(body, doctype.start(), doctype.start() + 1_000_000):
        # an unterminated or odd subset: drop everything from the DOCTYPE to the root
        root = _ROOT.search(body, doctype.end())
        if root:
            return body[: doctype.start()] + body[root.start() :], True
        raise NotAFeedError("refused: the feed declares XML entities")
    return body, False


def _date(struct: object) -> datetime | None:
    try:
        return datetime.fromtimestamp(timegm(struct), tz=UTC) if struct else None  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _entry_text(item: dict) -> tuple[str, str]:
    content = ""
    for part in item.get("content") or []:
        value = part.get("value") or ""
        if len(value) > len(content):
            content = value
    summary = item.get("summary") or ""
    return (
        html_to_text(content[: MAX_TEXT * 2]) if content else "",
        html_to_text(summary[: MAX_TEXT * 2]) if summary else "",
    )


def _link(item: dict, feed_url: str) -> str | None:
    candidates = [item.get("link")]
    candidates += [
        link.get("href")
        for link in item.get("links") or []
        if link.get("rel", "alternate") == "alternate"
    ]
    guid = item.get("id")
    if guid and item.get("guidislink", True):
        candidates.append(guid)
    file_feed = urlsplit(feed_url).scheme == "file"
    for url in candidates:
        if not isinstance(url, str):
            continue
        url = url.strip()
        if safe_link(url):
            return url
        if file_feed and url.startswith("file:"):
            # feedparser's URL joining drops the empty host of file:///path
            return "file:///" + url[len("file:") :].lstrip("/")
    return None


def parse_feed(body: bytes, url: str, content_type: str = "", max_entries: int = 200) -> ParsedFeed:
    """Parse feed bytes into entries, newest first, at most ``max_entries``.

    Raises NotAFeedError when the bytes are empty, an HTML page, or nothing feed-like.
    """
    if not body.strip():
        raise NotAFeedError("not a feed: the response was empty")
    body, defused = defuse(body)
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    parsed = feedparser.parse(
        body, response_headers=headers, sanitize_html=True, resolve_relative_uris=True
    )
    result = ParsedFeed(title=one_line(parsed.feed.get("title"), MAX_TITLE))
    if defused:
        result.warnings.append("removed entity declarations from the feed")
    items = parsed.entries or []
    if not items:
        looks_html = _HTML_START.match(body[:4096]) or "html" in content_type.lower()
        if looks_html and not parsed.get("version"):
            raise NotAFeedError("not a feed: got an HTML page (look for its RSS or Atom link)")
        if not parsed.get("version"):
            reason = parsed.get("bozo_exception")
            detail = f" ({one_line(str(reason), 120)})" if reason else ""
            raise NotAFeedError(f"not a feed: no RSS or Atom found{detail}")
        return result
    reason = parsed.get("bozo_exception")
    # a missing or overridden content type is feedparser being pedantic, not a broken feed
    if parsed.get("bozo") and not isinstance(reason, _HARMLESS):
        result.warnings.append(
            f"malformed feed, read what could be read ({one_line(str(reason), 120)})"
        )
    # Newest first before the costly part, so a feed of thousands of entries costs only
    # the ones taken. Undated entries count as new ("new when first seen").
    latest = datetime.max.replace(tzinfo=UTC)
    dated = [(_date(i.get("published_parsed") or i.get("updated_parsed")), i) for i in items]
    dated.sort(key=lambda pair: pair[0] or latest, reverse=True)
    entries: list[Entry] = []
    for published, item in dated:
        link = _link(item, url)
        if not link:
            result.skipped += 1
            continue
        if len(entries) == max_entries:
            result.warnings.append(f"took the newest {max_entries} of {len(items)} entries")
            break
        content, summary = _entry_text(item)
        title = one_line(item.get("title"), MAX_TITLE)
        if not title:
            title = one_line((content or summary)[:80], 80) or link
        entries.append(
            Entry(
                url=link,
                title=title,
                summary=clean_text(summary, MAX_TEXT),
                content=clean_text(content, MAX_TEXT),
                author=one_line(item.get("author"), MAX_AUTHOR),
                published=published,
            )
        )
    result.entries = entries
    return result
