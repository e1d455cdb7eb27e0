"""Find the contact a person meant by a name typed on the command line.

The rules, in order, stop at the first that decides:

1. the full name, ignoring case and extra spaces (then also ignoring accents);
2. a first name, or a last name, that only one person has;
3. the same words in another order ("Park Zoe");
4. a close spelling (rapidfuzz) of the full, first or last name, clearly ahead of the
   next candidate.

Two people sharing the typed name is an error that lists them; a name matching nobody is
an error that suggests the closest. Guessing would be worse: `forget` acts on the answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rapidfuzz import fuzz

from curator.errors import NameError_
from curator.models import Contact
from curator.text import fold

FUZZY_CUTOFF = 80  # similarity (0-100) a typo must reach to count as the name
CLEAR_LEAD = 5  # the best fuzzy candidate must lead the next by this much
MIN_FUZZY_LEN = 3  # "a" or "jo" are too short to guess from
SUGGEST_CUTOFF = 50  # below this, no "did you mean"


def _casefold(text: str) -> str:
    return " ".join(text.casefold().split())


def _folded(text: str) -> str:
    return " ".join(fold(text).split())


def _last(name: str) -> str:
    words = name.split()
    return words[-1] if len(words) > 1 else ""


def similarity(wanted: str, contact: Contact) -> float:
    """How close a folded typed name is to a contact's full, first or last name (0-100)."""
    full = _folded(contact.name)
    scores = [fuzz.ratio(wanted, full), fuzz.token_sort_ratio(wanted, full)]
    if " " not in wanted:
        scores.append(fuzz.ratio(wanted, _folded(contact.first_name)))
        if _last(contact.name):
            scores.append(fuzz.ratio(wanted, _folded(_last(contact.name))))
    return max(scores)


def resolve_contact(contacts: Sequence[Contact], name: str) -> Contact:
    """The one contact ``name`` means: full name, unique first name, or a close match.

    Raises NameError_ listing the candidates when ambiguous, or the closest when unknown.
    """
    if not _casefold(name):
        raise NameError_("give a contact's name")
    if not contacts:
        raise NameError_("contacts.yaml lists nobody yet (add people, or: curator contacts import)")
    wanted = _folded(name)
    rules: list[Callable[[Contact], bool]] = [
        lambda c: _casefold(c.name) == _casefold(name),
        lambda c: _folded(c.name) == wanted,
        lambda c: _folded(c.first_name) == wanted,
        lambda c: bool(_last(c.name)) and _folded(_last(c.name)) == wanted,
        lambda c: sorted(_folded(c.name).split()) == sorted(wanted.split()),
    ]
    for rule in rules:
        found = [c for c in contacts if rule(c)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise NameError_(f"{name.strip()!r} could be {_list(found)}; use the full name")
    scored = sorted(
        ((similarity(wanted, c), c) for c in contacts), key=lambda sc: (-sc[0], sc[1].name)
    )
    best_score, best = scored[0]
    if len(wanted) >= MIN_FUZZY_LEN and best_score >= FUZZY_CUTOFF:
        close = [c for s, c in scored if s > best_score - CLEAR_LEAD]
        if len(close) == 1:
            return best
        raise NameError_(f"{name.strip()!r} could be {_list(close)}; use the full name")
    hint = f"; did you mean {best.name!r}?" if best_score >= SUGGEST_CUTOFF else ""
    raise NameError_(f"no contact called {name.strip()!r}{hint} (see: curator contacts list)")


def _list(contacts: Sequence[Contact]) -> str:
    names = [repr(c.name) for c in contacts]
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
