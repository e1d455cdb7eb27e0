"""Parse feed bytes with feedparser, behind guards against hostile XML.

feedparser is given bytes we fetched (it never fetches). Before parsing, the bytes are
decoded to UTF-8 text and every check reads that text: DOCTYPEs that declare entities are
removed (the loose parser would expand them without bound and an external entity could
read local files), the prolog is rebuilt and the items are capped, each by scanning once
(no pattern that can backtrack); after parsing, links are checked, fields capped and
control characters stripped. ``bozo`` is a warning: a broken feed that still has
entries yields them.
"""

from __future__ import annotations

import re
from calendar import timegm
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import islice
from urllib.parse import urlsplit

import feedparser

from curator.errors import NotAFeedError
from curator.models import Entry
from curator.textutil import clean_text, html_to_text, one_line
from curator.urls import safe_link

MAX_TITLE = 500
MAX_TEXT = 200_000
MAX_AUTHOR = 200

_ROOT = re.compile(rb"<(rss|feed|rdf:RDF|channel)\b", re.IGNORECASE)
_ITEM_START = re.compile(rb"<(?:item|entry)[\s>/]")
# feedparser's work grows with the items it is given, so a feed is cut before parsing
# after this many (or max_entries, if more), whatever its size in bytes.
MAX_ITEMS_PARSED = 10_000
# An XML declaration's encoding, looked for in the declaration's first bytes only.
_DECLARED = re.compile(rb"""encoding\s*=\s*["']([A-Za-z0-9._:-]{1,40})["']""")
_UTF8_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'

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


def to_utf8(body: bytes, content_type: str = "") -> bytes:
    """The feed's text as UTF-8: decoded by its byte-order mark, else by the byte pattern
    of its first characters (UTF-16 and UTF-32 without a mark, EBCDIC), else by the HTTP
    charset or the XML declaration, else UTF-8, else Windows-1252, else Latin-1.

    Every later check, and feedparser itself (told the charset is utf-8), read this same
    text, so a declaration written in UTF-16 or UTF-7 cannot pass one and reach the other.
    """
    candidates: list[str] = []
    for mark, codec in _BOMS:
        if body.startswith(mark):
            body = body[len(mark) :]
            candidates.append(codec)
            break
    head = body[:4]
    if head[:3] == b"\0\0\0" and head[3:]:
        candidates.append("utf-32-be")
    elif head[1:4] == b"\0\0\0":
        candidates.append("utf-32-le")
    elif len(head) == 4 and head[0] == 0 and head[2] == 0:
        candidates.append("utf-16-be")
    elif len(head) == 4 and head[1] == 0 and head[3] == 0:
        candidates.append("utf-16-le")
    elif head == b"\x4c\x6f\xa7\x94":  # "<?xm" in EBCDIC
        candidates.append("cp037")
    charset = _charset(content_type)
    if charset:
        candidates.append(charset)
    if body.startswith(b"<?xml"):
        close = body.find(b"?>", 0, 200)
        declared = _DECLARED.search(body, 0, close if close > 0 else 200)
        if declared:
            candidates.append(declared.group(1).decode("ascii"))
    candidates += ["utf-8", "windows-1252"]
    for codec in candidates:
        try:
            return body.decode(codec).encode("utf-8")
        except (UnicodeError, LookupError):  # a wrong guess, or no such text encoding
            continue
    return body.decode("latin-1").encode("utf-8")


_BOMS = (
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\xfe\xff", "utf-16-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xef\xbb\xbf", "utf-8"),
)


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'")
    return ""


@dataclass
class _Prolog:
    """What comes before a document's root element, looked at once, front to back."""

    root: int = -1  # where the root element starts; -1 when there is none
    root_name: bytes = b""
    doctype: bytes = b""  # a DOCTYPE without an internal subset, kept as it was
    entities: bool = False  # a DOCTYPE that declares entities was left out
    html: bool = False  # the document declares itself HTML


def _subset_end(lower: bytes, start: int) -> int:
    """Where a DOCTYPE's internal subset ends (just past "]" and ">"), or -1."""
    at = lower.find(b"]", start)
    while at != -1:
        after = _SPACE.match(lower, at + 1).end()  # type: ignore[union-attr]
        if lower[after : after + 1] == b">":
            return after + 1
        at = lower.find(b"]", after)
    return -1


