"""Fuzzy, explainable matching of interests against articles. Pure: no I/O.

The design scales with the number of distinct words rather than articles x interests x
text length:

1. ``Index`` lemmatises every article once and keeps, per article, its lemma ids in
   sorted order (positions by binary search) and, globally, which articles hold a lemma.
2. Each distinct interest *word* is expanded once against the vocabulary: exactly for
   short words and acronyms, by edit distance (rapidfuzz ``process.cdist``) for longer
   ones, so "lerning" finds "learning" but "sailing" never finds "failing".
3. Phrases are found through token positions: all of an interest's words within a small
   window, in any order ("marathon training" matches "training for a marathon"), plus
   the joined and split forms that make "start-ups", "start ups" and "startups" equal.
4. Scores reward what an article is about: saturated term frequency (BM25's), inverse
   document frequency, title and opening boosts, coverage of several interests, and a
   penalty for one passing mention deep in a long text.
"""

from __future__ import annotations

import math
import re
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import overload

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from curator import tokens
from curator.embedding import Meaning
from curator.models import Article, Contact, Interest, Reason
from curator.text import (
    WORD,
    american,
    content_words,
    derived_forms,
    fold,
    is_acronym,
    known,
    lemma,
    word_lemma,
    word_spans,
)

K1 = 1.2
B = 0.75
TITLE_WEIGHT = 2.0  # a title hit counts as this many body hits
OPENING_TOKENS = 80  # the "lede": hits here show the article is about the topic
PASSING_PENALTY = 0.2  # one mention deep in a long text: scores a fifth
LONG_TEXT = 250  # tokens; a single mention deep in a longer text is "in passing"
COVERAGE_BONUS = 0.2  # per extra interest matched
CONTEXT_BONUS = 0.1  # per word of their other interests found anywhere (up to 3)
MIN_FUZZY_LEN = 6  # words of five letters or fewer match exactly
DERIVED_SIMILARITY = 90  # "robot" for "robotics": the same topic, not the same word
WINDOW_SLACK = 3  # extra tokens allowed between the words of a phrase
LOOSE_WEIGHT = 0.5  # an occurrence with more than two other words inside counts this much
PRIOR_DOCS = 50  # pseudo-documents holding none of the words, for idf in small workspaces
# Graded evidence: an interest's score in an article sums every kind of evidence found,
# each weighted. The whole phrase read together is the strongest words can give; its
# words present apart count by idf, by how many of them appear and how often (saturated,
# length-normalised, so a long page does not win by length); closeness in meaning
# reaches the paraphrases words cannot.
PHRASE_WEIGHT = 0.5
PHRASE_SCALE = 10.0  # a phrase score this high (idf x saturated tf) counts as 1
PHRASE_CAP = 1.5
WORDS_WEIGHT = 1.0
SHORT_TEXT = 50  # tokens: the length of a paragraph, the least a text counts as
NEAR_WINDOW = 15  # tokens: two words of a phrase this close are read as one topic
APART = 0.5  # the words evidence of a phrase whose words never stand that close
MEANING_WEIGHT = 2.5  # what a cosine of MEANING_FULL counts for
MEANING_FULL = 0.6  # a cosine this high: the article is about the interest, in other words
MEANING_FLOOR = 0.1  # cosine below which an article is no closer than unrelated text
MEANING_ALONE = 0.7  # the share meaning counts for where none of the interest's words occur
AVOID_MEANING = 0.45  # an article whose title and opening are this close is about the topic
AVOID_NEARER = 0.3  # ... or this close, and closer to it than to any of the person's interests
OTHERS_WEIGHT = 0.35  # the contact's other interests add this share of their scores
EVIDENCE_KINDS = ("phrase", "words", "meaning")
# the share of the minimum score asked when meaning is off: words alone never reach
# what words and closeness in meaning reach together
WORDS_ONLY_SHARE = 0.6


@dataclass(frozen=True)
class Hit:
    """How one interest phrase occurs in one article."""

    phrase: str
    title_positions: tuple[tuple[int, ...], ...]  # each occurrence in the title, likewise
    body_positions: tuple[tuple[int, ...], ...]  # each occurrence: the positions of its words
    similarity: int  # worst similarity (0-100) among the words that matched
    words: tuple[tuple[str, str, int], ...]  # (interest word, article lemma, similarity)

    @property
    def count(self) -> int:
        return len(self.title_positions) + len(self.body_positions)

    @property
    def where(self) -> str:
        if self.title_positions and self.body_positions:
            return "title and body"
        return "title" if self.title_positions else "body"


class InterestMatch:
    """The best evidence for one of a contact's interests in one article.

    The hit (positions, words) is found again only when asked for: matching scores every
    article holding a phrase, but only the few suggested or explained need their evidence,
    and keeping every phrase's hits for every article is what made memory grow with each
    contact matched.
    """

    __slots__ = (
        "_article",
        "_hit",
        "_index",
        "closeness",
        "evidence",
        "interest",
        "phrase",
        "score",
    )

    def __init__(
        self,
        interest: Interest,
        hit: Hit | None,
        score: float,
        *,
        phrase: str = "",
        index: Index | None = None,
        article: int = -1,
    ) -> None:
        self.interest = interest
        self.score = score
        self.phrase = hit.phrase if hit is not None else phrase
        self._hit = hit
        self._index = index
        self._article = article
        self.evidence: dict[str, float] = {}  # weighted, per kind of EVIDENCE_KINDS
        self.closeness: float | None = None  # cosine in meaning; None when meaning is off

    @property
    def hit(self) -> Hit:
        if self._hit is None:
            assert self._index is not None
            self._hit = self._index.hit(self.phrase, self._article)
        return self._hit

    def __repr__(self) -> str:
        return f"InterestMatch({self.interest.topic!r}, {self.phrase!r}, {self.score:.3f})"


@dataclass
class ArticleMatch:
    """An article scored for one contact, with evidence per interest and any avoid hits."""

    index: int
    score: float
    interests: list[InterestMatch] = field(default_factory=list)
    avoided: list[InterestMatch] = field(default_factory=list)  # substantial avoid-topic hits
    mentioned_avoid: list[InterestMatch] = field(default_factory=list)  # passing mentions
    coverage: float = 1.0  # the multiplier for matching several interests
    context: tuple[str, ...] = ()  # words of their other interests found in it


