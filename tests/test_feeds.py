"""Parsing feeds written by strangers: entity bombs, hostile links and markup, odd encodings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from adversarial import laughs

from curator.errors import NotAFeedError
from curator.feeds import parse_feed

URL = "https://feeds.example.org/feed.xml"

LAUGHS = laughs("TITLE", "https://ex.org/a")


def item(title: str, link: str, description: str = "", date: datetime | None = None) -> str:
    parts = f"<title>{escape(title)}</title><link>{escape(link)}</link>"
    if description:
        parts += f"<description>{escape(description)}</description>"
    if date:
        parts += f"<pubDate>{format_datetime(date)}</pubDate>"
    return f"<item>{parts}</item>"


def rss(*items: str, encoding: str = "utf-8", declare: bool = True) -> bytes:
    head = f'<?xml version="1.0" encoding="{encoding}"?>' if declare else ""
    doc = f'{head}<rss version="2.0"><channel><title>T</title>{"".join(items)}</channel></rss>'
    return doc.encode(encoding)


# -- entities ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "variant",
    [
        "as is",
        "not well-formed",  # pushes feedparser onto its loose parser
        "padded prolog",  # a long comment before the DOCTYPE
        "unterminated subset",
    ],
)
def test_billion_laughs_is_never_expanded(variant: str):
    body = LAUGHS
    if variant == "not well-formed":
        body = body.replace(b"<title>TITLE</title>", b"<title>T & T</title>")
    elif variant == "padded prolog":
        body = body.replace(b"<!DOCTYPE", b"<!-- " + b"x" * 100_000 + b" -->\n<!DOCTYPE")
    elif variant == "unterminated subset":
        body = body.replace(b"]>", b">")
    parsed = parse_feed(body, URL)
    [entry] = parsed.entries
    assert entry.url == "https://ex.org/a"
    assert "lollol" not in entry.title + entry.summary
    assert len(entry.title) < 100
    assert "removed entity declarations from the feed" in parsed.warnings


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file://{path}">]>',
        '<!DOCTYPE rss [<!ENTITY % p SYSTEM "file://{path}"> %p;]>',
        '<!DOCTYPE rss SYSTEM "file://{path}">',
    ],
)
def test_external_entities_never_read_local_files(tmp_path: Path, doctype: str):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-42")
    body = (
        '<?xml version="1.0"?>\n'
        + doctype.format(path=secret)
        + '\n<rss version="2.0"><channel><title>t</title><item><title>A &xxe; B</title>'
        "<link>https://ex.org/a</link><description>&xxe;</description></item></channel></rss>"
    ).encode()
    parsed = parse_feed(body, URL)
    text = repr(parsed)
    assert "TOPSECRET" not in text
    assert [e.url for e in parsed.entries] == ["https://ex.org/a"]


def test_entity_declarations_that_cannot_be_isolated_are_refused():
    body = b'<!DOCTYPE x [<!ENTITY a "b"> and no root element anywhere'
    with pytest.raises(NotAFeedError, match=r"refused: the feed declares XML entities"):
        parse_feed(body, URL)


def _one_big_entity(encoding: str, decoy_padding: int = 0) -> str:
    """A feed whose one "safe" entity (no references in its value) is used 100 times:
    the kind feedparser's loose parser keeps in its table and expands."""
    decoy = f"<!-- <!DOCTYPE decoy> {'x' * decoy_padding} -->\n" if decoy_padding else ""
    return (
        f'<?xml version="1.0" encoding="{encoding}"?>\n{decoy}'
        f'<!DOCTYPE rss [\n<!ENTITY big "{"lol" * 1000}">\n]>\n'
        '<rss version="2.0"><channel><title>T</title><item><title>Boom</title>'
        f"<link>https://ex.org/a</link><description>Body {'&big;' * 100}</description>"
        "</item></channel></rss>"
    )


@pytest.mark.parametrize(
    ("declared", "codec", "decoy_padding"),
    [
        ("utf-16", "utf-16", 0),  # with a byte-order mark
        ("utf-16", "utf-16-le", 0),  # without one
        ("utf-16", "utf-16-be", 0),
        ("utf-32", "utf-32", 0),
        ("utf-32", "utf-32-le", 0),
        ("utf-32", "utf-32-be", 0),
        ("utf-7", "utf-7", 0),  # "<" is "+ADw-" in the bytes
        ("utf-8", "utf-8", 1_100_000),  # a decoy DOCTYPE in a comment, then padding
    ],
)
def test_entities_are_never_expanded_in_any_encoding(declared: str, codec: str, decoy_padding: int):
    body = _one_big_entity(declared, decoy_padding).encode(codec)
    parsed = parse_feed(body, URL)
    [entry] = parsed.entries
    assert entry.url == "https://ex.org/a"
    assert "lollol" not in entry.summary
    assert len(entry.summary) < 1000
    assert "removed entity declarations from the feed" in parsed.warnings


