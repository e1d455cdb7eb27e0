"""Plain text for every stage: control characters out, spaces collapsed, sizes capped."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from curator.textutil import _BLANK_LINES, _CONTROL, _SPACES, clean_text, one_line


def _line_by_line(text: str, limit: int | None = None) -> str:
    """clean_text written the plain way: each line's spaces collapsed and stripped."""
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text)
    text = _CONTROL.sub(" ", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", text).strip()
    if limit and len(text) > limit:
        cut = text.rfind(" ", 0, limit)
        text = text[: cut if cut > limit * 0.8 else limit].rstrip() + "…"
    return text


@settings(max_examples=400, deadline=None)
@given(st.text() | st.text(alphabet=" \t\r\n\xa0\u2003\u200bab\x0c\x1c.", max_size=80))
def test_clean_text_is_each_line_cleaned(text: str) -> None:
    assert clean_text(text) == _line_by_line(text)
    assert clean_text(text, 20) == _line_by_line(text, 20)


def test_what_a_reader_sees() -> None:
    hostile = "Title\u202e gnp.exe \x00\r\n\r\n\r\n\r\n  two   spaces\t\xa0here  \n"
    assert clean_text(hostile) == "Title gnp.exe\n\ntwo spaces here"
    assert one_line("a\nb\r\nc") == "a b c"
    assert clean_text("word " * 100, 40).endswith("word…") and len(clean_text("w " * 99, 40)) <= 41
