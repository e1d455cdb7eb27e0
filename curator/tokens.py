"""An article's words, split once where the text is extracted and stored beside it.

Splitting a week of text into words is most of the cost of building the index, and it
needs nothing but the text, so extraction workers do it in parallel while pages
download, and the run that indexes the week only looks each article's *distinct* words
up (a few hundred) instead of every word (a thousand or more). Lemmas stay with the
index, which knows which words it has seen.

The worker also lemmatises each distinct word (its lemmatiser warm, its cache shared by
all the pages it extracts), so the index needs no lemmatiser for stored articles.

A packed article is zlib-compressed: a header, the distinct words as written in order of
first appearance (newline-separated: a word never holds one), their lemmas in the same
order (empty where the lemma is the word folded: most words), then for every word of the
title and then of the text, the number of its distinct word (2 bytes, or 4 when an
article has more than 65,535 distinct words). About 60% of the size of the text itself.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass

import numpy as np

from curator.text import WORD, fold, word_lemma

# version, bytes per id, bytes of the forms, bytes of the lemmas, title ids, body ids
_HEADER = struct.Struct("<BBIIII")
_VERSION = 2


@dataclass(frozen=True)
class Words:
    """An article's distinct words as written, the lemma of each, and its title's and
    text's words as numbers into them."""

    forms: list[str]
    lemmas: list[str]  # empty where the lemma is the word folded (see ``lemma``)
    title: np.ndarray
    body: np.ndarray

    def lemma(self, k: int) -> str:
        return self.lemmas[k] or fold(self.forms[k])


def pack(title: str, text: str) -> bytes:
    """The words of an article's title and text, packed for storage."""
    forms: dict[str, int] = {}
    add = forms.setdefault
    title_ids = [add(w, len(forms)) for w in WORD.findall(title)]
    body_ids = [add(w, len(forms)) for w in WORD.findall(text)]
    width = 2 if len(forms) <= 0xFFFF else 4
    dtype = np.uint16 if width == 2 else np.uint32
    words = "\n".join(forms).encode("utf-8")
    lemmas = "\n".join(_lemma_unless_folded(w) for w in forms).encode("utf-8")
    ids = np.array(title_ids + body_ids, dtype=dtype).tobytes()
    header = _HEADER.pack(_VERSION, width, len(words), len(lemmas), len(title_ids), len(body_ids))
    return zlib.compress(header + words + lemmas + ids, 1)


def _lemma_unless_folded(written: str) -> str:
    lemma = word_lemma(written)
    return "" if lemma == fold(written) else lemma


def unpack(packed: bytes) -> Words:
    """The words of a packed article. Raises ValueError for bytes that are not a packed
    article of this version (an older one is split again from its text)."""
    try:
        raw = zlib.decompress(packed)
        version, width, size, lemma_size, n_title, n_body = _HEADER.unpack_from(raw)
    except (zlib.error, struct.error) as exc:
        raise ValueError(f"not a packed article: {exc}") from exc
    if version != _VERSION or width not in (2, 4):
        raise ValueError(f"not a packed article of version {_VERSION}")
    start = _HEADER.size
    forms = _lines(raw[start : start + size])
    lemmas = raw[start + size : start + size + lemma_size].decode("utf-8").split("\n")
    if len(lemmas) != max(1, len(forms)):  # no forms: one empty line
        raise ValueError("packed article is damaged")
    del lemmas[len(forms) :]
    ids = np.frombuffer(
        raw, dtype=np.uint16 if width == 2 else np.uint32, offset=start + size + lemma_size
    )
    if len(ids) != n_title + n_body or (len(ids) and int(ids.max()) >= len(forms)):
        raise ValueError("packed article is damaged")
    return Words(forms, lemmas, ids[:n_title], ids[n_title:])


def _lines(data: bytes) -> list[str]:
    text = data.decode("utf-8")
    return text.split("\n") if text else []