def test_feedparser_is_never_given_an_entity_table():
    # what feedparser would hand its loose parser, from what parse_feed gives it
    from feedparser.sanitizer import replace_doctype

    from curator.feeds import defuse, to_utf8

    for codec in ("utf-8", "utf-16", "utf-32-be"):
        body, removed, _ = defuse(to_utf8(_one_big_entity(codec).encode(codec)))
        assert removed
        assert replace_doctype(body)[2] == {}


def test_an_entity_declaration_after_the_root_is_refused():
    body = rss(item("A", "https://ex.org/a")).replace(
        b"<channel>", b'<channel><!DOCTYPE x [\n<!ENTITY a "b">\n]>'
    )
    with pytest.raises(NotAFeedError, match=r"refused: the feed declares XML entities"):
        parse_feed(body, URL)


def test_a_subset_closed_early_by_an_entity_value_leaves_nothing_declared():
    # "]>" inside the first entity's value ends the subset there; the rest is dropped
    # with the prolog, so "&b;" stays unexpanded
    body = b'<!DOCTYPE rss [\n<!ENTITY a "]>">\n<!ENTITY b "bbbb">\n]>' + rss(
        item("A &amp;b; &b;", "https://ex.org/a"), declare=False
    ).replace(b"&amp;b;", b"&b;")
    parsed = parse_feed(body, URL)
    assert "bbbb" not in parsed.entries[0].title
    assert "removed entity declarations from the feed" in parsed.warnings


@pytest.mark.parametrize(
    ("tail", "message"),
    [
        (b"x", "no RSS or Atom found"),
        (b"<!doctype html><html><body>Hi</body></html>", "got an HTML page"),
    ],
)
def test_many_leading_comments_are_scanned_once(tail: bytes, message: str):
    # each comment more used to double the time the HTML check took (backtracking)
    with pytest.raises(NotAFeedError, match=message):
        parse_feed(b"<!---->" * 500 + tail, URL)


@pytest.mark.parametrize(
    "prolog",
    [
        b"\n" * 200_000,  # feedparser's own DOCTYPE patterns are quadratic on this
        b"<!DOCTYPE\n" * 50_000,
        b"<!-- <!DOCTYPE x> -->\n" * 20_000,
        b"<?pi " + b'encoding="x" ' * 20_000 + b"?>",
    ],
)
def test_a_long_prolog_is_dropped_before_feedparser_sees_it(prolog: bytes):
    from curator.feeds import defuse, to_utf8

    feed = rss(item("A", "https://ex.org/a"), declare=False)
    body, _, _ = defuse(to_utf8(prolog + feed))
    assert len(body) < len(feed) + 100
    assert [e.title for e in parse_feed(prolog + feed, URL).entries] == ["A"]


def test_items_are_capped_before_parsing():
    from curator import feeds

    many = [item(f"P{i}", f"https://ex.org/{i}") for i in range(feeds.MAX_ITEMS_PARSED + 50)]
    parsed = parse_feed(rss(*many), URL, max_entries=10)
    assert len(parsed.entries) == 10
    # only the first MAX_ITEMS_PARSED reached feedparser: the 10 taken are among them
    assert f"took the newest 10 of {feeds.MAX_ITEMS_PARSED:,} entries".replace(",", "") in (
        " ".join(parsed.warnings)
    )
    assert any("lists more than" in w for w in parsed.warnings)


def test_an_atom_feed_cut_at_the_cap_is_still_well_formed():
    from curator.feeds import cap_items, defuse, to_utf8

    entries = "".join(
        f"<entry><title>E{i}</title><link href='https://ex.org/{i}'/><id>u:{i}</id></entry>"
        for i in range(30)
    )
    atom = f'<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>{entries}</feed>'
    body, _, prolog = defuse(to_utf8(atom.encode()))
    cut, was_cut = cap_items(body, prolog, 10)
    assert was_cut and cut.endswith(b"</entry></feed>")
    import feedparser

    parsed = feedparser.parse(cut)
    assert not parsed.bozo and len(parsed.entries) == 10


# -- hostile links and markup ----------------------------------------------------------


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "java\tscript:alert(1)",
        "vbscript:msgbox(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "ftp://ex.org/x",
        "http://",
        "http://ex.org:99999/",
        "//ex.org/protocol-relative-without-base",
    ],
)
def test_unsafe_links_are_never_taken(link: str):
    body = rss(item("Bad", link), item("Good", "https://ex.org/good"))
    parsed = parse_feed(body, "")
    assert [e.url for e in parsed.entries] == ["https://ex.org/good"]
    assert parsed.skipped == 1


def test_relative_links_resolve_against_the_feed():
    parsed = parse_feed(rss(item("Rel", "/posts/1")), URL)
    assert parsed.entries[0].url == "https://feeds.example.org/posts/1"


def test_hostile_markup_becomes_plain_text():
    description = (
        "<script>alert('s')</script><style>p{}</style><p onclick='x()'>Hello <b>world</b></p>"
        "<iframe src='https://evil.example'>frame</iframe><img src=x onerror=alert(1)>"
    )
    body = rss(item("<b>Bold</b> \x01\x02title\u202e\u200b", "https://ex.org/a", description))
    [entry] = parse_feed(body, URL).entries
    assert entry.summary.startswith("Hello world")
    assert "alert" not in entry.summary and "<" not in entry.summary
    # titles are text (the renderer escapes them); control and invisible characters go
    assert not {"\x01", "\u200b", "\u202e"} & set(entry.title)
    assert "title" in entry.title


