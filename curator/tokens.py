"""An article's words, split once where the text is extracted and stored beside it.

Splitting a week of text into words is most of the cost of building the index, and it
needs nothing but the text, so extraction workers do it in parallel while pages
download, and the run that indexes the week only looks each article's *distinct* words
up (a few hundred) instead of every word (a thousand or more). Lemmas stay with the
index, which knows which words it has seen.

A packed article is zlib-compressed: a header, the distinct words as written in order of
first appearance (newline-separated: a word never holds one), then for every word of the
title and then of the text, the number of its distinct word (2 bytes, or 4 when an
article has more than 65,535 distinct words). About 60% of the size of the text itself.
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from curator.text import WORD

_HEADER = struct.Struct("<BBIII")  # version, bytes per id, forms' bytes, title ids, body ids
_VERSION = 1


def pack(title: str, text: str) -> bytes:
    """The words of an article's title and text, packed for storage."""
    forms: dict[str, int] = {}
    add = forms.setdefault
    title_ids = [add(w, len(forms)) for w in WORD.findall(title)]
    body_ids = [add(w, len(forms)) for w in WORD.findall(text)]
    width = 2 if len(forms) <= 0xFFFF else 4
    dtype = np.uint16 if width == 2 else np.uint32
    words = "\n".join(forms).encode("utf-8")
    ids = np.array(title_ids + body_ids, dtype=dtype).tobytes()
    header = _HEADER.pack(_VERSION, width, len(words), len(title_ids), len(body_ids))
    return zlib.compress(header + words + ids, 1)


def unpack(packed: bytes) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The distinct words, and the title's and text's words as numbers into them.

    Raises ValueError for bytes that are not a packed article of this version."""
    try:
        raw = zlib.decompress(packed)
        version, width, size, n_title, n_body = _HEADER.unpack_from(raw)
    except (zlib.error, struct.error) as exc:
        raise ValueError(f"not a packed article: {exc}") from exc
    if version != _VERSION or width not in (2, 4):
        raise ValueError(f"not a packed article of version {_VERSION}")
    start = _HEADER.size
    words = raw[start : start + size].decode("utf-8")
    forms = words.split("\n") if words else []
    ids = np.frombuffer(raw, dtype=np.uint16 if width == 2 else np.uint32, offset=start + size)
    if len(ids) != n_title + n_body or (len(ids) and int(ids.max()) >= len(forms)):
        raise ValueError("packed article is damaged")
    return forms, ids[:n_title], ids[n_title:]
