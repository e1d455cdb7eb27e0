"""Turn a page's bytes into article text with trafilatura, within a time budget.

Runs in worker processes (see pipeline), so everything here is picklable and pure: bytes
in, an ExtractedPage out. Metadata extraction costs about half as much again as text
alone, so it is asked for only when the feed entry lacks a title or date.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from curator import tokens
from curator.textutil import clean_text, one_line

HTML_TYPES = ("text/html", "application/xhtml+xml", "text/xml", "application/xml", "")
_MAGIC = (
    b"%PDF",
    b"\x89PNG",
    b"GIF8",
    b"\xff\xd8\xff",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"RIFF",
    b"OggS",
    b"ID3",
    b"\x00\x00\x01\x00",
    b"wOFF",
    b"wOF2",
)
MAX_TEXT = 200_000
# trafilatura's fast mode skips its fallback extractors: measured on the 78 corpus pages
# it takes 0.62x the CPU for 98.7% of the text, but on a few pages it keeps only a
# fragment, so a short fast result is redone in full (0.59x the CPU overall).
FAST_ENOUGH_CHARS = 1000


@dataclass(frozen=True)
class ExtractedPage:
    """Text and metadata trafilatura found in a page; ``text`` is empty when it found none."""

    text: str
    title: str = ""
    author: str = ""
    published: datetime | None = None
    note: str = ""  # why there is no text, when there is none
    words: bytes | None = None  # title and text split into words (tokens.pack), if asked


def not_html(body: bytes, content_type: str) -> str | None:
    """Why these bytes are not a web page worth extracting, or None if they may be."""
    if content_type and content_type not in HTML_TYPES and not content_type.endswith("+xml"):
        return f"not a web page ({content_type})"
    head = body[:1024]
    if head.startswith(_MAGIC):
        return "not a web page (binary content labelled as HTML)"
    if b"\x00" in head:
        return "not a web page (binary content)"
    return None


class ExtractTimeout(Exception):
    pass


@contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    """Raise ExtractTimeout if the block runs longer than ``seconds`` (main thread only)."""
    if seconds <= 0 or not hasattr(signal, "setitimer"):
        yield
        return
    try:
        previous = signal.signal(signal.SIGALRM, _alarm)
    except ValueError:  # not the main thread: no budget rather than no extraction
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def exit_with_parent(pid: int, every: float = 0.5) -> None:
    """Worker initializer: end this process soon after process ``pid`` is gone.

    A run killed with kill -9 cannot shut its pool down, and idle workers (children of
    the forkserver, not of the run) would otherwise wait forever, holding cron's pipes.
    """
    import os
    import threading
    import time

    def alive() -> bool:
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError):  # gone, or reused by another user
            return False
        try:  # a killed run not yet reaped by its parent is a zombie: as good as gone
            with open(f"/proc/{pid}/stat", "rb") as fh:
                return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
        except (OSError, IndexError):
            return True

    def watch() -> None:
        while alive():
            time.sleep(every)
        os._exit(1)

    threading.Thread(target=watch, name="curator-parent-watch", daemon=True).start()


_parser_set = False


def _trafilatura() -> Any:
    """trafilatura, made faster in two ways that keep its results the same.

    Its HTML parser is set to make every element a plain ``HtmlElement``: lxml.html's own
    parser calls a Python method for every element a program touches, to give forms and
    inputs their own classes, which trafilatura never uses (8% of extraction time on the
    bench pages). And its content selectors run as Python (curator.selectors) rather than
    through libxml2's callbacks into lxml (28% less CPU for extraction, same text on the
    corpus and bench pages). tests/test_extract.py and tests/test_selectors.py compare
    both with stock trafilatura. If a release moves what they change, nothing is changed."""
    global _parser_set
    import trafilatura

    if not _parser_set:
        _parser_set = True
        parser = getattr(getattr(trafilatura, "utils", None), "HTML_PARSER", None)
        plain_elements(parser)
        from curator import selectors

        selectors.install()
    return trafilatura


def plain_elements(parser: object) -> bool:
    """Make an lxml.html parser give every element the plain HTML classes; say if it did."""
    from lxml import etree, html

    if not isinstance(parser, html.HTMLParser):
        return False
    parser.set_element_class_lookup(
        etree.ElementDefaultClassLookup(
            element=html.HtmlElement,
            comment=html.HtmlComment,
            pi=html.HtmlProcessingInstruction,
            entity=html.HtmlEntity,
        )
    )
    return True


def _alarm(signum: int, frame: object) -> None:
    raise ExtractTimeout


def _decode(body: bytes, charset: str | None) -> str | bytes:
    if charset:
        try:
            return body.decode(charset)
        except (LookupError, UnicodeDecodeError):
            pass
    return body  # trafilatura detects the encoding itself


def extract_page(
    body: bytes,
    url: str,
    content_type: str = "",
    charset: str | None = None,
    with_metadata: bool = False,
    budget: float = 20.0,
    fast: bool = True,
    words_with_title: str | None = None,
) -> ExtractedPage:
    """Extract the main text (and, if asked, title/author/date) of a page. Never raises.

    With ``words_with_title``, the text is also split into words with that title, for
    the index (``tokens.pack``): done here, in the worker, in parallel with other pages."""
    reason = not_html(body, content_type)
    if reason:
        return ExtractedPage("", note=reason)
    try:
        trafilatura = _trafilatura()
        options: dict[str, Any] = dict(
            url=url,
            with_metadata=with_metadata,
            include_comments=False,
            include_tables=True,
            include_images=False,
            include_links=False,
            deduplicate=False,
        )
        with time_budget(budget):
            source = _decode(body, charset)
            doc = trafilatura.bare_extraction(source, fast=fast, **options)
            if fast and len(getattr(doc, "text", "") or "") < FAST_ENOUGH_CHARS:
                doc = trafilatura.bare_extraction(source, **options)
    except ExtractTimeout:
        return ExtractedPage("", note=f"extraction took over {budget:g} s")
    except Exception as exc:  # trafilatura and lxml raise many kinds on hostile pages
        return ExtractedPage("", note=f"extraction failed ({type(exc).__name__})")
    if doc is None:
        return ExtractedPage("", note="no article text found on the page")
    text = clean_text(getattr(doc, "text", "") or "", MAX_TEXT)
    if not text:
        return ExtractedPage("", note="no article text found on the page")
    published = None
    raw_date = getattr(doc, "date", None) if with_metadata else None
    if raw_date:
        try:
            published = datetime.fromisoformat(str(raw_date)).replace(tzinfo=UTC)
        except ValueError:
            published = None
    return ExtractedPage(
        text=text,
        title=one_line(getattr(doc, "title", "") or "", 500) if with_metadata else "",
        author=one_line(getattr(doc, "author", "") or "", 200) if with_metadata else "",
        published=published,
        words=None if words_with_title is None else tokens.pack(words_with_title, text),
    )
