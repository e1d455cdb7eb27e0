"""Choose the few articles worth a person's attention. Pure: no I/O.

Selection is depth over breadth: nothing under the minimum score, nothing substantially
about a topic the person asked to avoid, nothing already shared, dismissed or suggested
in an earlier digest (nor the same story from another feed), at most N per person, and
spread across their interests rather than N pieces on one topic.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from rapidfuzz import fuzz, process

from curator.match import (
    CONTEXT_BONUS,
    OTHERS_WEIGHT,
    PHRASE_CAP,
    PHRASE_SCALE,
    PHRASE_WEIGHT,
    ArticleMatch,
    ContactMatches,
    Index,
    InterestMatch,
)
from curator.models import Article, Contact, Reason, Suggestion
from curator.text import fold
from curator.urls import canonical_url

SAME_STORY_TITLE = 92  # token_sort_ratio of folded titles at or above which two are one story
TITLE_BLOCK = 512  # titles compared per cdist call in story_groups
SPREAD_PENALTY = 0.6  # each earlier pick on the same lead interest scales the score by this
OPENING_SHOWN = 160  # characters of the opening an explanation quotes for meaning
REASON_SHARE = 0.4  # an interest found by meaning alone is named if it scores this share
RELATIVE_BAR = 0.3  # a suggestion scores at least this share of the best for that person


@dataclass(frozen=True)
class Decision:
    """What happened to one candidate article for one contact, and why."""

    article: Article
    score: float
    status: str  # suggested, below threshold, avoid, duplicate, shared, dismissed, ...
    detail: str = ""
    match: ArticleMatch | None = None


def _title_key(title: str) -> str:
    return " ".join(fold(title).split())


def _words_sorted(key: str) -> str:
    """A title key with its words sorted: fuzz.ratio of two is their token_sort_ratio."""
    return " ".join(sorted(key.split()))


def story_groups(articles: Sequence[Article]) -> list[int]:
    """A story id per article: equal canonical URLs or near-identical titles share one."""
    groups = list(range(len(articles)))
    by_url: dict[str, int] = {}
    for i, article in enumerate(articles):
        key = canonical_url(article.url)
        if key and key in by_url:
            groups[i] = groups[by_url[key]]
        else:
            by_url[key] = i
    titles = [_title_key(a.title) for a in articles]
    eligible = [i for i, t in enumerate(titles) if len(t) >= 20]
    if len(eligible) > 1:
        similar = _similar_titles([titles[i] for i in eligible])
        for i in eligible:
            # earlier articles first, as a full matrix's row would list them
            for k in heapq.merge(*similar[titles[i]]):
                j = eligible[k]
                if j >= i:
                    break
                if groups[j] != groups[i]:
                    groups[i] = groups[j]
                    break
    return groups


def _similar_titles(titles: list[str]) -> dict[str, list[list[int]]]:
    """Per distinct title, the positions of the titles at or above SAME_STORY_TITLE, as one
    sorted list per similar distinct title.

    Compares distinct titles only (the same story from several feeds is one comparison),
    and each only with titles of similar length: token_sort_ratio is an Indel similarity,
    at least 92 only when the lengths differ by at most 8% of their sum, so a band of
    0.8x-1.25x loses nothing while skipping most of the all-pairs matrix.
    """
    positions: dict[str, list[int]] = {}
    for k, title in enumerate(titles):
        positions.setdefault(title, []).append(k)
    distinct = sorted(positions, key=len)
    lengths = [len(t) for t in distinct]
    out: dict[str, list[list[int]]] = {t: [] for t in distinct}
    # token_sort_ratio is the plain ratio of the titles with their words sorted: sorted
    # once here, not again for every pair (8x faster over 10,000 titles, same scores)
    words_sorted = [_words_sorted(t) for t in distinct]
    for start in range(0, len(distinct), TITLE_BLOCK):
        queries = distinct[start : start + TITLE_BLOCK]
        lo = bisect.bisect_left(lengths, int(len(queries[0]) * 0.8) - 1)
        hi = bisect.bisect_right(lengths, int(len(queries[-1]) * 1.25) + 1)
        choices = distinct[lo:hi]
        matrix = process.cdist(
            words_sorted[start : start + TITLE_BLOCK],
            words_sorted[lo:hi],
            scorer=fuzz.ratio,
            score_cutoff=SAME_STORY_TITLE,
            dtype="uint8",
            workers=-1,
        )
        for q, row in zip(queries, matrix, strict=True):
            out[q] = [positions[choices[c]] for c in row.nonzero()[0].tolist()]
    return out


def same_story(a: Article, title: str, url: str) -> bool:
    """Is this article the story behind a remembered URL and title? (See Stories.)"""
    return bool(Stories([a]).first_same([(title, url)]))


class Stories:
    """What same_story compares, made once for a window's articles: their canonical URLs
    and title keys. A contact's history is then checked against all articles at once,
    instead of one same_story call per article and remembered row (at 20 rows a contact
    and 2,000 articles, 0.56 s a contact)."""

    def __init__(self, articles: Sequence[Article]):
        self.by_url: dict[str, list[int]] = {}
        for i, article in enumerate(articles):
            self.by_url.setdefault(canonical_url(article.url), []).append(i)
        titles = [_title_key(a.title) for a in articles]
        self.title_at = [i for i, t in enumerate(titles) if len(t) >= 20]
        self.titles = [_words_sorted(titles[i]) for i in self.title_at]

    def first_same(self, remembered: Sequence[tuple[str, str]]) -> dict[int, int]:
        """For each article that is the story behind one of the remembered (title, URL)
        pairs, the position of the first such pair: same_story's answer for every pair."""
        keys = [_title_key(title) for title, _ in remembered]
        rows = [r for r, key in enumerate(keys) if len(key) >= 20]
        similar: dict[int, list[int]] = {}
        if rows and self.titles:
            matrix = process.cdist(
                [_words_sorted(keys[r]) for r in rows],
                self.titles,
                scorer=fuzz.ratio,
                score_cutoff=SAME_STORY_TITLE,
                dtype="uint8",
            )
            for row, column in zip(*matrix.nonzero(), strict=True):
                similar.setdefault(rows[row], []).append(self.title_at[column])
        first: dict[int, int] = {}
        for r, (_, url) in enumerate(remembered):
            for i in itertools.chain(self.by_url.get(canonical_url(url), ()), similar.get(r, ())):
                first.setdefault(i, r)
        return first


