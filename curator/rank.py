"""Choose the few articles worth a person's attention. Pure: no I/O.

Selection is depth over breadth: nothing under the minimum score, nothing substantially
about a topic the person asked to avoid, nothing already shared, dismissed or suggested
in an earlier digest (nor the same story from another feed), at most N per person, and
spread across their interests rather than N pieces on one topic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from curator.match import ArticleMatch, Index
from curator.models import Article, Contact, Suggestion
from curator.text import fold
from curator.urls import canonical_url

SAME_STORY_TITLE = 92  # token_sort_ratio of folded titles at or above which two are one story
SPREAD_PENALTY = 0.6  # each earlier pick on the same lead interest scales the score by this


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


def story_groups(articles: Sequence[Article]) -> list[int]:
    """A story id per article: equal canonical URLs or near-identical titles share one."""
    groups = list(range(len(articles)))
    by_url: dict[str, int] = {}
    for i, article in enumerate(articles):
        key = canonical_url(article.url)
        if key in by_url:
            groups[i] = groups[by_url[key]]
        else:
            by_url[key] = i
    titles = [_title_key(a.title) for a in articles]
    eligible = [i for i, t in enumerate(titles) if len(t) >= 20]
    if len(eligible) > 1:
        matrix = process.cdist(
            [titles[i] for i in eligible],
            [titles[i] for i in eligible],
            scorer=fuzz.token_sort_ratio,
            score_cutoff=SAME_STORY_TITLE,
            dtype="uint8",
            workers=-1,
        )
        for a, i in enumerate(eligible):
            row = matrix[a]
            for b in row.nonzero()[0]:
                j = eligible[b]
                if j < i and groups[j] != groups[i]:
                    groups[i] = groups[j]
                    break
    return groups


def same_story(a: Article, title: str, url: str) -> bool:
    """Is this article the story behind a remembered URL and title?"""
    if canonical_url(a.url) == canonical_url(url):
        return True
    ta, tb = _title_key(a.title), _title_key(title)
    return len(ta) >= 20 and len(tb) >= 20 and fuzz.token_sort_ratio(ta, tb) >= SAME_STORY_TITLE


def select(
    index: Index,
    contact: Contact,
    matches: Sequence[ArticleMatch],
    *,
    per_contact: int = 3,
    min_score: float = 1.0,
    excluded: dict[int, tuple[str, str]] | None = None,
    groups: Sequence[int] | None = None,
) -> tuple[list[Suggestion], list[Decision]]:
    """Pick at most ``per_contact`` suggestions; explain every candidate's fate.

    ``excluded`` maps article indexes to (status, detail) for history: shared, dismissed
    or suggested in an earlier digest. ``groups`` gives story ids (see story_groups).
    """
    excluded = excluded or {}
    groups = groups if groups is not None else list(range(len(index.articles)))
    excluded_stories = {groups[i]: why for i, why in excluded.items()}
    decisions: list[Decision] = []
    eligible: list[ArticleMatch] = []
    for match in matches:
        article = index.articles[match.index]
        if match.index in excluded or groups[match.index] in excluded_stories:
            status, detail = excluded.get(match.index) or excluded_stories[groups[match.index]]
            decisions.append(Decision(article, match.score, status, detail, match))
        elif match.avoided:
            topics = ", ".join(sorted({m.interest.topic for m in match.avoided}))
            decisions.append(
                Decision(
                    article,
                    match.score,
                    "avoid",
                    f"substantially about {topics}, which {contact.first_name} asked to avoid",
                    match,
                )
            )
        elif match.score < min_score:
            decisions.append(
                Decision(
                    article,
                    match.score,
                    "below threshold",
                    f"score {match.score:.2f} is under the minimum {min_score:g}",
                    match,
                )
            )
        else:
            eligible.append(match)
    chosen: list[ArticleMatch] = []
    used_interests: dict[str, int] = {}
    used_stories: dict[int, Article] = {}
    pool = list(eligible)
    while pool and len(chosen) < per_contact:

        def adjusted(m: ArticleMatch) -> float:
            lead = m.interests[0].interest.topic
            return m.score * SPREAD_PENALTY ** used_interests.get(lead, 0)

        best = max(pool, key=lambda m: (adjusted(m), -m.index))
        pool.remove(best)
        story = groups[best.index]
        if story in used_stories:
            decisions.append(
                Decision(
                    index.articles[best.index],
                    best.score,
                    "duplicate",
                    f"same story as “{used_stories[story].title}”",
                    best,
                )
            )
            continue
        used_stories[story] = index.articles[best.index]
        chosen.append(best)
        lead = best.interests[0].interest.topic
        used_interests[lead] = used_interests.get(lead, 0) + 1
    for match in pool:
        article = index.articles[match.index]
        story = groups[match.index]
        if story in used_stories:
            decisions.append(
                Decision(
                    article,
                    match.score,
                    "duplicate",
                    f"same story as “{used_stories[story].title}”",
                    match,
                )
            )
        else:
            decisions.append(
                Decision(
                    article,
                    match.score,
                    "over limit",
                    f"{per_contact} better suggestions were chosen",
                    match,
                )
            )
    suggestions = [
        Suggestion(
            contact,
            index.articles[m.index],
            m.score,
            tuple(index.reason(m.index, im) for im in m.interests),
        )
        for m in chosen
    ]
    decisions = [
        Decision(s.article, s.score, "suggested", "", m)
        for s, m in zip(suggestions, chosen, strict=True)
    ] + decisions
    return suggestions, decisions
