"""Every feed and page of the shared corpora goes through our stages without an unhandled error.

One test per folder, reporting every failing file at once, so a regression shows its
whole extent. Skipped when ../shared/corpora is absent.
"""

from __future__ import annotations

import traceback
from pathlib import Path

import pytest
from conftest import CORPORA

from curator.errors import NotAFeedError
from curator.extract import extract_page
from curator.feeds import parse_feed
from curator.urls import safe_link

pytestmark = pytest.mark.corpus

FEEDS = CORPORA / "feeds"
PAGES = CORPORA / "webpages"


def _folders(root: Path) -> list[Path]:
    if not root.is_dir():
        return []
    return sorted({p.parent for p in root.rglob("*.xml")})


def _check_feed(path: Path) -> str | None:
    """None if the feed stage handled the file; else why not."""
    body = path.read_bytes()
    try:
        parsed = parse_feed(body, "http://feeds.example.org/feed.xml", "application/xml", 200)
    except NotAFeedError:
        return None  # an allowed outcome: the user is told "not a feed"
    except Exception:
        return traceback.format_exc(limit=-3)
    for entry in parsed.entries:
        if safe_link(entry.url) != entry.url:
            return f"unsafe link {entry.url!r}"
        for text in (entry.title, entry.summary, entry.content, entry.author):
            if any(ord(c) < 32 and c != "\n" for c in text):
                return f"control character in {text[:60]!r}"
            if "<script" in text.lower() and "sanitize" in path.parts:
                return f"script left in {text[:60]!r}"
    return None


@pytest.mark.skipif(not FEEDS.is_dir(), reason="no ../shared/corpora/feeds")
@pytest.mark.parametrize(
    "folder", _folders(FEEDS), ids=lambda p: str(p.relative_to(FEEDS)) if FEEDS.is_dir() else ""
)
def test_every_corpus_feed_goes_through_the_feed_stage(folder: Path):
    failures = {}
    for path in sorted(folder.glob("*.xml")):
        problem = _check_feed(path)
        if problem:
            failures[path.name] = problem
    assert not failures, "\n".join(f"{name}: {why}" for name, why in failures.items())


def test_the_feed_corpus_is_all_covered():
    if not FEEDS.is_dir():
        pytest.skip("no ../shared/corpora/feeds")
    counted = sum(len(list(f.glob("*.xml"))) for f in _folders(FEEDS))
    assert counted == len(list(FEEDS.rglob("*.xml"))) > 1000


@pytest.mark.skipif(not PAGES.is_dir(), reason="no ../shared/corpora/webpages")
def test_every_corpus_page_goes_through_extraction():
    failures = {}
    found = 0
    pages = sorted(PAGES.glob("*.html"))
    assert len(pages) > 50
    for path in pages:
        try:
            page = extract_page(path.read_bytes(), f"https://pages.example.org/{path.name}")
        except Exception:
            failures[path.name] = traceback.format_exc(limit=-3)
            continue
        if page.text:
            found += 1
            if any(ord(c) < 32 and c != "\n" for c in page.text):
                failures[path.name] = "control character in the text"
        elif not page.note:
            failures[path.name] = "no text and no note saying why"
    assert not failures, "\n".join(f"{name}: {why}" for name, why in failures.items())
    # real articles: nearly all of them must yield text, or extraction silently broke
    assert found >= len(pages) * 0.9
