"""Which interests no feed has touched lately: the topics that need a new feed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from curator.config import Workspace, load_contacts
from curator.match import Index
from curator.models import Contact
from curator.store import Store, now


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