class ContactMatches(Sequence[ArticleMatch]):
    """One contact's matching articles, best first (score, then article order).

    Scored with arrays over the whole window (the same floats, summed in the same order,
    as one ArticleMatch at a time would give); an ArticleMatch with its per-interest
    evidence is made only for the articles someone looks at: the few suggested, or one
    explained. Most of a person's matches are never more than a number in these arrays.
    """

    def __init__(self, index: Index, contact: Contact, meaning: Meaning | None = None) -> None:
        self.index = index
        self.contact = contact
        n = len(index.articles)
        interests = contact.interests
        closeness = _closeness(meaning, [*interests, *contact.avoid], n)
        per_interest = [index.evidence(i, c) for i, c in zip(interests, closeness, strict=False)]
        self._evidence = [e for e, _ in per_interest]  # per interest: kinds x articles
        self._phrase_of = [p for _, p in per_interest]
        self._closeness = closeness
        scores = (
            np.stack([e.sum(axis=0) for e in self._evidence]) if interests else np.zeros((0, n))
        )
        self._interest_scores = scores
        best = scores.max(axis=0) if interests else np.zeros(n)
        # The interest it is most about decides; the others add a share, so an article on
        # two of a person's interests goes before one on either alone.
        score = best + OTHERS_WEIGHT * (scores.sum(axis=0) - best) if interests else best
        # Words of their other interests anywhere in the text hint that the article is
        # in the sense they mean: Python with "tests" rather than with "snakes".
        context = index._context_words(contact)
        read = [e[0] > 0 for e in self._evidence]  # the phrase read together
        topic_found: dict[str, np.ndarray] = {}
        for interest, has in zip(interests, read, strict=True):
            topic_found[interest.topic] = topic_found.get(interest.topic, has) | has
        wanted: dict[int, np.ndarray] = {}  # word -> articles where a topic lacking it wants it
        for topic, words in context.items():
            for w in words:
                wanted[w] = wanted.get(w, np.zeros(n, dtype=bool)) | ~topic_found[topic]
        self._hints = {w: index.holds(w) & need for w, need in wanted.items()}
        hints = np.zeros(n, dtype=np.int64)
        for held in self._hints.values():
            hints += held
        score = score * (1 + CONTEXT_BONUS * np.minimum(hints, 3))
        self._avoid = [index._best_dense(_avoid_topic(topic)) for topic in contact.avoid]
        avoided = np.zeros(n, dtype=bool)
        wanted = [c for c in closeness[: len(interests)] if c is not None]
        nearest = np.max(wanted, axis=0) if wanted else np.zeros(n)
        self._about_avoided: list[np.ndarray | None] = []
        for k, (found, _, substantial) in enumerate(self._avoid):
            avoided |= (found > -np.inf) & substantial
            near = closeness[len(interests) + k]
            about = None
            if near is not None:
                # about the avoided topic: close to it, and closer than to anything wanted
                about = (near >= AVOID_MEANING) | ((near >= AVOID_NEARER) & (near > nearest))
                avoided |= about
            self._about_avoided.append(about)
        held = np.flatnonzero(score > 0)
        order = np.lexsort((held, -score[held]))
        self.indexes = held[order]  # article indexes, best first
        self.scores = score[self.indexes]
        self.avoided = avoided[self.indexes]  # substantially about an avoid topic
        self._avoided = avoided
        self._score = score  # per article of the window
        self._coverage = np.divide(score, best, out=np.ones(n), where=best > 0)
        # the interest that scores highest in each article (the first listed on a tie)
        self.leads = (
            np.argmax(scores[:, self.indexes], axis=0) if interests else np.zeros(0, dtype=np.int64)
        )
        self.floor_scale = 1.0 if meaning is not None else WORDS_ONLY_SHARE
        # the lead interest's own score: what the absolute floor asks of an article
        self.lead_scores = scores[:, self.indexes].max(axis=0) if interests else np.zeros(0)
        self._made: dict[int, ArticleMatch] = {}

    def __len__(self) -> int:
        return len(self.indexes)

    @overload
    def __getitem__(self, k: int) -> ArticleMatch: ...
    @overload
    def __getitem__(self, k: slice) -> list[ArticleMatch]: ...
    def __getitem__(self, k: int | slice) -> ArticleMatch | list[ArticleMatch]:
        if isinstance(k, slice):
            return [self[i] for i in range(*k.indices(len(self)))]
        return self.article_match(int(self.indexes[k]))

    def article_match(self, article: int) -> ArticleMatch:
        """The full evidence for one matching article (made once, then kept)."""
        made = self._made.get(article)
        if made is not None:
            return made
        index = self.index
        interests = []
        for k, interest in enumerate(self.contact.interests):
            score = float(self._interest_scores[k, article])
            if score <= 0:
                continue
            found = index._interest_match(
                interest, article, score, interest.phrases[self._phrase_of[k][article]]
            )
            found.evidence = dict(
                zip(EVIDENCE_KINDS, self._evidence[k][:, article].tolist(), strict=True)
            )
            near = self._closeness[k]
            found.closeness = float(near[article]) if near is not None else None
            interests.append(found)
        interests.sort(key=lambda m: m.score, reverse=True)
        match = ArticleMatch(article, float(self._score[article]), interests)
        match.coverage = float(self._coverage[article])
        match.context = tuple(
            sorted(index.words[w] for w, held in self._hints.items() if held[article])
        )
        offset = len(self.contact.interests)
        for k, (topic, (best, phrase_of, substantial)) in enumerate(
            zip(self.contact.avoid, self._avoid, strict=True)
        ):
            near = self._closeness[offset + k]
            about = self._about_avoided[k]
            close = about is not None and bool(about[article])
            if best[article] > -np.inf or close:
                topic = _avoid_topic(topic)
                found = index._interest_match(
                    topic,
                    article,
                    float(max(best[article], 0)),
                    topic.phrases[phrase_of[article]],
                )
                found.closeness = float(near[article]) if near is not None else None
                about = bool(substantial[article]) or close
                (match.avoided if about else match.mentioned_avoid).append(found)
        self._made[article] = match
        return match


# Words that name the kind of text rather than its subject: "crime stories", "weight-loss
# content" are about crime and weight loss.
MEDIUM_WORDS = frozenset(
    {"article", "articles", "content", "coverage", "news", "piece", "pieces"}
    | {"post", "posts", "stories", "story", "stuff"}
)


def _avoid_topic(topic: Interest) -> Interest:
    """An avoid topic with each phrase also without its words for the kind of text."""
    also = list(topic.also)
    for phrase in topic.phrases:
        words = re.findall(r"[\w'-]+", phrase)
        kept = [w for w in words if w.casefold() not in MEDIUM_WORDS]
        if kept and len(kept) < len(words):
            also.append(" ".join(kept))
    return replace(topic, also=tuple(also)) if len(also) > len(topic.also) else topic


def _closeness(
    meaning: Meaning | None, interests: Sequence[Interest], n: int
) -> list[np.ndarray | None]:
    """Per interest (or avoid topic), the cosine of each article's title and opening with
    the nearest of its phrases; None for each when meaning is off."""
    if meaning is None or not interests:
        return [None] * len(interests)
    phrases = [p for i in interests for p in i.phrases]
    # unit vectors' dot products, by einsum's own loop: a BLAS matrix product wakes its
    # threads for each contact, which costs more than the product on a busy machine
    vectors = np.asarray(meaning.phrases(phrases), dtype=np.float32)
    articles = np.asarray(meaning.articles, dtype=np.float32)
    cosines = np.einsum("pd,ad->pa", vectors, articles).astype(np.float64)
    out: list[np.ndarray | None] = []
    row = 0
    for interest in interests:
        count = len(interest.phrases)
        out.append(cosines[row : row + count].max(axis=0))
        row += count
    return out


@dataclass
class _Doc:
    length: int
    title_ids: np.ndarray  # in text order (views into the index's arrays)
    body_ids: np.ndarray


FEW_DOCS = 8  # phrase search in this many articles or fewer scans their tokens directly
SORT_CHUNK = 1 << 20  # tokens argsorted at a time when building the positional index


def _stable_order(ids: np.ndarray, starts: np.ndarray, vocabulary: int) -> np.ndarray:
    """``np.argsort(ids, kind="stable")`` as int32, a chunk at a time: a whole-window
    argsort makes an int64 array of every token, the index's peak memory at 10,000
    articles. Each chunk's occurrences of a word go after the earlier chunks' ones."""
    order = np.empty(len(ids), dtype=np.int32)
    placed = starts[:-1].copy()  # where the next occurrence of each word goes
    for begin in range(0, len(ids), SORT_CHUNK):
        chunk = ids[begin : begin + SORT_CHUNK]
        local = np.argsort(chunk, kind="stable")
        sorted_ids = chunk[local]
        counts = np.bincount(chunk, minlength=vocabulary)
        local_starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        rank = np.arange(len(chunk)) - local_starts[sorted_ids]
        order[placed[sorted_ids] + rank] = local + begin
        placed += counts
    return order