def select(
    index: Index,
    contact: Contact,
    matches: ContactMatches,
    *,
    per_contact: int = 3,
    min_score: float = 1.0,
    excluded: dict[int, tuple[str, str]] | None = None,
    groups: Sequence[int] | None = None,
    explain: bool = True,
) -> tuple[list[Suggestion], list[Decision]]:
    """Pick at most ``per_contact`` suggestions; explain every candidate's fate.

    ``excluded`` maps article indexes to (status, detail) for history: shared, dismissed
    or suggested in an earlier digest. ``groups`` gives story ids (see story_groups).
    With ``explain=False`` only the suggestions' decisions are made: a weekly run needs
    no reason for the hundreds of articles it passes over.
    """
    excluded = excluded or {}
    stories = np.asarray(groups if groups is not None else range(len(index.articles)))
    excluded_stories = {int(stories[i]): why for i, why in excluded.items()}
    article_of, scores = matches.indexes, matches.scores
    story_of = stories[article_of] if len(article_of) else np.zeros(0, dtype=np.int64)
    skipped = np.isin(article_of, list(excluded)) | np.isin(story_of, list(excluded_stories))
    # The bar: one interest alone must reach the absolute minimum (other interests add to
    # the rank, they cannot lift an article over the floor), and the whole score a share
    # of the person's best this week, so a person with strong matches gets those and one
    # with none gets nothing.
    open_ = ~skipped & ~matches.avoided
    bar = RELATIVE_BAR * float(scores[open_].max()) if open_.any() else 0.0
    floor = min_score * matches.floor_scale
    eligible = open_ & (matches.lead_scores >= floor) & (scores >= bar)
    decisions: list[Decision] = []

    def decide(k: int, status: str, detail: str) -> None:
        match = matches[k]
        decisions.append(Decision(index.articles[match.index], match.score, status, detail, match))

    if explain:
        for k in np.flatnonzero(~eligible).tolist():
            match = matches[k]
            if skipped[k]:
                decide(k, *(excluded.get(match.index) or excluded_stories[int(story_of[k])]))
            elif match.avoided:
                topics = ", ".join(sorted({m.interest.topic for m in match.avoided}))
                decide(
                    k,
                    "avoid",
                    f"substantially about {topics}, which {contact.first_name} asked to avoid",
                )
            else:
                decide(
                    k,
                    "below threshold",
                    f"score {match.score:.2f} is under the minimum {min_score:g}"
                    + (
                        f" (x {matches.floor_scale:g}, matching by words only)"
                        if matches.floor_scale != 1
                        else ""
                    )
                    if matches.lead_scores[k] < floor
                    else f"score {match.score:.3f} is under {bar:.3f}, "
                    f"{RELATIVE_BAR:.0%} of {contact.first_name}'s best this week",
                )
    # Spread: each earlier pick on the same lead interest scales a score by SPREAD_PENALTY.
    topics = [i.topic for i in contact.interests]
    topic_of = np.array([topics.index(t) for t in topics], dtype=np.int64)
    factor = [SPREAD_PENALTY**used for used in range(per_contact + 1)]
    pool = np.flatnonzero(eligible)
    lead = topic_of[matches.leads[pool]] if len(pool) else np.zeros(0, dtype=np.int64)
    left = np.ones(len(pool), dtype=bool)
    used_interests = np.zeros(len(topics), dtype=np.int64)
    used_stories: dict[int, Article] = {}
    chosen: list[int] = []
    while left.any() and len(chosen) < per_contact:
        adjusted = scores[pool] * np.asarray(factor)[used_interests[lead]]
        adjusted[~left] = -np.inf
        tied = np.flatnonzero(adjusted == adjusted.max())
        best = int(tied[np.argmin(article_of[pool[tied]])])  # the earlier article on a tie
        left[best] = False
        k = int(pool[best])
        story = int(story_of[k])
        if story in used_stories:
            if explain:
                decide(k, "duplicate", f"same story as “{used_stories[story].title}”")
            continue
        used_stories[story] = index.articles[int(article_of[k])]
        chosen.append(k)
        used_interests[lead[best]] += 1
    if explain:
        for k in pool[left].tolist():
            story = int(story_of[k])
            if story in used_stories:
                decide(k, "duplicate", f"same story as “{used_stories[story].title}”")
            else:
                decide(k, "over limit", f"{per_contact} better suggestions were chosen")
    picked = [matches[k] for k in chosen]
    suggestions = [
        Suggestion(
            contact,
            index.article(m.index),
            m.score,
            tuple(index.reason(m.index, im) for im in _reasons(m)),
        )
        for m in picked
    ]
    decisions = [
        Decision(s.article, s.score, "suggested", "", m)
        for s, m in zip(suggestions, picked, strict=True)
    ] + decisions
    return suggestions, decisions


