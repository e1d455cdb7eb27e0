"""Find the contact a person meant by a name typed on the command line."""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz, process

from curator.errors import NameError_
from curator.models import Contact
from curator.text import fold

FUZZY_CUTOFF = 80


def _key(text: str) -> str:
    return " ".join(fold(text).split())


def resolve_contact(contacts: Sequence[Contact], name: str) -> Contact:
    """The one contact ``name`` means: full name, unique first name, or a close match.

    Raises NameError_ listing the candidates when ambiguous, or the closest when unknown.
    """
    wanted = _key(name)
    if not wanted:
        raise NameError_("give a contact's name")
    if not contacts:
        raise NameError_("contacts.yaml lists nobody yet")
    exact = [c for c in contacts if _key(c.name) == wanted]
    if len(exact) == 1:
        return exact[0]
    firsts = [c for c in contacts if _key(c.first_name) == wanted]
    if len(firsts) == 1:
        return firsts[0]
    if len(firsts) > 1:
        raise NameError_(f"{name!r} could be {_list(firsts)}; use the full name")
    names = [_key(c.name) for c in contacts]
    scored = process.extract(wanted, names, scorer=fuzz.WRatio, limit=3)
    close = [(contacts[i], score) for _, score, i in scored if score >= FUZZY_CUTOFF]
    if close and (len(close) == 1 or close[0][1] - close[1][1] >= 5):
        return close[0][0]
    if len(close) > 1:
        raise NameError_(f"{name!r} could be {_list([c for c, _ in close])}; use the full name")
    best = contacts[scored[0][2]].name if scored else None
    hint = f"; did you mean {best!r}?" if best else ""
    raise NameError_(f"no contact called {name!r}{hint} (see: curator contacts list)")


def _list(contacts: Sequence[Contact]) -> str:
    names = [repr(c.name) for c in contacts]
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
