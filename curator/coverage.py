"""Which interests no feed has touched lately: the topics that need a new feed."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from curator.config import Workspace, load_contacts
from curator.files import atomic_write
from curator.match import Index
from curator.models import Contact, Interest
from curator.store import Store, iso, now


@dataclass(frozen=True)
class Gap:
    """One contact's interests that nothing stored matched in the period."""

    contact: Contact
    missing: tuple[str, ...]  # interest topics, in the contact's order
    matched: int  # how many of their interests did match something


def coverage(workspace: Workspace, weeks: int = 4) -> tuple[int, list[Gap]]:
    """The number of articles looked at, and each contact's unmatched interests."""
    contacts = load_contacts(workspace)
    articles = []
    if workspace.db_path.exists():
        with Store(workspace.db_path) as store:
            articles = store.articles_since(now() - timedelta(weeks=weeks))
    return len(articles), gaps(Index(articles), contacts)


def gaps(index: Index, contacts: list[Contact]) -> list[Gap]:
    """Pure part of coverage: match every interest against the index once."""
    out = []
    for contact in contacts:
        missing = tuple(i.topic for i in contact.interests if not index.match_interest(i))
        out.append(Gap(contact, missing, len(contact.interests) - len(missing)))
    return out


def _sha(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def recent_gaps(
    store: Store,
    contacts: list[Contact],
    since: datetime,
    *,
    cache_path: Path | None = None,
    index: Index | None = None,
) -> list[Gap]:
    """Each contact's interests that no article since ``since`` matched, for the digest.

    ``index`` is the matcher's own index when it covers the same window. Otherwise the
    window's articles must be indexed, which costs as much as the digest's own matching
    over a longer window, so the answer per interest is remembered in ``cache_path`` and
    reused while the window's articles and curator's code stay the same: a rerun with
    nothing new indexes nothing. The file holds hashes of interests only, never a name.
    """
    if index is not None:
        return gaps(index, contacts)
    from curator.digestcache import code_fingerprint

    rows = store.db.execute(
        "SELECT id, title, length(text) FROM articles "
        "WHERE COALESCE(published, fetched_at) >= ? ORDER BY id",
        (iso(since),),
    ).fetchall()
    window = _sha(code_fingerprint(), [tuple(r) for r in rows])
    known: dict[str, bool] = {}
    if cache_path is not None:
        try:
            saved = json.loads(cache_path.read_text(encoding="utf-8"))
            if saved.get("window") == window and isinstance(saved.get("covered"), dict):
                known = saved["covered"]
        except (OSError, ValueError, AttributeError):
            pass  # no cache, or a damaged one: compute afresh
    interests = {_sha(i): i for c in contacts for i in c.interests}
    todo = [h for h in interests if h not in known]
    if todo:
        fresh = Index(store.articles_since(since)) if rows else None
        for h in todo:
            known[h] = bool(fresh and fresh.match_interest(interests[h]))
        if cache_path is not None:
            # only the current interests: a forgotten person's leave with them
            keep = {h: known[h] for h in interests}
            atomic_write(cache_path, json.dumps({"window": window, "covered": keep}))

    def covered(interest: Interest) -> bool:
        return known[_sha(interest)]

    out = []
    for contact in contacts:
        missing = tuple(i.topic for i in contact.interests if not covered(i))
        out.append(Gap(contact, missing, len(contact.interests) - len(missing)))
    return out


def format_coverage(articles: int, found: list[Gap], weeks: int) -> str:
    """The text `curator coverage` prints."""
    period = "week" if weeks == 1 else f"{weeks} weeks"
    if articles == 0:
        return f"No articles stored from the last {period}; run `curator fetch` first.\n"
    missing = [g for g in found if g.missing]
    lines = [f"Checked {articles} articles from the last {period}."]
    if not missing:
        lines.append("Every interest matched at least one article.")
        return "\n".join(lines) + "\n"
    lines.append("Interests no feed covered (consider a feed for these):")
    for gap in missing:
        total = gap.matched + len(gap.missing)
        lines.append(
            f"  {gap.contact.name} ({len(gap.missing)} of {total}): {', '.join(gap.missing)}"
        )
    covered = [g.contact.name for g in found if not g.missing and g.matched]
    if covered:
        lines.append(f"Fully covered: {', '.join(covered)}")
    return "\n".join(lines) + "\n"
