"""Closeness in meaning: the packaged model, vectors made once per article and stored,
and curator going on by words alone when the model is missing or broken."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import Server, page, rss

from curator import embedding, pipeline
from curator.cli import cli
from curator.config import Settings, load_contacts, open_workspace
from curator.embedding import (
    DIMENSIONS,
    MeaningUnavailable,
    article_passage,
    load_embedder,
    similarities,
)
from curator.store import Store

WHEN = format_datetime(datetime.now(UTC))
CONTACTS = """\
contacts:
  - name: Ada Gardener
    interests: [growing tomatoes]
"""
OFF = "closeness in meaning is off"


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a new process would: nothing loaded, nothing said yet."""
    monkeypatch.setattr(embedding, "_warned", False)
    monkeypatch.setattr(embedding, "_loaded", {})
    monkeypatch.setattr(embedding, "_broken", {})


@pytest.fixture(scope="module")
def embedder() -> embedding.Embedder:
    found = load_embedder(Settings())
    assert found is not None
    return found


def test_vectors_are_unit_rows_and_close_texts_are_closest(embedder) -> None:
    interests = ["pro football", "mortgage rates", "houseplants", "covid"]
    pages = [
        "The quarterback threw three touchdowns as the NFL season opened on Sunday.",
        "The central bank raised interest rates again, making home loans dearer.",
        "How to care for a fiddle-leaf fig: light, water and repotting.",
        "New coronavirus quarantine rules take effect for travellers.",
    ]
    vectors = embedder.embed(pages)
    assert vectors.shape == (4, DIMENSIONS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    scores = similarities(embedder.phrases(interests), vectors)
    assert scores.shape == (4, 4)
    # each interest is closest to the page that paraphrases it, never naming it
    assert list(scores.argmax(axis=1)) == [0, 1, 2, 3]


def test_a_text_gets_the_same_vector_alone_or_in_a_padded_batch(embedder) -> None:
    short = "Tomatoes on a balcony"
    long = " ".join(["A long text about the weather in the mountains."] * 40)
    alone = embedder.embed([short])[0]
    batch = embedder.embed([long, short, long])
    assert np.allclose(batch[1], alone, atol=1e-4)
    assert not np.allclose(batch[0], alone, atol=1e-2)


def test_vectors_made_on_two_threads_are_those_of_one_call_and_made_once(
    tmp_path: Path, embedder
) -> None:
    seen: list[tuple[int, int]] = []
    with Store(tmp_path / "c.db") as store:
        ids = [
            store.add_article(
                url=f"u{i}",
                link=f"u{i}",
                title=f"Story {i}",
                text=f"Words about topic number {i}, " * (i % 30 + 1),
                author="",
                published=None,
                feed_id=None,
                feed_name="",
                source="feed",
            )
            for i in range(150)
        ]
        made = embedding.ensure_vectors(
            store, embedder, ids, threads=2, progress=lambda d, t: seen.append((d, t))
        )
        assert made == 150 and seen[-1] == (150, 150)
        passages = store.passages(ids, 10_000)
        expected = embedder.embed([article_passage(*passages[i]) for i in ids])
        stored = store.vectors(ids, embedder.model_id)
        got = embedding.unpack([stored[i] for i in ids])
        assert np.allclose(got, expected, atol=2e-3)
        assert embedding.ensure_vectors(store, embedder, ids, threads=2) == 0


def test_the_passage_is_the_title_and_the_opening_words() -> None:
    text = " ".join(f"w{i}" for i in range(500))
    passage = article_passage("  A   title ", text)
    assert passage.startswith("A title. w0 w1 ")
    assert passage.split()[-1] == f"w{embedding.OPENING_WORDS - 1}"
    assert article_passage("", "just text") == "just text"
    assert article_passage("Only a title", "") == "Only a title"


def test_the_packaged_model_is_checked_against_its_sha256(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model, tokenizer, sha = embedding.model_files("")
    assert sha == embedding.MODEL_SHA256
    damaged = tmp_path / "model.onnx"
    damaged.write_bytes(model.read_bytes()[:-10] + b"0123456789")
    monkeypatch.setattr(
        embedding, "_packaged", lambda package, name: damaged if "onnx" in name else tokenizer
    )
    with pytest.raises(MeaningUnavailable, match="damaged"):
        embedding.model_files("")


def test_a_folder_of_ones_own_is_used_relative_to_the_workspace(tmp_path: Path) -> None:
    model, tokenizer, _ = embedding.model_files("")
    own = tmp_path / "models" / "mine"
    own.mkdir(parents=True)
    (own / "model.onnx").write_bytes(model.read_bytes())
    (own / "tokenizer.json").write_bytes(tokenizer.read_bytes())
    found = load_embedder(Settings(meaning_model="models/mine"), tmp_path)
    assert found is not None and found.model_path == own / "model.onnx"
    assert found.embed(["tomatoes"]).shape == (1, DIMENSIONS)


def _setup(workspace: Path, http_server: Server, n: int, settings: str = "", **feed) -> None:
    items = []
    for i in range(n):
        path = f"/tomatoes-{i}.html"
        http_server.add(
            path,
            page(
                f"Growing tomatoes, week {i}",
                [f"Tomatoes on a balcony, week {i}: sun, deep pots and water."] * 4,
            ),
        )
        items.append(
            {
                "title": f"Growing tomatoes, week {i}",
                "link": http_server.url(path),
                "description": f"A short summary of week {i}.",
                "pubDate": WHEN,
            }
        )
    url = http_server.add("/feed.xml", rss(items), content_type="application/rss+xml")
    extra = "".join(f"    {k}: {str(v).lower()}\n" for k, v in feed.items())
    (workspace / "feeds.yaml").write_text(f"feeds:\n  - url: {url}\n{extra}", encoding="utf-8")
    (workspace / "contacts.yaml").write_text(CONTACTS, encoding="utf-8")
    (workspace / "curator.yaml").write_text(settings or "{}\n", encoding="utf-8")


def _run(workspace: Path):
    result = CliRunner().invoke(cli, ["-w", str(workspace), "run"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def _digest(workspace: Path) -> str:
    """The week's Markdown digest."""
    (found,) = (workspace / "output").glob("*/digest.md")
    return found.read_text(encoding="utf-8")


def _vectors(workspace: Path) -> dict[int, tuple[str, bytes]]:
    with Store(open_workspace(str(workspace)).db_path) as store:
        return {
            a: (m, v)
            for a, m, v in store.db.execute("SELECT article_id, model, vector FROM article_vectors")
        }


def test_vectors_are_made_once_after_fetching_and_never_again(
    workspace: Path, http_server: Server, monkeypatch: pytest.MonkeyPatch, embedder
) -> None:
    made: list[tuple[str, str]] = []
    real = embedding.article_passage
    monkeypatch.setattr(embedding, "article_passage", lambda *a: made.append(a) or real(*a))
    _setup(workspace, http_server, 6)
    _run(workspace)
    stored = _vectors(workspace)
    assert len(stored) == 6 and len(made) == 6
    assert {m for m, _ in stored.values()} == {embedder.model_id}
    with Store(open_workspace(str(workspace)).db_path) as store:
        title, text = store.passages([1], 10_000)[1]
    expected = embedder.embed([real(title, text)])[0]
    assert np.allclose(embedding.unpack([stored[1][1]])[0], expected, atol=2e-3)

    _run(workspace)  # a warm rerun
    assert _vectors(workspace) == stored
    assert len(made) == 6  # none made again


def test_articles_from_the_feeds_own_text_get_vectors_before_matching(
    workspace: Path, http_server: Server
) -> None:
    _setup(workspace, http_server, 3, full_text=True)
    _run(workspace)
    assert len(_vectors(workspace)) == 3
    assert all(http_server.hits(f"/tomatoes-{i}.html") == 0 for i in range(3))


def test_without_a_model_curator_matches_by_words_and_says_so_once(
    workspace: Path, http_server: Server
) -> None:
    (workspace / "empty").mkdir()
    _setup(workspace, http_server, 6, "meaning_model: empty\n")
    result = _run(workspace)
    assert result.stderr.count(OFF) == 1
    missing = workspace / "empty" / "model.onnx"
    assert f"{OFF}: meaning_model: {missing} is missing" in result.stderr
    assert "matching is by words only" in result.stderr
    assert _vectors(workspace) == {}
    assert "Growing tomatoes, week" in _digest(workspace)


def test_a_broken_model_of_ones_own_is_said_once_and_words_still_match(
    workspace: Path, http_server: Server
) -> None:
    _, tokenizer, _ = embedding.model_files("")
    own = workspace / "mine"
    own.mkdir()
    (own / "model.onnx").write_bytes(b"not a model")
    (own / "tokenizer.json").write_bytes(tokenizer.read_bytes())
    _setup(workspace, http_server, 6, "meaning_model: mine\n")
    result = _run(workspace)
    assert result.stderr.count(OFF) == 1
    assert f"{OFF}: {own / 'model.onnx'} is not a usable ONNX model" in result.stderr
    assert _vectors(workspace) == {}
    assert "Growing tomatoes, week" in _digest(workspace)


def test_meaning_switched_off_stores_no_vectors_and_says_nothing(
    workspace: Path, http_server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    _setup(workspace, http_server, 6)
    monkeypatch.setenv("CURATOR_MEANING", "off")
    result = _run(workspace)
    assert OFF not in result.stderr
    assert _vectors(workspace) == {}
    assert "Growing tomatoes, week" in _digest(workspace)
    verbose = CliRunner().invoke(cli, ["-w", str(workspace), "-v", "run"])
    assert f"{OFF}: switched off by the setting 'meaning'" in verbose.stderr


def test_a_vector_goes_with_its_article_and_its_model(tmp_path: Path) -> None:
    with Store(tmp_path / "c.db") as store:
        common = dict(link="x", text="t", author="", published=None, feed_id=None)
        a = store.add_article(url="a", title="A", feed_name="", source="page", **common)
        b = store.add_article(url="b", title="B", feed_name="", source="page", **common)
        assert a is not None and b is not None
        store.save_vectors("m1", [(b, embedding.pack(np.ones(DIMENSIONS)))])
        assert set(store.vectors([a, b], "m1")) == {b}
        assert store.vectors([a, b], "m2") == {}
        store.save_vectors("m2", [(b, embedding.pack(np.zeros(DIMENSIONS)))])
        assert set(store.vectors([a, b], "m2")) == {b} and store.vectors([a, b], "m1") == {}
        store.db.execute("DELETE FROM articles WHERE id = ?", (b,))
        assert store.db.execute("SELECT COUNT(*) FROM article_vectors").fetchone()[0] == 0


def test_matching_gets_every_vector_ready_and_the_model_freed(
    workspace: Path, http_server: Server
) -> None:
    _setup(workspace, http_server, 6)
    _run(workspace)
    ws = open_workspace(str(workspace))
    with Store(ws.db_path) as store:
        matcher = pipeline.Matcher.build(
            store,
            datetime(2000, 1, 1, tzinfo=UTC),
            "2026-W01",
            embedder=load_embedder(ws.settings, ws.root),
            contacts=load_contacts(ws),
        )
    meaning = matcher.meaning
    assert meaning is not None and meaning.articles.shape == (6, DIMENSIONS)
    stored = _vectors(workspace)  # rows follow the index's articles
    for row, article in zip(meaning.articles, matcher.index.articles, strict=True):
        assert np.array_equal(row, embedding.unpack([stored[article.id][1]])[0])
    assert not embedding.loaded()  # freed before the index is built
    scores = similarities(meaning.phrases(["growing tomatoes"]), meaning.articles)
    assert not embedding.loaded()  # the interest was embedded with the articles
    assert scores.min() > 0.5