class _Postings:
    """Per word id, the sorted indexes of the articles holding it: one array for all words
    (a Python list and a numpy array per word cost more than the ids themselves)."""

    def __init__(self, pairs: np.ndarray, offsets: np.ndarray, vocabulary: int):
        counts = np.bincount(pairs, minlength=vocabulary) if len(pairs) else np.zeros(vocabulary)
        self.starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        order = _stable_order(pairs, self.starts, vocabulary)
        # the pairs were added article by article, so a stable sort keeps articles in order
        self.docs = np.empty(len(pairs), dtype=np.int32)
        for begin in range(0, len(order), SORT_CHUNK):
            chunk = order[begin : begin + SORT_CHUNK]
            self.docs[begin : begin + len(chunk)] = np.searchsorted(offsets, chunk, "right") - 1

    def __getitem__(self, word_id: int) -> np.ndarray:
        return self.docs[self.starts[word_id] : self.starts[word_id + 1]]

    def __len__(self) -> int:
        return len(self.starts) - 1


class _Tokens:
    """The word ids of every article's title (or body) in one array, with a positional
    inverted index over it: per word id, where it occurs, as positions into that array,
    sorted. Eight bytes a token and a handful of arrays in all, instead of several small
    numpy arrays per article whose overhead and per-call cost dominated phrase search."""

    def __init__(self, ids: np.ndarray, offsets: np.ndarray, vocabulary: int):
        self.ids = ids
        self.offsets = offsets  # where each article starts; one extra at the end
        counts = np.bincount(ids, minlength=vocabulary) if len(ids) else np.zeros(vocabulary)
        self.starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        self.order = _stable_order(ids, self.starts, vocabulary)

    def doc(self, index: int) -> np.ndarray:
        return self.ids[self.offsets[index] : self.offsets[index + 1]]

    def where(self, word_ids: np.ndarray) -> np.ndarray:
        """Positions in the whole array of any of these words, sorted."""
        parts = [self.order[self.starts[w] : self.starts[w + 1]] for w in word_ids.tolist()]
        if not parts:
            return np.zeros(0, dtype=np.int64)
        found = parts[0] if len(parts) == 1 else np.sort(np.concatenate(parts))
        return found.astype(np.int64)

    def doc_of(self, positions: np.ndarray) -> np.ndarray:
        """The article each position of the whole array belongs to."""
        return np.searchsorted(self.offsets, positions, "right") - 1

    def positions(self, word_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Articles and in-article positions of any of these words, in article order."""
        parts = [self.order[self.starts[w] : self.starts[w + 1]] for w in word_ids.tolist()]
        found = parts[0] if len(parts) == 1 else np.sort(np.concatenate(parts))
        docs = np.searchsorted(self.offsets, found, "right") - 1
        return docs, found - self.offsets[docs]


_NOWHERE = 1 << 40  # the first body position of an article with none
# (similarity / 100) ** 2 for each similarity, computed as score_parts computes it
_SQUARED = np.array([(s / 100) ** 2 for s in range(101)])


@dataclass
class _Occurrences:
    """Occurrences of one form of a phrase in titles or bodies, in text order: article,
    first position in it, weight (1 read together, LOOSE_WEIGHT apart) and similarity."""

    docs: np.ndarray
    first: np.ndarray
    weight: np.ndarray
    similarity: np.ndarray


@dataclass
class _Stats:
    """Per article holding a form of a phrase: what ``score_parts`` reads off its Hit."""

    docs: np.ndarray
    title_weight: np.ndarray
    title_count: np.ndarray
    body_weight: np.ndarray
    body_count: np.ndarray
    first_body: np.ndarray
    similarity: np.ndarray  # at the first occurrence: in the title if any, else the body

    @classmethod
    def empty(cls) -> _Stats:
        none = np.zeros(0, dtype=np.int64)
        return cls(none, none, none, none, none, none, none)

    @classmethod
    def combine(cls, title: _Occurrences, body: _Occurrences) -> _Stats:
        docs = np.union1d(title.docs, body.docs)
        n = len(docs)
        at_title = np.searchsorted(docs, title.docs)
        at_body = np.searchsorted(docs, body.docs)
        similarity = np.zeros(n, dtype=np.int64)
        first_body = np.full(n, _NOWHERE, dtype=np.int64)
        if len(at_body):
            held, start = np.unique(at_body, return_index=True)
            similarity[held] = body.similarity[start]
            first_body[held] = np.minimum.reduceat(body.first, start)
        if len(at_title):
            held, start = np.unique(at_title, return_index=True)
            similarity[held] = title.similarity[start]
        return cls(
            docs,
            np.bincount(at_title, weights=title.weight, minlength=n),
            np.bincount(at_title, minlength=n),
            np.bincount(at_body, weights=body.weight, minlength=n),
            np.bincount(at_body, minlength=n),
            first_body,
            similarity,
        )


def _occurrences_of(
    tokens: _Tokens, words: list[tuple[np.ndarray, np.ndarray]], window: int, adjacent: bool
) -> _Occurrences:
    """``_occurrences`` over every article at once, for one or two words whose ids (sorted,
    with their similarities) do not overlap: the same occurrences, found with arrays."""
    (ids, sims), rest = words[0], words[1:]
    anchors = tokens.where(ids)
    docs = tokens.doc_of(anchors)
    similarity = sims[np.searchsorted(ids, tokens.ids[anchors])]
    if not rest:
        weight = np.ones(len(anchors))
        return _Occurrences(docs, anchors - tokens.offsets[docs], weight, similarity)
    other_ids, other_sims = rest[0]
    others = tokens.where(other_ids)
    ends = tokens.offsets[docs + 1]  # where each anchor's article ends
    starts = tokens.offsets[docs]
    if adjacent:
        partner = anchors + 1
        at = np.minimum(np.searchsorted(others, partner), max(len(others) - 1, 0))
        valid = (partner < ends) & (others[at] == partner) if len(others) else partner < 0
    else:
        # the nearest of the other word's positions within the window, in the same
        # article; the one before the anchor when two are as near (as ``min`` picks)
        at = np.searchsorted(others, anchors)
        before = others[np.maximum(at - 1, 0)] if len(others) else anchors
        after = others[np.minimum(at, len(others) - 1)] if len(others) else anchors
        ok_before = (at > 0) & (before >= starts) & (anchors - before <= window)
        ok_after = (at < len(others)) & (after < ends) & (after - anchors <= window)
        take_before = ok_before & (~ok_after | (anchors - before <= after - anchors))
        partner = np.where(take_before, before, after)
        valid = ok_before | ok_after
    anchors, partner, docs = anchors[valid], partner[valid], docs[valid]
    similarity = np.minimum(
        similarity[valid], other_sims[np.searchsorted(other_ids, tokens.ids[partner])]
    )
    low, high = np.minimum(anchors, partner), np.maximum(anchors, partner)
    if len(anchors) > 1 and not np.all(anchors[1:] > high[:-1]):
        # an anchor inside the previous occurrence starts none: drop it, in order
        keep = np.zeros(len(anchors), dtype=bool)
        last = -1
        for k, (anchor, end) in enumerate(zip(anchors.tolist(), high.tolist(), strict=True)):
            if anchor > last:
                keep[k] = True
                last = end
        anchors, low, high, docs, similarity = (
            a[keep] for a in (anchors, low, high, docs, similarity)
        )
    weight = np.where(high - low <= len(words) + 1, 1.0, LOOSE_WEIGHT)
    return _Occurrences(docs, low - tokens.offsets[docs], weight, similarity)


def _ints(buffer: array) -> np.ndarray:
    """The buffer's ints as an array, without a copy (an empty one has no buffer)."""
    return np.frombuffer(buffer, dtype=np.int32) if len(buffer) else np.zeros(0, np.int32)


def _disjoint(occurrences: set[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """Occurrences in order, leaving out any that shares a word with an earlier one."""
    kept: list[tuple[int, ...]] = []
    taken: set[int] = set()
    for occurrence in sorted(occurrences):
        if not taken.intersection(occurrence):
            kept.append(occurrence)
            taken.update(occurrence)
    return kept


def _pool(hits: list[Hit]) -> Hit:
    """One Hit from the hits of several variants of a phrase, overlapping occurrences once."""
    if len(hits) == 1:
        return hits[0]
    title = _disjoint({o for h in hits for o in h.title_positions})
    body = _disjoint({o for h in hits for o in h.body_positions})
    best = max(hits, key=lambda h: (h.count, h.similarity))
    return Hit(
        best.phrase,
        tuple(title),
        tuple(body),
        round(sum(h.similarity * h.count for h in hits) / sum(h.count for h in hits)),
        best.words,
    )


def _occurrences(positions: list[list[int]], window: int, adjacent: bool) -> list[tuple[int, ...]]:
    """Occurrences of a phrase from the sorted positions of each of its words: anchored on
    the first word, the others adjacent or the nearest within the window, never reusing a
    word; each occurrence starts after the previous one ends."""
    if any(not p for p in positions):
        return []
    if len(positions) == 1:
        return [(p,) for p in positions[0]]
    found: list[tuple[int, ...]] = []
    last_end = -1
    for anchor in positions[0]:
        if anchor <= last_end:
            continue
        chosen = [anchor]
        for k, others in enumerate(positions[1:], start=1):
            if adjacent:
                want = anchor + k
                at = bisect_left(others, want)
                if at < len(others) and others[at] == want:
                    chosen.append(want)
                    continue
                break
            lo = bisect_left(others, anchor - window)
            hi = bisect_right(others, anchor + window)
            near = [p for p in others[lo:hi] if p not in chosen]
            if not near:
                break
            chosen.append(min(near, key=lambda p: abs(p - anchor)))
        if len(chosen) == len(positions):
            found.append(tuple(sorted(chosen)))
            last_end = max(chosen)
    return found


def _tightness(occurrence: tuple[int, ...]) -> float:
    """1 for words read together (up to two others between them), LOOSE_WEIGHT otherwise."""
    return 1.0 if occurrence[-1] - occurrence[0] <= len(occurrence) + 1 else LOOSE_WEIGHT


class Index:
    """The stored articles, lemmatised once, ready for phrase queries."""

    def __init__(
        self,
        articles: Sequence[Article],
        texts: Iterable[str | bytes] | None = None,
        load_text: Callable[[int], str] | None = None,
    ):
        """Index ``articles``; with ``texts`` (one per article, in order: its text, or its
        words packed by ``tokens.pack``) the text is read once and not kept, and
        ``load_text(article_id)`` gives it back for the few articles shown, so a week of
        text need not stay in memory while matching."""
        self.articles = list(articles)
        self._load_text = load_text
        self._full: dict[int, Article] = {}
        self._spans: dict[int, array] = {}  # word_spans of the texts in _full
        self.vocab: dict[str, int] = {}
        self.words: list[str] = []
        self.surfaces: dict[str, int] = {}  # folded written form -> lemma id
        self._written: dict[str, int] = {}  # form as written -> lemma id, to skip folding
        # Every article's title and text word ids, and its distinct ids (the postings,
        # sorted by word later), each appended to one growing buffer: a small array per
        # article would leave the heap fragmented long after they are joined.
        titles, bodies, pairs = array("i"), array("i"), array("i")
        title_offsets, body_offsets, pair_offsets = [0], [0], [0]
        sources = (a.text for a in self.articles) if texts is None else texts
        for article, source in zip(self.articles, sources, strict=True):
            title_ids, body_ids, distinct = self._article_ids(article, source)
            titles.frombytes(title_ids.tobytes())
            bodies.frombytes(body_ids.tobytes())
            pairs.frombytes(distinct.tobytes())
            title_offsets.append(len(titles))
            body_offsets.append(len(bodies))
            pair_offsets.append(len(pairs))
        self.titles = _Tokens(_ints(titles), np.asarray(title_offsets), len(self.words))
        self.bodies = _Tokens(_ints(bodies), np.asarray(body_offsets), len(self.words))
        self.docs = [
            _Doc(
                int(body_offsets[k + 1] - body_offsets[k]),
                self.titles.doc(k),
                self.bodies.doc(k),
            )
            for k in range(len(self.articles))
        ]
        self.postings = _Postings(_ints(pairs), np.asarray(pair_offsets), len(self.words))
        self.df = np.diff(self.postings.starts).astype(np.int32)
        self.lengths = np.diff(body_offsets)
        self.avg_length = (sum(d.length for d in self.docs) / len(self.docs)) if self.docs else 1
        self._expansions: dict[tuple[str, bool, str, bool], dict[int, int]] = {}
        self._buckets: dict[tuple[str, int], list[str]] | None = None
        self._american: dict[str, set[int]] | None = None
        # Per phrase: the articles holding it, their unweighted scores and whether each is
        # substantial. Compact arrays, shared by every contact with the phrase.
        self._scores: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self._words: dict[str, np.ndarray] = {}  # words_evidence per phrase

    def _article_ids(
        self, article: Article, source: str | bytes
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Word ids of an article's title and text, from its text or its packed words, and
        the distinct ids among them, sorted."""
        if isinstance(source, bytes):
            try:
                forms, title_local, body_local = tokens.unpack(source)
            except ValueError:  # damaged: split the text again
                text = self._load_text(article.id) if self._load_text else article.text
                return self._article_ids(article, text)
            ids = np.array(self._lookup(forms), dtype=np.int32)
            return ids[title_local], ids[body_local], np.unique(ids)
        title_ids = np.array(self._ids(article.title), dtype=np.int32)
        body_ids = np.array(self._ids(source), dtype=np.int32)
        return title_ids, body_ids, np.unique(np.concatenate([title_ids, body_ids]))

    def _ids(self, text: str) -> list[int]:
        return self._lookup(WORD.findall(text))

    def _lookup(self, words: list[str]) -> list[int]:
        """The ids of words as written. Most were seen before as written: one dict lookup
        instead of folding, the capitals test and lemmatising for every one."""
        seen = self._written
        ids = list(map(seen.get, words))
        k = -1
        try:
            while True:  # only the new words cost Python work; list.index scans in C
                k = ids.index(None, k + 1)
                word_id = seen.get(words[k])  # may be the same word earlier in words
                if word_id is None:
                    word_id = seen[words[k]] = self._new_id(words[k])
                ids[k] = word_id
        except ValueError:
            return ids  # type: ignore[return-value]

    def _new_id(self, written: str) -> int:
        # Words in capitals ("AI", "US", "IT", "EVs") keep their own ids, so an acronym
        # matches only where it is written as one, never "it", "us" or "ai" in "said".
        capitals = (len(written) >= 2 and written.isupper()) or (
            len(written) >= 3 and written[-1] == "s" and written[:-1].isupper()
        )
        key = written if capitals else fold(written)
        word_id = self.surfaces.get(key)
        if word_id is None:
            lem = word_lemma(written)
            word_id = self.surfaces[key] = self._id(lem.upper() if capitals else lem)
        return word_id

    def _id(self, word: str) -> int:
        word_id = self.vocab.get(word)
        if word_id is None:
            word_id = self.vocab[word] = len(self.words)
            self.words.append(word)
        return word_id

    def __len__(self) -> int:
        return len(self.articles)

    def article(self, index: int) -> Article:
        """The article at ``index`` with its text, loaded again if it was not kept."""
        article = self.articles[index]
        if article.text or self._load_text is None:
            return article
        full = self._full.get(index)
        if full is None:
            full = self._full[index] = replace(article, text=self._load_text(article.id))
        return full

    # -- word expansion ------------------------------------------------------------------

    def _bucket(self, first: str, length: int) -> list[str]:
        """Written forms of the vocabulary by first letter and length, built once."""
        if self._buckets is None:
            self._buckets = {}
            for surface in self.surfaces:
                self._buckets.setdefault((surface[:1], len(surface)), []).append(surface)
        return self._buckets.get((first, length), [])

    def expand(
        self, word: str, exact: bool = False, written: str = "", context: bool = False
    ) -> dict[int, int]:
        """Vocabulary ids a (lemmatised) interest word stands for, with similarity 0-100.

        Short words and acronyms match exactly (after plural folding); an acronym only
        where it is written in capitals, any other word in any case. Longer words also
        match, at a lower similarity:

        - derivations on a root of four letters or more ("robotics" / "robot", "Russia" /
          "Russian"; see ``text.derived_forms``);
        - spellings within one edit (two from nine letters up) that start with the same
          letter, provided at most one of the two is a dictionary word: a typo in the
          interest ("lerning") or in the article ("hydrangeya") is caught, but two real
          words ("sailing" / "failing", "learning" / "leaning") are never confused. A
          misspelt interest takes only its nearest spellings.

        With ``context`` (the word is one of a phrase whose other words must stand near
        it), a short word also matches its spellings one edit away, on the same rule:
        "wlid" in "Breath of the Wlid" finds "wild", while "wine" alone never finds "wie".
        """
        written = written or word
        key = (word, exact, written, context)
        if key in self._expansions:
            return self._expansions[key]
        found: dict[int, int] = {}
        acronym = exact and written.isupper()
        forms = (written,) if acronym else (word, written, word.upper(), written.upper())
        for form in forms:
            own = self.vocab.get(form, self.surfaces.get(form))
            if own is not None:
                found[own] = 100
        if not exact:
            for same in self._spellings_of(word, written):
                found.setdefault(same, 100)
            for form in derived_forms(word) | derived_forms(written):
                related = self.vocab.get(form, self.surfaces.get(form))
                if related is not None and related not in found:
                    found[related] = DERIVED_SIMILARITY
            if len(written) >= MIN_FUZZY_LEN or (context and len(written) >= 3):
                for candidate, similarity in self._near_spellings(written).items():
                    word_id = self.surfaces[candidate]
                    if word_id not in found:
                        found[word_id] = similarity
        self._expansions[key] = found
        return found

    def _spellings_of(self, *words: str) -> set[int]:
        """Ids of the articles' words that are these in British or American spelling."""
        if self._american is None:
            self._american = {}
            for table in (self.surfaces, self.vocab):
                for form, word_id in table.items():
                    us = american(form)
                    if us != form:
                        self._american.setdefault(us, set()).add(word_id)
        found: set[int] = set()
        for word in words:
            us = american(word)
            found |= self._american.get(us, set())
            same = self.vocab.get(us, self.surfaces.get(us))
            if same is not None:
                found.add(same)
        return found

    def _near_spellings(self, word: str) -> dict[str, int]:
        limit = 1 if len(word) < 9 else 2
        candidates = [
            w
            for length in range(len(word) - limit, len(word) + limit + 1)
            for w in self._bucket(word[:1], length)
            if w != word
        ]
        if not candidates:
            return {}
        distances = process.cdist(
            [word], candidates, scorer=OSA.distance, score_cutoff=limit, dtype=np.uint8
        )[0]
        word_known = known(word)
        near = {
            candidates[j]: round(fuzz.ratio(word, candidates[j]))
            for j in np.flatnonzero(distances <= limit).tolist()
            if not (word_known and known(candidates[j]))
        }
        if near and not word_known:
            best = max(near.values())
            near = {w: s for w, s in near.items() if s == best}
        return near

    # -- phrase search -------------------------------------------------------------------

    def _variants(self, phrase: str) -> list[tuple[list[tuple[str, str, bool]], bool]]:
        """Word sequences equivalent to a phrase, each with whether its words must be
        adjacent: as written, joined ("start ups" -> "startups") or split in two
        ("startups" -> "start ups", "start-ups"). Each word is (lemma, folded, exact).

        The words as written may stand in any order within a small window ("training for
        a marathon"), unless the phrase is a compound: written with a hyphen, or found
        joined as one word in the articles. Then "start ups" does not match "start the
        engine; ups and downs".
        """
        words = [
            (lem, lem.upper(), True) if is_acronym(written) else (lem, fold(written), False)
            for lem, written in content_words(phrase)
        ]
        if len(words) > 1:
            joined = "".join(fold(w) for _, w, _ in words)
            compound = bool(_HYPHENATED.search(phrase)) or joined in self.surfaces
            variants = [(words, compound), ([(lemma(joined), joined, False)], False)]
            if compound:  # "start-ups" also as "start-up": split the joined lemma
                variants += self._splits(lemma(joined))
            return variants
        if words[0][2]:
            return [(words, False)]
        lem, folded, _ = words[0]
        return [(words, False), *self._splits(lem, folded)]

    def _splits(self, *forms: str) -> list[tuple[list[tuple[str, str, bool]], bool]]:
        """Cuts of a word into two that both occur in the articles, to be read adjacent:
        "startups" as "start ups" or "start-ups" (and, from "startup", "start-up")."""
        out = []
        seen = set()
        # sorted: a set's order changes with the hash seed, and so would the words shown
        for word in sorted({*forms, *(f + "s" for f in forms)}):
            for cut in range(3, len(word) - 1):
                head, tail = word[:cut], word[cut:]
                if (head, tail) in seen or head not in self.surfaces:
                    continue
                if tail in self.surfaces or lemma(tail) in self.vocab:
                    seen.add((head, tail))
                    out.append(([(lemma(head), head, True), (lemma(tail), tail, True)], True))
        return out

    def find(self, phrase: str, only: int | None = None) -> dict[int, Hit]:
        """Every article in which the phrase occurs, with where and how closely.

        The occurrences of all variants (as written, joined, split) are pooled, so an
        article that writes "start-ups" in the title and "startups" in the text counts both.
        With ``only``, just that article is searched. Nothing is cached: see ``_scored``.
        """
        per_article: dict[int, list[Hit]] = {}
        for variant, adjacent in self._variants(phrase):
            found = (
                self._find_variant(phrase, variant, adjacent)
                if only is None
                else self._find_variant(phrase, variant, adjacent, only)
            )
            for index, hit in found.items():
                per_article.setdefault(index, []).append(hit)
        return {index: _pool(found) for index, found in per_article.items()}

    def hit(self, phrase: str, index: int) -> Hit:
        """How the phrase occurs in one article: read together if it is, else its rarest
        word found apart, else no occurrence (the evidence is closeness in meaning)."""
        found = self.find(phrase, only=index).get(index)
        if found is not None:
            return found
        words = sorted(content_words(phrase), key=lambda w: self.df_of(w[1]))
        for _, written in words:
            alone = self.find(written, only=index).get(index)
            if alone is not None:
                return replace(alone, phrase=phrase)
        return Hit(phrase, (), (), 0, ())

    def _find_variant(
        self,
        phrase: str,
        words: list[tuple[str, str, bool]],
        adjacent: bool,
        only: int | None = None,
    ) -> dict[int, Hit]:
        context = len(words) > 1  # the phrase's other words confirm a short word's typo
        expansions = [self.expand(lem, exact, written, context) for lem, written, exact in words]
        if not all(expansions):
            return {}
        ids = [np.fromiter(e.keys(), dtype=np.int32, count=len(e)) for e in expansions]
        docs: np.ndarray | None = None
        if only is not None:  # one article's evidence: does it hold each word at all?
            if not all(any(self._holds(w, only) for w in word_ids.tolist()) for word_ids in ids):
                return {}
            docs = np.array([only])
        for word_ids in ids if only is None else ():
            holders = np.unique(np.concatenate([self.postings[i] for i in word_ids]))
            docs = holders if docs is None else np.intersect1d(docs, holders, assume_unique=True)
            if not len(docs):
                return {}
        assert docs is not None
        window = 1 if adjacent else len(words) + WINDOW_SLACK
        per_doc = [self._split(self.titles, ids, docs), self._split(self.bodies, ids, docs)]
        result: dict[int, Hit] = {}
        for k, index in enumerate(docs.tolist()):
            title = _occurrences([w[k] for w in per_doc[0]], window, adjacent)
            body = _occurrences([w[k] for w in per_doc[1]], window, adjacent)
            if not title and not body:
                continue
            doc = self.docs[index]
            matched = self._matched_words(doc, title, body, words, expansions)
            result[index] = Hit(
                phrase,
                tuple(title),
                tuple(body),
                min(s for _, _, s in matched),
                tuple(matched),
            )
        return result

    @staticmethod
    def _split(tokens: _Tokens, ids: list[np.ndarray], docs: np.ndarray) -> list[list[list[int]]]:
        """Per word of a phrase, per candidate article: its sorted positions there."""
        out = []
        if len(docs) <= FEW_DOCS:  # one hit's evidence: read those articles, not the index
            for word_ids in ids:
                out.append(
                    [np.flatnonzero(np.isin(tokens.doc(d), word_ids)).tolist() for d in docs]
                )
            return out
        for word_ids in ids:
            holders, positions = tokens.positions(word_ids)
            lo = np.searchsorted(holders, docs, "left").tolist()
            hi = np.searchsorted(holders, docs, "right").tolist()
            flat = positions.tolist()
            out.append([flat[a:b] for a, b in zip(lo, hi, strict=True)])
        return out

    def _matched_words(
        self,
        doc: _Doc,
        title: list,
        body: list,
        words: list[tuple[str, str, bool]],
        expansions: list[dict[int, int]],
    ) -> list[tuple[str, str, int]]:
        first = title[0] if title else body[0]
        source = doc.title_ids if title else doc.body_ids
        ids = [int(source[p]) for p in first]
        matched = []
        for (_, written, _), expansion in zip(words, expansions, strict=True):
            # the word of this occurrence that this interest word stands for
            word_id = next((i for i in ids if i in expansion), ids[0])
            matched.append((written, self.words[word_id], expansion.get(word_id, 100)))
        return matched

    # -- scoring -------------------------------------------------------------------------

    def idf(self, df: int) -> float:
        # Pseudo-documents that hold none of the words keep idf meaningful in a small
        # workspace: three stored articles should not make every word look common.
        n = len(self.docs) + PRIOR_DOCS
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def score_hit(self, index: int, hit: Hit, df: int) -> float:
        """How strongly one phrase's occurrences say the article is about it."""
        return self.score_parts(index, hit, df)["score"]

    def score_parts(self, index: int, hit: Hit, df: int) -> dict[str, float]:
        """The components of ``score_hit``, for explanations: idf x saturated tf x
        similarity^2, times the passing-mention penalty when it applies."""
        doc = self.docs[index]
        body_positions = [p[0] for p in hit.body_positions]
        opening = any(p < OPENING_TOKENS for p in body_positions)
        # A phrase whose words stand far apart ("open day at the source") is weaker
        # evidence than one read together ("open source", "training for a marathon").
        body = sum(_tightness(o) for o in hit.body_positions)
        title = sum(_tightness(o) for o in hit.title_positions)
        tf = body + TITLE_WEIGHT * title + (1 if opening else 0)
        norm = K1 * (1 - B + B * doc.length / max(self.avg_length, 1))
        saturated = tf * (K1 + 1) / (tf + norm)
        idf = self.idf(df)
        similarity = (hit.similarity / 100) ** 2
        passing = (
            not hit.title_positions
            and len(body_positions) == 1
            and not opening
            and doc.length > LONG_TEXT
        )
        penalty = PASSING_PENALTY if passing else 1.0
        return {
            "title": title,
            "body": body,
            "opening": 1.0 if opening else 0.0,
            "tf": tf,
            "saturated_tf": saturated,
            "idf": idf,
            "similarity": similarity,
            "passing_penalty": penalty,
            "score": idf * saturated * similarity * penalty,
        }

    def _scored(self, phrase: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The articles holding a phrase, its unweighted score in each, and whether each
        is substantially about it: found and scored once per run, whoever asks.

        Scored from arrays of occurrences (see ``_variant_stats``), the same figures
        ``score_hit`` and ``is_substantial`` give from each article's Hit; the few
        articles where two forms of the phrase both occur, and phrases the arrays do not
        cover (three words or more), take the Hit route."""
        cached = self._scores.get(phrase)
        if cached is not None:
            return cached
        stats = []
        for variant, adjacent in self._variants(phrase):
            found = self._variant_stats(variant, adjacent)
            if found is None:
                cached = self._scores[phrase] = self._scored_by_hits(phrase)
                return cached
            if len(found.docs):
                stats.append(found)
        if not stats:
            empty = np.zeros(0, dtype=np.int32)
            cached = self._scores[phrase] = (empty, np.zeros(0), np.zeros(0, dtype=bool))
            return cached
        every = np.concatenate([s.docs for s in stats])
        docs, counts = np.unique(every, return_counts=True)
        df = len(docs)
        scores = np.empty(df)
        substantial = np.empty(df, dtype=bool)
        idf = self.idf(df)
        for found in stats:
            alone = counts[np.searchsorted(docs, found.docs)] == 1
            at = np.searchsorted(docs, found.docs[alone])
            scores[at], substantial[at] = self._score_stats(found, alone, idf)
        for k in np.flatnonzero(counts > 1).tolist():  # several forms in one article: pool
            index = int(docs[k])
            hit = self.hit(phrase, index)
            scores[k] = self.score_hit(index, hit, df)
            substantial[k] = self.is_substantial(index, hit)
        cached = self._scores[phrase] = (docs.astype(np.int32), scores, substantial)
        return cached

    def _scored_by_hits(self, phrase: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``_scored`` through each article's Hit: the reference the arrays must equal."""
        hits = self.find(phrase)
        df = len(hits)
        order = sorted(hits)
        return (
            np.fromiter(order, dtype=np.int32, count=df),
            np.fromiter((self.score_hit(i, hits[i], df) for i in order), np.float64, count=df),
            np.fromiter((self.is_substantial(i, hits[i]) for i in order), bool, count=df),
        )

    def _score_stats(
        self, found: _Stats, keep: np.ndarray, idf: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """``score_parts`` and ``is_substantial`` over arrays, same operations in the same
        order, so each score is the very float the Hit route gives."""
        docs = found.docs[keep]
        title, body = found.title_weight[keep], found.body_weight[keep]
        title_n, body_n = found.title_count[keep], found.body_count[keep]
        first = found.first_body[keep]
        lengths = self.lengths[docs]
        opening = first < OPENING_TOKENS
        tf = body + TITLE_WEIGHT * title + opening
        norm = K1 * (1 - B + B * lengths / max(self.avg_length, 1))
        saturated = tf * (K1 + 1) / (tf + norm)
        similarity = _SQUARED[found.similarity[keep]]
        passing = (title_n == 0) & (body_n == 1) & ~opening & (lengths > LONG_TEXT)
        penalty = np.where(passing, PASSING_PENALTY, 1.0)
        scores = idf * saturated * similarity * penalty
        substantial = (title_n > 0) | (body_n >= 3)
        two = (title_n == 0) & (body_n == 2)
        substantial |= two & (opening | (body_n / np.maximum(lengths, 1) > 0.01))
        return scores, substantial

    def _variant_stats(self, words: list[tuple[str, str, bool]], adjacent: bool) -> _Stats | None:
        """Per article holding one form of a phrase: its occurrences in title and body,
        counted and weighted as ``score_parts`` counts a Hit's. None for what only the Hit
        route handles: three words or more, or two words one token could stand for."""
        context = len(words) > 1  # the phrase's other words confirm a short word's typo
        expansions = [self.expand(lem, exact, written, context) for lem, written, exact in words]
        if not all(expansions):
            return _Stats.empty()
        if len(words) > 2:
            return None
        ids = [np.array(sorted(e), dtype=np.int32) for e in expansions]
        if len(ids) == 2 and len(np.intersect1d(ids[0], ids[1])):
            return None
        # per word: its ids (sorted) and the similarity of each, for lookups by position
        lookup = [
            (i, np.array([e[w] for w in i.tolist()], dtype=np.int64))
            for i, e in zip(ids, expansions, strict=True)
        ]
        window = 1 if adjacent else len(words) + WINDOW_SLACK
        parts = [_occurrences_of(t, lookup, window, adjacent) for t in (self.titles, self.bodies)]
        return _Stats.combine(*parts)

    def _word_counts(self, ids: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
        """Per article: how often any of these word ids occurs (each weighted by its
        similarity squared), in the body and the title plus the opening."""
        n = len(self.articles)
        if not ids:
            return np.zeros(n), np.zeros(n)
        order = np.array(sorted(ids), dtype=np.int32)
        weights = _SQUARED[[ids[w] for w in order.tolist()]]
        counts = []
        for part in (self.bodies, self.titles):
            at = part.where(order)
            docs = part.doc_of(at)
            weight = weights[np.searchsorted(order, part.ids[at])]
            if part is self.bodies:
                opening = (at - part.offsets[docs]) < OPENING_TOKENS
                counts.append(np.bincount(docs, weights=weight, minlength=n))
                counts.append(np.bincount(docs[opening], weights=weight[opening], minlength=n))
            else:
                counts.append(np.bincount(docs, weights=weight, minlength=n))
        body, opening, title = counts
        return body, TITLE_WEIGHT * title + opening

    def words_evidence(self, phrase: str) -> np.ndarray:
        """Per article, 0 to 1: how much of the phrase its words cover, wherever they stand.

        Each content word scores as BM25 does (idf x saturated, length-normalised tf; the
        title and opening count extra), summed and divided by the most the phrase's words
        could score; times the square root of the share of the phrase's idf present, so a
        page holding one common word of a three-word interest scores little."""
        cached = self._words.get(phrase)
        if cached is None:
            # the best of its forms: "clean-tech" is "cleantech" is "clean tech"; a form
            # whose words must stand together counts only where they do
            held = np.zeros(len(self.articles))
            held[self._scored(phrase)[0]] = 1.0
            variants = [
                self._words_of(words) * (held if adjacent else 1.0)
                for words, adjacent in self._variants(phrase)
            ]
            cached = self._words[phrase] = np.max(variants, axis=0)
        return cached

    def _words_of(self, words: list[tuple[str, str, bool]]) -> np.ndarray:
        n = len(self.articles)
        # a text shorter than a paragraph counts as one: a four-word summary that names
        # the interest says less than a page that discusses it
        lengths = np.maximum(self.lengths, SHORT_TEXT)
        norm = K1 * (1 - B + B * lengths / max(self.avg_length, 1))
        total, present, ideal = np.zeros(n), np.zeros(n), 0.0
        found = []
        for lem, written, exact in words:
            ids = self.expand(lem, exact, written)
            body, extra = self._word_counts(ids)
            tf = body + extra
            idf = self.idf(int(np.count_nonzero(tf)))
            total += idf * tf * (K1 + 1) / (tf + norm)
            present += idf * (tf > 0)
            ideal += idf
            found.append((idf, ids))
        out = total / (ideal * (K1 + 1)) * np.sqrt(present / ideal) if ideal else np.zeros(n)
        if len(found) > 1:
            # words that stand within a sentence of each other speak of one thing
            rarest = sorted(found, key=lambda f: f[0])[-2:]
            out *= APART + (1 - APART) * self._near(rarest[0][1], rarest[1][1])
        return out

    def _near(self, first: dict[int, int], second: dict[int, int]) -> np.ndarray:
        """Per article, whether the two words occur within NEAR_WINDOW tokens in its body."""
        n = len(self.articles)
        ids = [np.array(sorted(w), dtype=np.int32) for w in (first, second)]
        if not all(len(i) for i in ids) or len(np.intersect1d(*ids)):
            return np.zeros(n)
        lookup = [(i, np.full(len(i), 100, dtype=np.int64)) for i in ids]
        found = _occurrences_of(self.bodies, lookup, NEAR_WINDOW, False)
        out = np.zeros(n)
        out[found.docs] = 1.0
        return out

    def evidence(
        self, interest: Interest, closeness: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per article, each kind of evidence for an interest, weighted (a row per kind of
        EVIDENCE_KINDS), and the best phrase's index: the phrase read together, its words
        present apart, and ``closeness`` in meaning (the best cosine of its phrases)."""
        n = len(self.articles)
        best, phrase_of, _ = self._best_dense(interest)
        phrase = PHRASE_WEIGHT * np.minimum(
            np.where(best > -np.inf, best, 0) / PHRASE_SCALE, PHRASE_CAP
        )
        words = np.zeros(n)
        for p in interest.phrases:
            words = np.maximum(words, self.words_evidence(p))
        words *= WORDS_WEIGHT * interest.weight
        meaning = np.zeros(n)
        if closeness is not None:
            above = np.maximum(closeness - MEANING_FLOOR, 0) / (MEANING_FULL - MEANING_FLOOR)
            meaning = MEANING_WEIGHT * interest.weight * above
            # close in meaning with none of its words: as often a neighbouring topic
            # (urban heat for "home retrofit") as a paraphrase
            meaning *= np.where(phrase + words > 0, 1.0, MEANING_ALONE)
        return np.stack([phrase, words, meaning]), phrase_of

    def df_of(self, phrase: str) -> int:
        """In how many articles the phrase occurs."""
        return len(self._scored(phrase)[0])

    def _best(self, interest: Interest) -> dict[int, tuple[float, str, bool]]:
        """Per article: the best score of the interest's phrases, that phrase, substantial."""
        best: dict[int, tuple[float, str, bool]] = {}
        weight = interest.weight
        for phrase in interest.phrases:
            indexes, scores, substantial = self._scored(phrase)
            for index, score, sub in zip(
                indexes.tolist(), scores.tolist(), substantial.tolist(), strict=True
            ):
                score = weight * score
                old = best.get(index)
                if old is None or score > old[0]:
                    best[index] = (score, phrase, sub)
        return best

    def _interest_match(
        self, interest: Interest, index: int, score: float, phrase: str
    ) -> InterestMatch:
        return InterestMatch(interest, None, score, phrase=phrase, index=self, article=index)

    def match_interest(self, interest: Interest) -> dict[int, InterestMatch]:
        """The best phrase (topic or alias) of an interest in every article that has one."""
        return {
            index: self._interest_match(interest, index, score, phrase)
            for index, (score, phrase, _) in self._best(interest).items()
        }

    def matching(self, interest: Interest) -> np.ndarray:
        """Indexes of the articles in which any phrase of the interest occurs, in order."""
        found = [self._scored(phrase)[0] for phrase in interest.phrases]
        return np.unique(np.concatenate(found)) if found else np.zeros(0, dtype=np.int32)

    def _best_dense(self, interest: Interest) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``_best`` as arrays over all articles: score (-inf where no phrase occurs), which
        phrase gave it, and whether the article is substantially about that phrase."""
        n = len(self.articles)
        best = np.full(n, -np.inf)
        phrase_of = np.zeros(n, dtype=np.int32)
        substantial = np.zeros(n, dtype=bool)
        for k, phrase in enumerate(interest.phrases):
            indexes, scores, sub = self._scored(phrase)
            scores = interest.weight * scores
            better = scores > best[indexes]  # a later phrase must beat, not equal, an earlier
            at = indexes[better]
            best[at], phrase_of[at], substantial[at] = scores[better], k, sub[better]
        return best, phrase_of, substantial

    def match_contact(self, contact: Contact, meaning: Meaning | None = None) -> ContactMatches:
        """Every article with some evidence for an interest, scored, best first."""
        return ContactMatches(self, contact, meaning)

    def _context_words(self, contact: Contact) -> dict[str, set[int]]:
        """Per interest, the ids of its words (any case), to find them anywhere."""
        out: dict[str, set[int]] = {}
        for interest in contact.interests:
            ids: set[int] = set()
            for phrase in interest.phrases:
                for lem, _ in content_words(phrase):
                    for form in (lem, lem.upper()):
                        if form in self.vocab:
                            ids.add(self.vocab[form])
            out[interest.topic] = ids
        return out

    def _holds(self, word_id: int, article: int) -> bool:
        postings = self.postings[word_id]
        at = int(np.searchsorted(postings, article))
        return at < len(postings) and int(postings[at]) == article

    def holds(self, word_id: int) -> np.ndarray:
        """Per article, whether it holds the word (title or body)."""
        out = np.zeros(len(self.articles), dtype=bool)
        out[self.postings[word_id]] = True
        return out

    def is_substantial(self, index: int, hit: Hit) -> bool:
        """Is the article *about* this phrase, rather than mentioning it in passing?

        It is when the phrase is in the title, or repeated in the text: three times, or
        twice with one of them in the opening or more than 1% of the words. A single
        mention in the text is a passing one, however short the text.
        """
        doc = self.docs[index]
        body = [p[0] for p in hit.body_positions]
        if hit.title_positions or len(body) >= 3:
            return True
        if len(body) < 2:
            return False
        return any(p < OPENING_TOKENS for p in body) or len(body) / max(doc.length, 1) > 0.01

    # -- explanations --------------------------------------------------------------------

    def reason(self, index: int, found: InterestMatch) -> Reason:
        """The human-readable evidence for one interest in one article."""
        article = self.article(index)
        hit = found.hit
        words = tuple((a, b, s) for a, b, s in hit.words)
        # Show the first occurrence whose words are read together, if there is one.
        if hit.body_positions or not hit.title_positions:
            # no occurrence at all: the opening, which closeness in meaning reads
            ordered = sorted(hit.body_positions, key=lambda o: (_tightness(o) < 1, o)) or [(0,)]
            spans = self._spans.get(index)
            if spans is None:  # an article is explained once per interest and person
                spans = self._spans[index] = word_spans(article.text)
            snippet, marks, surfaces = snippet_for(article.text, ordered, spans)
            if not hit.body_positions:
                marks = ()
        else:
            ordered = sorted(hit.title_positions, key=lambda o: (_tightness(o) < 1, o))
            snippet, marks, surfaces = snippet_for(article.title, ordered)
        words = tuple((a, surfaces.get(b, b), s) for a, b, s in words)
        label = found.interest.topic
        if hit.phrase != found.interest.topic:
            label = f"{found.interest.topic} (as “{hit.phrase}”)"
        return Reason(
            interest=label,
            matched=words,
            where=hit.where
            if hit.count
            else f"title and opening, close in meaning ({found.closeness or 0:.2f})",
            count=hit.count,
            snippet=snippet,
            marks=marks,
            score=found.score,
            evidence=tuple(found.evidence.items()),
            closeness=found.closeness,
        )


_HYPHENATED = re.compile(r"[^\W_]-[^\W_]")
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+|\n+")
SNIPPET_CHARS = 280


def snippet_for(
    text: str, occurrences: Sequence[Sequence[int]], spans: array | None = None
) -> tuple[str, tuple[tuple[int, int], ...], dict[str, str]]:
    """The sentence around the first occurrence, the spans to mark, and lemma -> word found.

    ``spans`` are the text's ``word_spans``, if already known."""
    spans = word_spans(text) if spans is None else spans
    count = len(spans) // 2
    first = [p for p in occurrences[0] if p < count] if occurrences else []
    if not first:
        return text[:SNIPPET_CHARS], (), {}
    start_char = spans[2 * first[0]]
    end_char = spans[2 * first[-1] + 1]
    begin = 0
    for m in _SENTENCE_END.finditer(text, 0, start_char):
        begin = m.end()
    m = _SENTENCE_END.search(text, end_char)
    finish = m.start() if m else len(text)
    prefix = suffix = ""
    if finish - begin > SNIPPET_CHARS:  # a long sentence: centre the window on the match
        centre = (start_char + end_char) // 2
        new_begin = max(begin, centre - SNIPPET_CHARS // 2)
        new_finish = min(finish, new_begin + SNIPPET_CHARS)
        new_begin = max(begin, new_finish - SNIPPET_CHARS)
        prefix = "…" if new_begin > begin else ""
        suffix = "…" if new_finish < finish else ""
        begin, finish = new_begin, new_finish
    while begin < finish and text[begin].isspace():  # marks count from the stripped text
        begin += 1
    while finish > begin and text[finish - 1].isspace():
        finish -= 1
    shift = len(prefix) - begin
    marks = []
    for p in sorted({p for occ in occurrences for p in occ}):
        if p < count and begin <= spans[2 * p] and spans[2 * p + 1] <= finish:
            marks.append((spans[2 * p] + shift, spans[2 * p + 1] + shift))
    surfaces = {}
    for written in (text[spans[2 * p] : spans[2 * p + 1]] for p in first):
        surfaces[word_lemma(written)] = surfaces[word_lemma(written).upper()] = written
    return prefix + text[begin:finish] + suffix, tuple(marks), surfaces
