"""Which interests no feed has touched lately: the topics that need a new feed, or a
rewording when the articles hold their words but spelt or put together otherwise."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from curator.config import Workspace, load_contacts
from curator.files import atomic_write
from curator.match import Index
from curator.models import Contact, Interest
from curator.store import IN_WINDOW, Store, iso, now
from curator.text import STOPWORDS, content_words, fold, is_acronym, known
from curator.textutil import one_line


@dataclass(frozen=True)
class Rewording:
    """An interest that matched nothing although the articles hold its words, or near ones."""

    topic: str  # the interest
    phrase: str  # the topic, or the alias, that the articles come close to
    typos: tuple[tuple[str, str, int], ...] = ()  # (word, the articles' spelling, articles)
    apart: tuple[str, ...] = ()  # its words, all in the same articles but never together
    apart_in: int = 0  # how many articles hold all of them

    @property
    def text(self) -> str:
        """The advice, in one line: what the articles say instead."""
        if self.typos:
            said = ", ".join(f"'{spelling}' ({_articles(n)})" for _, spelling, n in self.typos)
            return f"no article matched '{self.phrase}'; stored articles say {said} — a typo?"
        words = " and ".join(f"'{word}'" for word in self.apart)
        return (
            f"no article matched '{self.phrase}'; {self.apart_in} stored articles have "
            f"{words}, but apart — reword it as the articles put it?"
        )

    def as_dict(self) -> dict:
        return {
            "interest": self.topic,
            "phrase": self.phrase,
            "typos": [{"word": w, "articles_say": s, "articles": n} for w, s, n in self.typos],
            "apart": {"words": list(self.apart), "articles": self.apart_in} if self.apart else None,
            "advice": self.text,
        }


def _articles(n: int) -> str:
    return f"{n} article{'s' if n != 1 else ''}"


@dataclass(frozen=True)
class Gap:
    """One contact's interests that nothing stored matched in the period."""

    contact: Contact
    missing: tuple[str, ...]  # interest topics, in the contact's order
    matched: int  # how many of their interests did match something
    reword: tuple[Rewording, ...] = ()  # the missing ones that look worded, not uncovered

    @property
    def need_feed(self) -> tuple[str, ...]:
        """The missing topics nothing related is stored for: those need a feed."""
        worded = {r.topic for r in self.reword}
        return tuple(t for t in self.missing if t not in worded)


def coverage(workspace: Workspace, weeks: int = 4) -> tuple[int, list[Gap]]:
    """The number of articles looked at, and each contact's unmatched interests."""
    contacts = load_contacts(workspace)
    if not workspace.db_path.exists():
        return 0, gaps(Index([]), contacts)
    since = now() - timedelta(weeks=weeks)
    with Store(workspace.db_path) as store:
        index = _index_since(store, since)
    return len(index), gaps(index, contacts)


def _index_since(store: Store, since: datetime) -> Index:
    """The articles since then, indexed with their text read once and not kept."""
    return Index(
        store.articles_since(since, text=False), store.words_since(since), store.article_text
    )


def gaps(index: Index, contacts: list[Contact]) -> list[Gap]:
    """Pure part of coverage: match every interest against the index once."""
    out = []
    for contact in contacts:
        missing = tuple(i.topic for i in contact.interests if not len(index.matching(i)))
        out.append(_gap(contact, missing, index))
    return out


def _gap(contact: Contact, missing: tuple[str, ...], index: Index | None) -> Gap:
    """The Gap, with the rewordings ``index`` suggests for the missing interests."""
    reword = []
    for interest in contact.interests if index is not None and len(index) else ():
        if interest.topic in missing:
            found = rewording(index, interest)
            if found:
                reword.append(found)
    return Gap(contact, missing, len(contact.interests) - len(missing), tuple(reword))