def _prolog(data: bytes, lower: bytes) -> _Prolog:
    """Read the prolog by scanning: declarations, comments and processing instructions
    are each skipped by finding their end, so nothing is ever tried twice."""
    out = _Prolog()
    pos, size = 0, len(data)
    while pos < size:
        if lower[pos] in b" \t\r\n":
            pos = _SPACE.match(lower, pos).end()  # type: ignore[union-attr]
            continue
        if lower.startswith(b"<?", pos):
            end = lower.find(b"?>", pos + 2)
            pos = end + 2 if end != -1 else size
        elif lower.startswith(b"<!--", pos):
            end = lower.find(b"-->", pos + 4)
            pos = end + 3 if end != -1 else size
        elif lower.startswith(b"<!doctype", pos):
            close = lower.find(b">", pos)
            bracket = lower.find(b"[", pos, close if close != -1 else size)
            stray = lower.find(b"<", pos + 2, bracket if bracket != -1 else max(close, pos))
            if stray != -1:  # a DOCTYPE cut short by the next tag: skipped like text
                pos = stray
                continue
            if bracket == -1:  # no internal subset: nothing declared in it
                end = close + 1 if close != -1 else size
                if end - pos <= 1000:
                    out.doctype = out.doctype or data[pos:end]
                out.html = out.html or lower[pos + 9 : end].split()[:1] == [b"html"]
            else:
                end = _subset_end(lower, bracket)
                if end == -1:  # an unterminated subset runs up to the root, if any
                    root = _ROOT.search(data, bracket)
                    end = root.start() if root else size
                out.entities = out.entities or b"<!entity" in lower[pos:end]
            pos = end
        elif lower.startswith(b"<!", pos):
            out.entities = out.entities or lower.startswith(b"<!entity", pos)
            end = lower.find(b">", pos)
            pos = end + 1 if end != -1 else size
        elif lower.startswith(b"<", pos) and lower[pos + 1 : pos + 2].isalpha():
            out.root = pos
            name_end = _NAME.match(lower, pos + 1).end()  # type: ignore[union-attr]
            out.root_name = data[pos + 1 : name_end]
            out.html = out.html or out.root_name.lower() == b"html"
            return out
        else:  # text before the root: not well-formed; the root is the next element
            nxt = _NEXT_ELEMENT.search(lower, pos)
            pos = nxt.start() if nxt else size
    return out


_NEXT_ELEMENT = re.compile(rb"<[a-z]")
_SPACE = re.compile(rb"[ \t\r\n]*")
_NAME = re.compile(rb"[^ \t\r\n/>]*")


def defuse(data: bytes) -> tuple[bytes, bool, _Prolog]:
    """A document feedparser may be given: the UTF-8 text ``data`` with a prolog of an
    XML declaration, the DOCTYPE if it declares nothing, and the root element onwards;
    says whether entity declarations were left out.

    Every DOCTYPE before the root is looked at (a decoy in a comment hides nothing), and
    comments, whitespace and processing instructions before the root are dropped
    (feedparser's own DOCTYPE handling is slow on a long prolog). Raises NotAFeedError
    if "<!ENTITY" occurs anywhere in what is left, so neither of feedparser's parsers is
    ever given an entity to expand.
    """
    lower = data.lower()
    prolog = _prolog(data, lower)
    doctype = prolog.doctype + b"\n" if prolog.doctype else b""
    if prolog.root == -1:
        body = _UTF8_DECLARATION + data
    else:
        body = _UTF8_DECLARATION + doctype + data[prolog.root :]
    if b"<!entity" in (lower if prolog.root == -1 else lower[prolog.root :]):
        raise NotAFeedError("refused: the feed declares XML entities")
    return body, prolog.entities, prolog


def cap_items(body: bytes, prolog: _Prolog, limit: int) -> tuple[bytes, bool]:
    """The document cut before its item number ``limit + 1`` (RSS ``<item>``, Atom
    ``<entry>``) and closed again; says whether it was cut."""
    starts = _ITEM_START.finditer(body.lower())
    cut = next(islice(starts, limit, None), None)
    if cut is None:
        return body, False
    name = prolog.root_name.decode("utf-8", "replace")
    closing = f"</channel></{name}>" if name.lower().endswith("rss") else f"</{name}>"
    return body[: cut.start()] + closing.encode("utf-8"), True


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
    body, defused, prolog = defuse(to_utf8(body, content_type))
    limit = max(MAX_ITEMS_PARSED, max_entries)
    body, cut = cap_items(body, prolog, limit)
    # the body is UTF-8 now, whatever the server said
    headers = {"content-location": url, "content-type": "application/xml; charset=utf-8"}
    parsed = feedparser.parse(
        body, response_headers=headers, sanitize_html=True, resolve_relative_uris=True
    )
    result = ParsedFeed(title=one_line(parsed.feed.get("title"), MAX_TITLE))
    if defused:
        result.warnings.append("removed entity declarations from the feed")
    if cut:
        result.warnings.append(f"the feed lists more than {limit:,} entries; read the first")
    items = parsed.entries or []
    if not items:
        looks_html = prolog.html or "html" in content_type.lower()
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
