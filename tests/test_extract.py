"""Extraction of article text from pages: non-HTML refused, encodings decoded, time bounded."""

from __future__ import annotations

import pytest
from conftest import CORPORA

from curator.extract import extract_page, not_html, plain_elements

TEXT = "Die Brücke über den Fluß wurde gestern eröffnet, und viele Menschen kamen zur Feier. "


def article(head: str = "", body: str = "<p>" + TEXT * 6 + "</p>") -> str:
    return (
        f"<!doctype html><html><head>{head}<title>Brücke</title></head><body>"
        f"<nav><a href='/'>Home</a></nav><article><h1>Brücke</h1>{body * 4}</article>"
        "<footer>Impressum</footer></body></html>"
    )


@pytest.mark.parametrize(
    ("body", "content_type", "note"),
    [
        (b"%PDF-1.7\n1 0 obj <<>> endobj", "text/html", "binary content labelled as HTML"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "text/html", "binary content labelled as HTML"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "text/html", "binary content labelled as HTML"),
        (b"PK\x03\x04 a zip file", "text/html", "binary content labelled as HTML"),
        (b"GIF89a....", "", "binary content labelled as HTML"),
        (b"<html>" + b"\x00\x01\x02" * 50, "text/html", "binary content"),
        (b"<html><body>x</body></html>", "application/pdf", "not a web page (application/pdf)"),
        (b"<html><body>x</body></html>", "image/png", "not a web page (image/png)"),
        (b"{}", "application/json", "not a web page (application/json)"),
    ],
)
def test_non_html_is_skipped_with_a_reason(body: bytes, content_type: str, note: str):
    page = extract_page(body, "https://ex.org/a", content_type)
    assert page.text == ""
    assert note in page.note and page.note.startswith("not a web page")


def test_html_and_xhtml_pass_the_check():
    for kind in ("text/html", "application/xhtml+xml", "", "application/atom+xml"):
        assert not_html(b"<html></html>", kind) is None


@pytest.mark.parametrize(
    ("head", "charset", "encoding"),
    [
        ('<meta charset="iso-8859-1">', None, "latin-1"),  # declared in the page
        ("", None, "latin-1"),  # undeclared
        ("", "iso-8859-1", "latin-1"),  # declared in the header
        ("", "utf-8", "latin-1"),  # header lies
        ("", "no-such-charset", "utf-8"),  # header names nothing real
        ('<meta charset="windows-1252">', None, "cp1252"),
        ("", None, "utf-8"),
    ],
)
def test_encodings_decode_sensibly(head: str, charset: str | None, encoding: str):
    body = article(head).encode(encoding)
    page = extract_page(body, "https://ex.org/a", "text/html", charset)
    assert "Die Brücke über den Fluß" in page.text, page.note


def test_scripts_and_hostile_markup_become_text_only():
    hostile = "<p onclick='steal()'>Plain words here. <script>alert(1)</script></p>" * 20
    page = extract_page(article(body=hostile).encode(), "https://ex.org/a", "text/html")
    assert "Plain words here." in page.text
    assert "alert" not in page.text and "<" not in page.text


@pytest.mark.parametrize(
    "body",
    [b"", b"   ", b"<div>" * 100_000 + b"x", b"<html><body></body></html>", b"<<<>>>&&&;;"],
)
def test_pages_without_text_give_a_note_and_never_raise(body: bytes):
    page = extract_page(body, "https://ex.org/a", "text/html")
    assert page.text == ""
    assert page.note


def test_extraction_is_bounded_by_the_time_budget():
    big = article(body="<p>" + TEXT * 50 + "</p>" * 3).encode() * 100
    page = extract_page(big, "https://ex.org/a", "text/html", budget=0.001)
    assert page.text == "" and page.note == "extraction took over 0.001 s"
    # the alarm is cleared afterwards: the next extraction runs to the end
    assert extract_page(article().encode(), "https://ex.org/a", "text/html").text


def test_metadata_when_asked():
    head = '<meta name="author" content="Ada Lovelace"><meta name="date" content="2026-03-01">'
    page = extract_page(article(head).encode(), "https://ex.org/a", "text/html", None, True)
    assert page.title == "Brücke" and page.author == "Ada Lovelace"
    assert page.published is not None and page.published.year == 2026


FORMS = (
    "<form action='/subscribe'><label for='e'>Your email</label><input id='e' name='e'>"
    "<select name='s'><option>Weekly</option></select><textarea>Say hi</textarea></form>"
)


def _pages() -> list[bytes]:
    pages = [
        article(),
        article(body=FORMS + "<p>" + TEXT * 3 + "</p>" + FORMS),
        article(body="<table><tr><td>Cell one</td><td>" + TEXT + "</td></tr></table>"),
        article(body="<!-- a comment --><?pi x?><p>" + TEXT * 2 + "&amp; more</p>"),
    ]
    if (CORPORA / "webpages").is_dir():
        pages += [p.read_text("utf-8", "replace") for p in sorted((CORPORA / "webpages").iterdir())]
    return [p.encode() for p in pages]


def test_plain_element_classes_give_the_same_extraction() -> None:
    """extract_page sets trafilatura's parser to plain element classes, which is faster;
    the text, title, author and date are what lxml.html's own classes give."""
    import trafilatura.utils
    from lxml import html

    pages = _pages()

    def extract_all() -> list[object]:
        return [extract_page(p, "https://ex.org/a", "text/html", None, True) for p in pages]

    plain = extract_all()
    parser = trafilatura.utils.HTML_PARSER
    parser.set_element_class_lookup(html.HtmlElementClassLookup())
    try:
        assert extract_all() == plain
    finally:
        assert plain_elements(parser)
    assert sum(1 for page in plain if page.text) >= 4  # type: ignore[attr-defined]
