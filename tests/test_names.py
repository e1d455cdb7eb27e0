"""Name resolution: exact, first, last, reordered, close typos; ambiguity and unknowns."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_history import invoke

from curator.errors import NameError_
from curator.models import Contact
from curator.names import resolve_contact, resolve_exact

PEOPLE = [
    Contact("Zoe Park", ()),
    Contact("Zoë Parker", ()),
    Contact("Alex Smith", ()),
    Contact("Alex Jones", ()),
    Contact("Chidi Okafor", ()),
    Contact("Madonna", ()),
]


def who(name: str) -> str:
    return resolve_contact(PEOPLE, name).name


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("zoe park", "Zoe Park"),
        ("  ZOE   PARK ", "Zoe Park"),
        ("zoë parker", "Zoë Parker"),
        ("zoe parker", "Zoë Parker"),  # accents optional when nobody else matches
        ("chidi", "Chidi Okafor"),  # unique first name
        ("okafor", "Chidi Okafor"),  # unique last name
        ("smith", "Alex Smith"),
        ("okafor chidi", "Chidi Okafor"),  # reordered
        ("chidy okafor", "Chidi Okafor"),  # typo
        ("chdi", "Chidi Okafor"),
        ("madona", "Madonna"),
        ("alex smth", "Alex Smith"),
    ],
)
def test_resolves(typed: str, meant: str):
    assert who(typed) == meant


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("alex", "'alex' could be 'Alex Smith' or 'Alex Jones'; use the full name"),
        ("zoe", "'zoe' could be 'Zoe Park' or 'Zoë Parker'; use the full name"),
        ("alex smiths jones", "no contact called 'alex smiths jones'; did you mean"),
        ("xq", "no contact called 'xq' (see: curator contacts list)"),
        ("ma", "no contact called 'ma'"),  # too short to guess, even as a prefix
        ("   ", "give a contact's name"),
    ],
)
def test_refuses_to_guess(typed: str, message: str):
    with pytest.raises(NameError_) as err:
        who(typed)
    assert str(err.value).startswith(message)


def test_empty_contacts_file():
    with pytest.raises(NameError_, match=r"contacts\.yaml lists nobody yet"):
        resolve_contact([], "zoe")


def test_every_command_that_takes_a_name_resolves_it(workspace: Path):
    (workspace / "feeds.yaml").write_text("feeds: []\n")
    (workspace / "contacts.yaml").write_text(
        "contacts:\n"
        "  - {name: Alex Smith, interests: [a]}\n"
        "  - {name: Alex Jones, interests: [b]}\n"
        "  - {name: Chidi Okafor, interests: [c]}\n"
    )
    url = "https://example.org/x"
    for args in (
        ["history"],
        ["shared", "{}", url],
        ["dismiss", "{}", url],
        ["suggest"],
        ["explain", "{}", url],
    ):
        argv = [a.replace("{}", "alex") for a in args] if "{}" in args else [*args, "alex"]
        result = invoke(workspace, *argv, code=2)
        assert result.stderr == (
            "Error: 'alex' could be 'Alex Smith' or 'Alex Jones'; use the full name\n"
        ), args
        argv = [a.replace("{}", "zzzz") for a in args] if "{}" in args else [*args, "zzzz"]
        result = invoke(workspace, *argv, code=2)
        assert result.stderr.startswith("Error: no contact called 'zzzz'"), args
    assert "Chidi Okafor" in invoke(workspace, "history", "chidy").stdout
    # forget, which deletes, takes no loose name at all (see test_forget.py).
    result = invoke(workspace, "forget", "chidi", "--yes", code=2)
    assert "did you mean 'Chidi Okafor'?" in result.stderr


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Zoe Park", "Zoe Park"),
        ("  zoe   PARK ", "Zoe Park"),
        ("ZOË PARKER", "Zoë Parker"),
        ("zoe parker", "Zoë Parker"),  # accents folded when they decide nothing
        ("madonna", "Madonna"),
        ("chidi@example.org", "Chidi Okafor"),
        (" CHIDI@Example.ORG ", "Chidi Okafor"),
    ],
)
def test_exact_names_and_emails(typed: str, meant: str):
    people = [*PEOPLE[:4], Contact("Chidi Okafor", (), email="chidi@example.org"), PEOPLE[5]]
    assert resolve_exact(people, typed).name == meant


@pytest.mark.parametrize(
    ("typed", "candidates"),
    [
        ("chidi", ["'Chidi Okafor'"]),  # unique first name: still refused
        ("okafor", ["'Chidi Okafor'"]),
        ("okafor chidi", ["'Chidi Okafor'"]),
        ("chidy okafor", ["'Chidi Okafor'"]),
        ("alex", ["'Alex Jones'", "'Alex Smith'"]),
        ("zoe", ["'Zoe Park'", "'Zoë Parker'"]),
        ("madona", ["'Madonna'"]),
    ],
)
def test_exact_resolution_refuses_every_guess_and_lists_candidates(typed, candidates):
    with pytest.raises(NameError_) as err:
        resolve_exact(PEOPLE, typed)
    message = str(err.value)
    assert message.startswith(f"{typed!r} is not exactly anyone's full name or email")
    offered = message.split("did you mean ", 1)[1].split("?", 1)[0]
    assert sorted(re.findall(r"'[^']+'", offered)) == candidates  # and nobody else


def test_exact_resolution_of_nothing_like_anyone():
    with pytest.raises(NameError_, match=r"^no contact has the full name or email 'xq'"):
        resolve_exact(PEOPLE, "xq")
    with pytest.raises(NameError_, match="give a contact's full name or email"):
        resolve_exact(PEOPLE, "  ")


# -- properties --------------------------------------------------------------------------

name_part = st.text(
    alphabet=st.characters(whitelist_categories=("Lu", "Ll"), max_codepoint=0x24F),
    min_size=1,
    max_size=8,
)
full_name = st.lists(name_part, min_size=1, max_size=3).map(" ".join)
people = st.lists(full_name, min_size=1, max_size=8, unique_by=lambda n: n.casefold()).map(
    lambda names: [Contact(n, ()) for n in names]
)


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(people, st.data())
def test_a_full_name_always_finds_its_own_contact(contacts: list[Contact], data):
    target = data.draw(st.sampled_from(contacts))
    spaced = data.draw(st.sampled_from([str.upper, str.lower, str.title, lambda s: s]))
    typed = "  " + "   ".join(spaced(target.name).split()) + " "
    assume(" ".join(typed.casefold().split()) == target.key)  # upper() may change length
    assert resolve_contact(contacts, typed) is target


@settings(max_examples=100)
@given(people, st.text(max_size=20))
def test_anything_typed_resolves_to_a_listed_contact_or_a_clear_error(
    contacts: list[Contact], typed: str
):
    try:
        found = resolve_contact(contacts, typed)
    except NameError_ as exc:
        assert str(exc)  # never an empty message
        return
    assert found in contacts


@settings(max_examples=100)
@given(people, st.data())
def test_a_unique_first_name_finds_its_contact(contacts: list[Contact], data):
    target = data.draw(st.sampled_from(contacts))
    first = target.first_name.casefold()
    assume(sum(c.first_name.casefold() == first for c in contacts) == 1)
    # Another contact's full name may equal this first name (e.g. "Ada" and "Ada Lovelace"):
    # then the full name wins, by design.
    assume(all(c.key != first for c in contacts if c is not target))
    assume(all(" ".join(c.name.casefold().split()) != first for c in contacts))
    from curator.text import fold

    assume(sum(fold(c.first_name) == fold(target.first_name) for c in contacts) == 1)
    assume(all(fold(c.name) != fold(target.first_name) for c in contacts if c is not target))
    assert resolve_contact(contacts, target.first_name) is target


@settings(max_examples=100)
@given(people)
def test_resolution_never_prefers_someone_else_over_an_exact_match(contacts: list[Contact]):
    for contact in contacts:
        assert resolve_contact(contacts, contact.name) is contact


def test_suggest_says_whom_a_loose_name_meant(http_server, workspace: Path):
    from test_history import make_site

    make_site(http_server, workspace)
    invoke(workspace, "fetch")
    text = invoke(workspace, "suggest", "zoe").stdout
    assert text.startswith("Zoe Park:\n1. ")
    md = invoke(workspace, "suggest", "zoee", "--format", "md").stdout
    assert md.startswith("Zoe Park:\n\n1. [")
    # the full name needs no echo, and JSON stays a plain list
    assert invoke(workspace, "suggest", "Zoe Park").stdout.startswith("1. ")
    out = invoke(workspace, "suggest", "zoe", "--format", "json").stdout
    assert out.startswith("[")


def _plain(text: str) -> str:
    """Case, accents and spacing removed, independently of curator.text.fold."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


@settings(max_examples=100)
@given(people, st.text(max_size=20))
def test_exact_resolution_never_returns_anyone_but_the_named(contacts: list[Contact], typed: str):
    try:
        found = resolve_exact(contacts, typed)
    except NameError_ as exc:
        assert str(exc)
        return
    assert _plain(found.name) == _plain(typed)


@settings(max_examples=100)
@given(people)
def test_exact_resolution_finds_everyone_by_their_own_name(contacts: list[Contact]):
    for contact in contacts:
        assert resolve_exact(contacts, contact.name) is contact