def _reasons(match: ArticleMatch) -> list[InterestMatch]:
    """The interests a suggestion names: the lead, and each other one with words found or
    a share of the lead's score (closeness in meaning touches every interest a little)."""
    lead = match.interests[0].score if match.interests else 0.0
    return [
        m
        for k, m in enumerate(match.interests)
        if k == 0
        or m.evidence.get("phrase", 0) + m.evidence.get("words", 0) > 0
        or m.score >= REASON_SHARE * lead
    ]


# -- explanations -------------------------------------------------------------------------


@dataclass(frozen=True)
class Evidence:
    """One interest (or avoid topic) found in the article, with its score components."""

    topic: str
    weight: float
    score: float
    reason: Reason
    parts: dict[str, float]
    substantial: bool = True  # for avoid topics: about it, or a passing mention
    evidence: tuple[tuple[str, float], ...] = ()  # (kind, weighted score), summed in score
    closeness: float | None = None  # cosine in meaning with the topic; None when off
    opening: str = ""  # the start of what closeness in meaning reads


@dataclass(frozen=True)
class Bar:
    """The minimum one person's suggestions must reach this week, and why it is moved."""

    min_score: float
    why: str = ""  # empty when it is the setting's own


def cadence_bar(
    contact: Contact,
    last: datetime | None,
    since: datetime,
    when: datetime,
    *,
    min_score: float,
    overdue: float,
    recent: float,
    recent_days: int,
) -> Bar:
    """The bar for ``contact``: lower when they are overdue, so there is an excuse to write;
    higher when you were in touch lately, so only a clearly better article interrupts.

    ``last`` is the latest contact of any kind (None: never); ``since`` is when their
    cadence runs from (the last contact, else the day curator first saw them).
    """
    days = (when - since).days
    if contact.cadence_days and days >= contact.cadence_days and overdue != 1:
        return Bar(
            min_score * overdue,
            f"lowered x {overdue:g}: {contact.first_name} is overdue, {days} days since "
            f"{'you were last in touch' if last else 'curator first saw them'} "
            f"(cadence {contact.cadence_days}d)",
        )
    if last is not None and (when - last).days < recent_days and recent != 1:
        ago = (when - last).days
        words = "today" if ago == 0 else "yesterday" if ago == 1 else f"{ago} days ago"
        return Bar(
            min_score * recent,
            f"raised x {recent:g}: you were in touch with {contact.first_name} {words}",
        )
    return Bar(min_score)