def rewording(index: Index, interest: Interest) -> Rewording | None:
    """Why an interest nothing in ``index`` matched may be worded unlike the articles:
    a word of it misspelt (an article spelling one edit away, two from nine letters, is
    common there) or, for a phrase, its words in the same articles (two at least) but
    never together. None when no phrase of the interest comes that close: then the
    articles lack the topic (the words of a phrase that meet in one article only, or
    never, are in passing or about something else)."""
    for phrase in interest.phrases:
        words = content_words(phrase)
        typos, holders = [], []
        for lem, written in words:
            exact = is_acronym(written)
            ids = index.expand(lem, exact, lem.upper() if exact else fold(written))
            if ids:
                holders.append(_holding(index, list(ids)))
                continue
            near = None if exact else _near_spelling(index, fold(written))
            if near:
                typos.append((written, *near))
        if typos:
            return Rewording(interest.topic, phrase, typos=tuple(typos))
        if len(words) > 1 and len(holders) == len(words):
            together = len(functools.reduce(np.intersect1d, holders))
            if together >= 2:
                apart = tuple(written for _, written in words)
                return Rewording(interest.topic, phrase, apart=apart, apart_in=together)
    return None


def _holding(index: Index, word_ids: list[int]) -> np.ndarray:
    """The articles that hold any of these words."""
    return np.unique(np.concatenate([index.postings[i] for i in word_ids]))


def _near_spelling(index: Index, word: str) -> tuple[str, int] | None:
    """The articles' most common spelling within one edit of a word that is not in the
    dictionary (a swap of two letters counts as one), and how many articles have it."""
    if len(word) < 4 or known(word):
        return None  # a real word missing from the articles is a topic they lack
    limit = 1 if len(word) < 9 else 2
    found = process.extract(
        word, list(index.surfaces), scorer=OSA.distance, score_cutoff=limit, limit=None
    )
    best = [
        (len(_holding(index, [index.surfaces[spelling]])), spelling)
        for spelling, _, _ in found
        if spelling != word and len(spelling) >= 3 and spelling not in STOPWORDS
    ]
    if not best:
        return None
    n, spelling = min(best, key=lambda b: (-b[0], b[1]))
    return spelling, n


