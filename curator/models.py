"""Small frozen domain objects shared by every stage."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property


@dataclass(frozen=True)
class Feed:
    """A feed the user chose to read, as listed in feeds.yaml."""

    url: str
    name: str = ""
    tags: tuple[str, ...] = ()
    full_text: bool = False  # the feed carries whole articles: do not fetch pages

    @property
    def label(self) -> str:
        return self.name or self.url


@dataclass(frozen=True)
class Interest:
    """One thing a contact cares about: a phrase, its aliases and a weight."""

    topic: str
    also: tuple[str, ...] = ()
    weight: float = 1.0

    @property
    def phrases(self) -> tuple[str, ...]:
        return (self.topic, *self.also)


@dataclass(frozen=True)
class Contact:
    """A person the user cares about, as listed in contacts.yaml."""

    name: str
    interests: tuple[Interest, ...]
    email: str = ""
    avoid: tuple[Interest, ...] = ()
    notes: str = ""  # private: shown to the user beside the person, never in a draft
    cadence_days: int | None = None
    last_contact: datetime | None = None
    said: tuple[str, ...] = ()  # their own words, which a draft may quote back to them
    groups: tuple[str, ...] = ()  # how their address book files them: not interests
    max_per_month: int | None = None  # no suggestions once this many were shared in 30 days

    @property
    def key(self) -> str:
        """The stable identity used in the database."""
        return " ".join(self.name.casefold().split())

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.split() else self.name


@dataclass(frozen=True)
class Entry:
    """One item of a parsed feed, before its page is fetched."""

    url: str
    title: str
    summary: str = ""
    content: str = ""
    author: str = ""
    published: datetime | None = None


@dataclass(frozen=True)
class Article:
    """A stored article: what matching and rendering see."""

    id: int
    url: str
    title: str
    text: str
    feed: str = ""
    author: str = ""
    published: datetime | None = None
    fetched_at: datetime | None = None
    source: str = "page"  # "page" when extracted from the web page, "feed" otherwise
    # the text is the feed's because its page could not be read (not a full_text feed)
    summary_only: bool = False

    @property
    def date(self) -> datetime | None:
        return self.published or self.fetched_at

    @cached_property  # every format shows it, and splitting a long text is not free
    def reading_minutes(self) -> int:
        return max(1, round(len(self.text.split()) / 230))


@dataclass(frozen=True)
class Reason:
    """Why an interest matched an article: the evidence a person can check."""

    interest: str
    matched: tuple[tuple[str, str, int], ...]  # (interest word, word in article, similarity 0-100)
    where: str  # "title", "title and body", "body", or "meaning" where no word occurs
    count: int
    snippet: str  # plain text sentence
    marks: tuple[tuple[int, int], ...] = ()  # spans of the snippet to highlight
    score: float = 0.0
    evidence: tuple[tuple[str, float], ...] = ()  # (kind, weighted score) summed in score
    closeness: float | None = None  # cosine in meaning with the interest; None if off

    def as_dict(self) -> dict:
        out = {
            "interest": self.interest,
            "matched": [
                {"interest_word": a, "article_word": b, "similarity": s} for a, b, s in self.matched
            ],
            "where": self.where,
            "count": self.count,
            "snippet": self.snippet,
            "marks": [list(m) for m in self.marks],
            "score": round(self.score, 3),
        }
        if self.evidence:  # a reason made by matching: each kind of evidence, weighted
            out["evidence"] = {kind: round(value, 3) for kind, value in self.evidence}
            out["closeness"] = None if self.closeness is None else round(self.closeness, 3)
        return out


@dataclass(frozen=True)
class Suggestion:
    """An article proposed for a contact, with its score and reasons."""

    contact: Contact
    article: Article
    score: float
    reasons: tuple[Reason, ...]
    draft: str = ""

    @property
    def interests(self) -> tuple[str, ...]:
        return tuple(r.interest for r in self.reasons)


@dataclass
class FeedFailure:
    """A feed or page that failed during a run, for the health report."""

    url: str
    error: str
    kind: str = "feed"
    feed: str = ""


@dataclass
class RunReport:
    """What a fetch or run did: counts, failures and the digest written."""

    feeds_total: int = 0
    feeds_ok: int = 0
    feeds_not_modified: int = 0
    feeds_skipped: int = 0
    entries_seen: int = 0
    articles_new: int = 0
    pages_fetched: int = 0
    pages_extracted: int = 0
    failures: list[FeedFailure] = field(default_factory=list)
    digest_path: str = ""
    timings: dict[str, float] = field(default_factory=dict)
