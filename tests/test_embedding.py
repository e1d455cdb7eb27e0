"""Closeness in meaning: the packaged model, vectors made in the extraction workers and
stored once, and curator going on by words alone when the model is missing or broken."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import Server, page, rss

from curator import embedding
from curator.cli import cli
from curator.config import Settings, open_workspace
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


def test_the_embedder_travels_to_workers_without_its_session(embedder) -> None:
    embedder.embed(["load it"])
    copy = pickle.loads(pickle.dumps(embedder))
    assert copy._runtime is None and copy.model_id == embedder.model_id
    assert np.allclose(copy.embed(["tomatoes"]), embedder.embed(["tomatoes"]))


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


def test_vectors_are_made_in_the_workers_stored_once_and_never_made_again(
    workspace: Path, http_server: Server, monkeypatch: pytest.MonkeyPatch, embedder
) -> None:
    made_here: list[str] = []
    real = embedding.article_passage
    monkeypatch.setattr(embedding, "article_passage", lambda *a: made_here.append(a) or real(*a))
    _setup(workspace, http_server, 6)
    _run(workspace)
    stored = _vectors(workspace)
    assert len(stored) == 6
    assert {m for m, _ in stored.values()} == {embedder.model_id}
    # all six were made by the extraction workers: none by this process
    assert made_here == []
    with Store(open_workspace(str(workspace)).db_path) as store:
        title, text = store.passages([1], 10_000)[1]
    expected = embedder.embed([real(title, text)])[0]
    assert np.allclose(embedding.unpack([stored[1][1]])[0], expected, atol=2e-3)

    _run(workspace)  # a warm rerun
    assert _vectors(workspace) == stored
    assert made_here == []


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
    assert "is not a usable ONNX model" in result.stderr
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


def test_a_vector_goes_with_its_article(tmp_path: Path) -> None:
    with Store(tmp_path / "c.db") as store:
        common = dict(link="x", text="t", author="", published=None, feed_id=None)
        a = store.add_article(url="a", title="A", feed_name="", source="page", **common)
        b = store.add_article(
            url="b",
            title="B",
            feed_name="",
            source="page",
            vector=embedding.pack(np.ones(DIMENSIONS)),
            vector_model="m1",
            **common,
        )
        assert a is not None and b is not None
        assert set(store.vectors([a, b], "m1")) == {b}
        assert store.vectors([a, b], "m2") == {}
        store.db.execute("DELETE FROM articles WHERE id = ?", (b,))
        assert store.db.execute("SELECT COUNT(*) FROM article_vectors").fetchone()[0] == 0