def _sha(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def _load(path: Path | None) -> dict:
    if path is None:
        return {}
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # no cache, or a damaged one: check afresh
    return state if isinstance(state, dict) and isinstance(state.get("witness"), dict) else {}


CACHE_FILE = "coverage-cache.json"  # in .curator/


def keep_only(cache_path: Path, contacts: list[Contact]) -> None:
    """Drop from the cache every interest no contact in ``contacts`` has (after a forget).

    Its hashes are unsalted, so a forgotten person's interests must not wait for the
    next run to leave; a damaged cache is simply removed.
    """
    state = _load(cache_path)
    if not state:
        cache_path.unlink(missing_ok=True)
        return
    keep = {_sha(i.topic, i.also) for c in contacts for i in c.interests}
    state["witness"] = {h: w for h, w in state["witness"].items() if h in keep}
    atomic_write(cache_path, json.dumps(state, sort_keys=True))


def recent_gaps(
    store: Store,
    contacts: list[Contact],
    since: datetime,
    *,
    cache_path: Path | None = None,
    index: Index | None = None,
) -> list[Gap]:
    """Each contact's interests that no article since ``since`` matched, for the digest.

    Indexing four weeks of articles costs more than the digest's own matching, so the
    answers are kept in ``cache_path`` and only what changed is checked again. For each
    covered interest the file keeps its latest-dated matching article (its witness):
    while that is in the window the interest stays covered, and once it has aged out so
    has every earlier match, so the interest, like an uncovered one, needs checking only
    against articles stored since the last check. Those are usually all in ``index`` (the
    matcher's, over the digest's own window), so a weekly run indexes nothing extra. Only
    a new interest, a wider window or a new version of curator checks the whole window.
    The file holds hashes of interests and article ids, never a name.
    """
    from curator.digestcache import code_fingerprint

    start = iso(since) or ""
    window = dict(
        store.db.execute(
            "SELECT id, COALESCE(published, fetched_at) FROM articles "
            f"WHERE {IN_WINDOW} ORDER BY id",
            (start,),
        ).fetchall()
    )
    state = _load(cache_path)
    if state.get("code") != code_fingerprint() or str(state.get("since", "~")) > start:
        state = {}  # other matching code, or a wider window: its answers do not carry over
    upto = int(state.get("upto") or 0)
    witness: dict = state.get("witness", {})
    interests = {_sha(i.topic, i.also): i for c in contacts for i in c.interests}
    known: dict[str, list | None] = {}
    recheck_new, recheck_all = [], []
    for h in interests:
        w = witness.get(h, "unknown")
        if isinstance(w, list) and len(w) == 2 and w[0] in window:
            known[h] = w
        elif w is None or (isinstance(w, list) and len(w) == 2 and str(w[1]) < start):
            recheck_new.append(h)  # nothing matched up to `upto` that is still in the window
        else:
            recheck_all.append(h)  # new interest, or its witness deleted (`compact`)
    new_ids = {i for i in window if i > upto}

    def covers(idx: Index, ids: set[int]) -> bool:
        return ids <= {a.id for a in idx.articles}

    full = None
    if recheck_all and window:
        full = index if index and covers(index, set(window)) else _index_since(store, since)
    for h in recheck_all:
        known[h] = _witness(full, interests[h], window) if full else None
    if recheck_new and new_ids:
        if full is None and index is not None and covers(index, new_ids):
            full = index
        if full is None:
            full = Index([a for a in store.articles_since(since) if a.id in new_ids])
    for h in recheck_new:
        known[h] = _witness(full, interests[h], window) if full and new_ids else None
    if cache_path is not None:
        state = {
            "code": code_fingerprint(),
            "since": start,
            "upto": max([upto, *window]),
            "witness": known,  # the current interests only: a forgotten person's leave too
        }
        atomic_write(cache_path, json.dumps(state, sort_keys=True))

    # Rewordings come from an index built anyway: the whole window's when it was checked
    # again, else the matcher's (the digest's own window). `curator coverage` reads all.
    hints = full if full is not None and covers(full, set(window)) else index
    out = []
    for contact in contacts:
        missing = tuple(i.topic for i in contact.interests if known[_sha(i.topic, i.also)] is None)
        out.append(_gap(contact, missing, hints))
    return out


def _witness(index: Index, interest: Interest, window: dict[int, str]) -> list | None:
    """[id, date] of the latest-dated article in the window that matches, or None."""
    found = [
        (window[a.id], a.id)
        for a in (index.articles[i] for i in index.matching(interest).tolist())
        if a.id in window
    ]
    if not found:
        return None
    date, article_id = max(found)
    return [article_id, date]


def format_coverage(articles: int, found: list[Gap], weeks: int) -> str:
    """The text `curator coverage` prints."""
    period = "week" if weeks == 1 else f"{weeks} weeks"
    if not found:
        return "No contacts yet: add people to contacts.yaml, and their interests are checked.\n"
    if articles == 0:
        return f"No articles stored from the last {period}; run `curator fetch` first.\n"
    lines = [f"Checked {articles} article{'s' if articles != 1 else ''} from the last {period}."]
    if not any(g.missing for g in found):
        lines.append("Every interest matched at least one article.")
        return "\n".join(lines) + "\n"
    if any(g.need_feed for g in found):
        lines.append("Interests no feed covered (consider a feed for these):")
    for gap in (g for g in found if g.need_feed):
        total = gap.matched + len(gap.missing)
        topics = ", ".join(map(one_line, gap.need_feed))
        lines.append(f"  {one_line(gap.contact.name)} ({len(gap.need_feed)} of {total}): {topics}")
    if any(g.reword for g in found):
        lines.append("Interests worded unlike the articles (reword them in contacts.yaml):")
    for gap in found:
        lines += [f"  {one_line(gap.contact.name)}: {one_line(r.text)}" for r in gap.reword]
    covered = [one_line(g.contact.name) for g in found if not g.missing and g.matched]
    if covered:
        lines.append(f"Fully covered: {', '.join(covered)}")
    return "\n".join(lines) + "\n"
