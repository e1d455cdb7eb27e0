"""Words split once at extraction, stored, and indexed without splitting the text again."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from curator import tokens
from curator.match import Index
from curator.models import Article
from curator.store import Store
from curator.text import WORD, word_spans


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80), st.text(max_size=400))
def test_unpacking_gives_back_every_word_in_order(title: str, text: str) -> None:
    forms, title_ids, body_ids = tokens.unpack(tokens.pack(title, text))
    assert [forms[i] for i in title_ids] == WORD.findall(title)
    assert [forms[i] for i in body_ids] == WORD.findall(text)


@settings(max_examples=300, deadline=None)
@given(st.text() | st.text(alphabet="ab1é_'’ -\n.", max_size=60))
def test_word_spans_are_where_the_words_are(text: str) -> None:
    spans = word_spans(text)
    assert [(spans[k], spans[k + 1]) for k in range(0, len(spans), 2)] == [
        m.span() for m in WORD.finditer(text)
    ]


def test_an_article_with_more_distinct_words_than_two_bytes_count() -> None:
    text = " ".join(f"w{i}" for i in range(70_000))
    forms, _, body_ids = tokens.unpack(tokens.pack("", text))
    assert len(forms) == 70_000 and body_ids.dtype == np.uint32
    assert forms[int(body_ids[-1])] == "w69999"


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[:-3],  # cut short
        lambda b: b"not zlib at all",
        lambda b: zlib.compress(b"\x09" + zlib.decompress(b)[1:]),  # unknown version
        lambda b: zlib.compress(zlib.decompress(b)[:-1]),  # ids cut mid-number
    ],
)
def test_damaged_words_are_refused_not_misread(damage) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError):
        tokens.unpack(damage(tokens.pack("A title", "Some words, some more words.")))


ARTICLES = [
    Article(1, "https://example.org/1", "Marathon training plans", "Long runs and tempo runs."),
    Article(2, "https://example.org/2", "Start-ups and AI", "The EVs of start-ups; it's AI."),
    Article(3, "https://example.org/3", "", "Café owners said the startups were organising."),
]


def _same(a: Index, b: Index) -> None:
    assert a.words == b.words and a.surfaces == b.surfaces
    for part in ("titles", "bodies"):
        assert np.array_equal(getattr(a, part).ids, getattr(b, part).ids)
        assert np.array_equal(getattr(a, part).offsets, getattr(b, part).offsets)
    assert np.array_equal(a.postings.docs, b.postings.docs)


def test_an_index_from_packed_words_equals_one_from_the_text() -> None:
    packed = [tokens.pack(a.title, a.text) for a in ARTICLES]
    _same(Index(ARTICLES), Index(ARTICLES, packed))
    mixed = [packed[0], ARTICLES[1].text, packed[2]]  # articles stored before m006 have none
    _same(Index(ARTICLES), Index(ARTICLES, mixed))


def test_damaged_stored_words_fall_back_to_the_text() -> None:
    sources = [tokens.pack(a.title, a.text) for a in ARTICLES]
    sources[1] = b"garbage"
    text_of = {a.id: a.text for a in ARTICLES}
    bare = [Article(a.id, a.url, a.title, "") for a in ARTICLES]
    _same(Index(ARTICLES), Index(bare, sources, text_of.__getitem__))


def test_the_store_keeps_words_and_indexes_from_them_without_the_text(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from curator.store import now

    with Store(tmp_path / "c.db") as store:
        for a in ARTICLES:
            store.add_article(
                url=a.url, link=a.url, title=a.title, text=a.text, author="", published=None,
                feed_id=None, feed_name="f", source="page",
            )  # fmt: skip
        since = now() - timedelta(days=1)
        sources = list(store.words_since(since))
        assert all(isinstance(s, bytes) for s in sources)
        bare = store.articles_since(since, text=False)
        assert all(a.text == "" for a in bare)
        index = Index(bare, sources, store.article_text)
        _same(Index(store.articles_since(since)), index)
        assert index.article(1).text == ARTICLES[1].text  # read back only when shown
        # an article stored before words were kept is split from its text
        store.db.execute("UPDATE articles SET tokens = NULL WHERE id = 2")
        assert isinstance(list(store.words_since(since))[1], str)