@dataclass(frozen=True)
class Explanation:
    """Everything that decided whether one article is suggested to one contact."""

    contact: Contact
    article: Article
    status: str  # as Decision.status, or "no match" / "outside window"
    detail: str
    score: float
    min_score: float
    coverage: float  # the multiplier for matching several interests and their words
    interests: tuple[Evidence, ...]
    unmatched: tuple[str, ...]
    avoid: tuple[Evidence, ...]
    context: tuple[str, ...] = ()
    bar: str = ""  # why the minimum differs from the setting (the cadence), if it does

    @property
    def suggested(self) -> bool:
        return self.status == "suggested"


def _evidence(
    index: Index,
    article_index: int,
    found: InterestMatch,
    avoid: bool,
    match_avoided: Sequence[InterestMatch] = (),
) -> Evidence:
    hit = found.hit
    parts = index.score_parts(article_index, hit, index.df_of(hit.phrase))
    return Evidence(
        found.interest.topic,
        found.interest.weight,
        found.score,
        index.reason(article_index, found),
        parts,
        found in match_avoided if avoid else True,
        tuple(found.evidence.items()),
        found.closeness,
        _opening(index.article(article_index)) if found.closeness is not None else "",
    )


def explain_decision(
    index: Index,
    contact: Contact,
    article_index: int,
    decisions: Sequence[Decision],
    *,
    min_score: float,
) -> Explanation:
    """Why ``select`` did or did not suggest one article, from its decisions."""
    article = index.article(article_index)
    decision = next((d for d in decisions if d.article.id == article.id), None)
    match = decision.match if decision else None
    if match is None:  # no interest occurs in it: select never saw it
        avoid = []
        for topic in contact.avoid:
            found = index.match_interest(topic).get(article_index)
            if found:
                about = [found] if index.is_substantial(article_index, found.hit) else []
                avoid.append(_evidence(index, article_index, found, True, about))
        return Explanation(
            contact,
            article,
            "no match",
            f"none of {contact.first_name}'s interests occur in it",
            0.0,
            min_score,
            1.0,
            (),
            tuple(i.topic for i in contact.interests),
            tuple(avoid),
        )
    interests = tuple(_evidence(index, article_index, m, avoid=False) for m in match.interests)
    matched = {m.interest.topic for m in match.interests}
    avoid = tuple(
        _evidence(index, article_index, m, True, match.avoided)
        for m in [*match.avoided, *match.mentioned_avoid]
    )
    detail = decision.detail if decision else ""
    if decision and decision.status == "suggested":
        picked = [d for d in decisions if d.status == "suggested"]
        detail = f"number {picked.index(decision) + 1} of {len(picked)} for {contact.first_name}"
    return Explanation(
        contact,
        article,
        decision.status if decision else "no match",
        detail,
        match.score,
        min_score,
        match.coverage,
        interests,
        tuple(i.topic for i in contact.interests if i.topic not in matched),
        avoid,
        match.context,
    )


def _words(reason: Reason) -> str:
    return ", ".join(
        f"{a} = {b}" if sim == 100 else f"{a} ≈ {b} ({sim}%)" for a, b, sim in reason.matched
    )


