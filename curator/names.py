"""Find the contact a person meant by a name typed on the command line.

The rules, in order, stop at the first that decides:

1. the full name, ignoring case and extra spaces (then also ignoring accents);
2. a first name, or a last name, that only one person has;
3. the same words in another order ("Park Zoe");
4. a close spelling (rapidfuzz) of the full, first or last name, clearly ahead of the
   next candidate.

Two people sharing the typed name is an error that lists them; a name matching nobody is
an error that suggests the closest.

Commands that delete (`forget`) use ``resolve_exact`` instead: the full name or the email,
ignoring only case, accents and extra spaces. A guess there could erase the wrong person.
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
CANDIDATE_CUTOFF = 70  # a deleting command lists everyone at least this close


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


def resolve_exact(contacts: Sequence[Contact], name: str) -> Contact:
    """The one contact whose full name or email is ``name`` (case, accents and spaces aside).

    Anything else raises NameError_ listing the people it might have meant, so that a
    command that deletes never acts on a guess.
    """
    if not _casefold(name):
        raise NameError_("give a contact's full name or email")
    if not contacts:
        raise NameError_("contacts.yaml lists nobody yet (add people, or: curator contacts import)")
    typed = _casefold(name)
    rules: list[Callable[[Contact], bool]] = [
        lambda c: _casefold(c.name) == typed or (bool(c.email) and _casefold(c.email) == typed),
        lambda c: _folded(c.name) == _folded(name),
    ]
    for rule in rules:
        found = [c for c in contacts if rule(c)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise NameError_(
                f"{name.strip()!r} is the name of {_list(found, emails=True)}; give the email"
            )
    candidates = _candidates(contacts, _folded(name))
    if candidates:
        raise NameError_(
            f"{name.strip()!r} is not exactly anyone's full name or email; did you mean "
            f"{_list(candidates, emails=True)}? Type it in full: nothing is deleted on a guess"
        )
    raise NameError_(
        f"no contact has the full name or email {name.strip()!r} (see: curator contacts list)"
    )


def _candidates(contacts: Sequence[Contact], wanted: str, most: int = 5) -> list[Contact]:
    """The people a loose name may have meant, closest first: a name starting with it, or
    spelled close to it; else the one closest, if at all close."""
    scored = []
    for c in contacts:
        names = [_folded(c.name), _folded(c.first_name), _folded(_last(c.name))]
        prefix = any(n and n.startswith(wanted) for n in names)
        score = similarity(wanted, c)
        scored.append((prefix or score >= CANDIDATE_CUTOFF, -(100 if prefix else 0) - score, c))
    scored.sort(key=lambda t: (t[1], t[2].name))
    close = [c for near, _, c in scored if near][:most]
    if not close and -scored[0][1] >= SUGGEST_CUTOFF:
        close = [scored[0][2]]
    return close


def _list(contacts: Sequence[Contact], emails: bool = False) -> str:
    names = [f"{c.name!r} <{c.email}>" if emails and c.email else repr(c.name) for c in contacts]
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