def test_control_characters_are_stripped_from_every_field():
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T\x07</title>'
        b"<item><title>A\x0bB\x1fC</title><link>https://ex.org/a</link>"
        b"<author>me\x00you</author><description>x\x1by\x7fz</description></item></channel></rss>"
    )
    parsed = parse_feed(body, URL)
    [entry] = parsed.entries
    for text in (parsed.title, entry.title, entry.summary, entry.author):
        assert not any(ord(c) < 32 and c not in "\n" for c in text), repr(text)
    assert entry.title == "A B C"


def test_huge_fields_are_capped():
    body = rss(item("t" * 5000, "https://ex.org/a", "word " * 100_000))
    [entry] = parse_feed(body, URL).entries
    assert len(entry.title) <= 501
    assert len(entry.summary) <= 200_001


# -- size and order ----------------------------------------------------------------------


def test_thousands_of_entries_take_the_newest_first():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    items = [
        item(f"Post {i}", f"https://ex.org/{i}", "text", start + timedelta(hours=i))
        for i in range(5000)
    ]
    # shuffled order in the document: the cap must go by date, not position
    items = items[::2] + items[1::2]
    parsed = parse_feed(rss(*items), URL, max_entries=50)
    assert len(parsed.entries) == 50
    assert [e.title for e in parsed.entries[:3]] == ["Post 4999", "Post 4998", "Post 4997"]
    assert parsed.entries[-1].title == "Post 4950"
    assert "took the newest 50 of 5000 entries" in parsed.warnings


def test_entries_are_kept_when_under_the_cap():
    items = [item(f"P{i}", f"https://ex.org/{i}") for i in range(10)]
    parsed = parse_feed(rss(*items), URL, max_entries=50)
    assert len(parsed.entries) == 10 and not parsed.warnings


def test_duplicate_entries_are_each_returned_for_the_pipeline_to_merge():
    body = rss(item("Same", "https://ex.org/a?utm_source=x"), item("Same", "https://ex.org/a"))
    assert len(parse_feed(body, URL).entries) == 2


# -- encodings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "declare", "content_type"),
    [
        ("iso-8859-1", True, ""),
        ("iso-8859-1", False, ""),  # undeclared: not UTF-8, falls back sensibly
        ("iso-8859-1", False, "application/rss+xml; charset=iso-8859-1"),
        ("windows-1252", True, ""),
        ("utf-16", True, ""),
        ("utf-8", False, "text/xml"),
    ],
)
def test_non_utf8_encodings_decode(encoding: str, declare: bool, content_type: str):
    title = "Crème brûlée, café" if encoding == "iso-8859-1" else "Crème brûlée – café"
    body = rss(item(title, "https://ex.org/a"), encoding=encoding, declare=declare)
    [entry] = parse_feed(body, URL, content_type).entries
    assert entry.title == title


def test_shift_jis_declared():
    body = rss(item("日本語のタイトル", "https://ex.org/a"), encoding="shift_jis")
    assert parse_feed(body, URL).entries[0].title == "日本語のタイトル"


def test_wrong_declared_encoding_still_yields_entries():
    body = rss(item("Straße", "https://ex.org/a")).replace(b"utf-8", b"ascii")
    [entry] = parse_feed(body, URL).entries
    assert entry.url == "https://ex.org/a" and entry.title


# -- not a feed / broken feeds ---------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"", "", "the response was empty"),
        (b"  \n\t ", "application/rss+xml", "the response was empty"),
        (b"<!doctype html><html><body>Hi</body></html>", "text/html", "got an HTML page"),
        (b"<html><head><title>x</title></head></html>", "", "got an HTML page"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 binary", "application/pdf", "no RSS or Atom found"),
        (bytes(range(256)) * 4, "application/octet-stream", "no RSS or Atom found"),
        (b'{"items": []}', "application/json", "no RSS or Atom found"),
    ],
)
def test_not_a_feed_is_a_clear_error(body: bytes, content_type: str, message: str):
    with pytest.raises(NotAFeedError, match=message):
        parse_feed(body, URL, content_type)


def test_broken_feed_with_entries_still_yields_them():
    body = (
        b'<rss version="2.0"><channel><title>t</title>'
        b"<item><title>A</title><link>https://ex.org/a</link></item>"
        b"<item><title>B & C</title><link>https://ex.org/b</link></item>"
    )  # a bare & and no closing tags
    parsed = parse_feed(body, URL)
    assert [e.title for e in parsed.entries] == ["A", "B & C"]
    assert any(w.startswith("malformed feed") for w in parsed.warnings)


def test_valid_feed_without_content_type_has_no_warning():
    assert parse_feed(rss(item("A", "https://ex.org/a")), URL).warnings == []


def test_empty_but_valid_feed_is_not_an_error():
    parsed = parse_feed(rss(), URL)
    assert parsed.entries == [] and parsed.title == "T"