def _marked(reason: Reason) -> str:
    text, out, last = reason.snippet, [], 0
    for start, end in reason.marks:
        out += [text[last:start], "[", text[start:end], "]"]
        last = end
    return "".join([*out, text[last:]])


def _evidence_lines(e: Evidence, label: str) -> list[str]:
    p = e.parts
    where = [f"title {p['title']:g}", f"body {p['body']:g}"]
    if p["opening"]:
        where.append("in the opening")
    formula = (
        f"idf {p['idf']:.2f} x tf {p['saturated_tf']:.2f} (from {p['tf']:g})"
        f" x similarity² {p['similarity']:.2f}"
    )
    if p["passing_penalty"] != 1:
        formula += f" x passing mention {p['passing_penalty']:g}"
    if e.weight != 1:
        formula += f" x weight {e.weight:g}"
    kinds = " + ".join(f"{kind} {value:.2f}" for kind, value in e.evidence)
    lines = [f"  {label} {e.reason.interest}: {e.score:.2f}" + (f" = {kinds}" if kinds else "")]
    if e.reason.count:
        lines += [
            f"    words: {_words(e.reason)}",
            f"    where: {e.reason.where}, {e.reason.count}x ({', '.join(where)})",
        ]
    if e.reason.count and dict(e.evidence).get("phrase", 1) > 0:  # read together
        lines.append(
            f"    phrase: {formula} = {p['score']:.2f}, counted as "
            f"{PHRASE_WEIGHT:g} x {p['score']:.2f} / {PHRASE_SCALE:g} (at most {PHRASE_CAP:g})"
        )
    if e.closeness is not None:
        lines.append(
            f"    meaning: close in meaning to “{e.topic}” ({e.closeness:.2f}): «{e.opening}»"
        )
    if e.reason.count:
        lines.append(f"    “{_marked(e.reason)}”")
    return lines


def _opening(article: Article) -> str:
    """The start of what closeness in meaning reads (title and opening), shortened."""
    text = " ".join(f"{article.title}. {article.text}".split()) if article.title else ""
    text = text or " ".join(article.text.split())
    return text[:OPENING_SHOWN] + ("…" if len(text) > OPENING_SHOWN else "")


STATUS_LABELS = {
    "suggested": "suggested",
    "below threshold": "score below the minimum",
    "avoid": "on the avoid list",
    "duplicate": "duplicate story",
    "shared": "already shared",
    "dismissed": "dismissed",
    "suggested before": "suggested before",
    "over limit": "over the per-person limit",
    "no match": "no interest matched",
    "outside window": "outside the window",
}


def format_explanation(e: Explanation) -> str:
    """The breakdown as plain text for the terminal; marked words in [brackets]."""
    label = STATUS_LABELS.get(e.status, e.status)
    verdict = (
        f"Suggested to {e.contact.name}"
        if e.suggested
        else f"Not suggested to {e.contact.name}: {label}"
    )
    lines = [
        f"“{e.article.title}”",
        f"  {e.article.url}",
        f"{verdict}{f' ({e.detail})' if e.detail else ''}",
        "",
    ]
    if e.interests:
        lead, others = e.interests[0].score, sum(i.score for i in e.interests[1:])
        formula = f"{lead:.2f}"
        if len(e.interests) > 1:
            formula += f" + {OTHERS_WEIGHT:g} x {others:.2f} (its other interests)"
        if e.context:
            formula = f"({formula}) x {1 + CONTEXT_BONUS * min(len(e.context), 3):.2f}"
        bar = f" ({e.bar})" if e.bar else ""
        lines.append(f"Score {e.score:.2f} = {formula}; the minimum is {e.min_score:.3g}{bar}")
        if e.context:
            lines.append(f"  (words of other interests found too: {', '.join(e.context)})")
        lines.append("Interests found:")
        for i in e.interests:
            lines += _evidence_lines(i, "-")
    if e.unmatched:
        lines.append(f"Interests not found: {', '.join(e.unmatched)}")
    for a in e.avoid:
        how = "substantially about it: never suggested" if a.substantial else "in passing only"
        lines.append(f"Avoid topic “{a.topic}”: {how}")
        lines += _evidence_lines(a, "-")[1:]
    return "\n".join(lines)
