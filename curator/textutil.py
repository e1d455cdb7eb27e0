"""Plain-text helpers shared by the parse, extract and render stages."""

from __future__ import annotations

import re
import unicodedata

# Control characters, zero-width and bidirectional overrides (which can make a title
# read differently from what it says), line/paragraph separators and stray BOMs.
_CONTROL = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]"
)
_SPACES = re.compile(r"[ \t\r\f\v\xa0]+")
_BLANK_LINES = re.compile(r"\n{3,}")  # lines are stripped first: blank ones are empty


def clean_text(text: str | None, limit: int | None = None) -> str:
    """NFC-normalised text without control characters, runs of spaces collapsed, capped."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", str(text))
    text = _CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    # _SPACES never spans lines, so one pass over the text does what one a line would
    text = "\n".join(line.strip() for line in _SPACES.sub(" ", text).split("\n"))
    text = _BLANK_LINES.sub("\n\n", text).strip()
    if limit and len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        text = text[: cut if cut > limit * 0.8 else limit].rstrip() + "…"
    return text


def one_line(text: str | None, limit: int | None = None) -> str:
    """Like clean_text, on a single line: for titles, names and authors."""
    return clean_text(" ".join((text or "").split()), limit)


def html_to_text(html: str) -> str:
    """The readable text of an HTML fragment (feed summaries), paragraphs kept apart."""
    if not html or "<" not in html:
        return clean_text(_unescape(html))
    from lxml import etree
    from lxml import html as lxml_html

    try:
        root = lxml_html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return clean_text(re.sub(r"<[^>]*>", " ", html))
    for bad in root.xpath("//script|//style|//noscript|//template|//iframe|//object"):
        bad.drop_tree()
    for block in root.xpath(
        "//p|//div|//br|//li|//h1|//h2|//h3|//h4|//h5|//h6|"
        "//blockquote|//pre|//tr|//section|//article"
    ):
        block.tail = "\n\n" + (block.tail or "") if block.tag != "br" else "\n" + (block.tail or "")
    return clean_text(root.text_content())


def _unescape(text: str) -> str:
    import html

    return html.unescape(text or "")
