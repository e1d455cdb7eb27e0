"""Share drafts: their words in a short editable note, and mailto links that cannot inject."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from conftest import Server
from test_history import ARTICLES, invoke, make_site

from curator.render import mailto, relevant_note


def parts(link: str) -> tuple[str, dict[str, list[str]]]:
    split = urlsplit(link)
    assert split.scheme == "mailto" and not split.fragment
    return unquote(split.path), parse_qs(split.query, keep_blank_values=True)


@pytest.mark.parametrize(
    "title",
    [
        "Heat pumps\r\nBcc: everyone@example.com",
        "Tom & Jerry? #1 & more",
        "Q&A: why? #heat&body=pwned",
        "Line\nbreak\rand\ttab",
        "%0D%0ABcc: x@y.z",
    ],
)
def test_mailto_encodes_every_part(title: str):
    body = f"Hi Zoe,\r\n\r\n{title}\nhttps://example.org/a?x=1&y=2#top"
    link = mailto("zoe@example.org", title, body)
    assert not re.search(r"[\r\n\t #]", link)
    address, query = parts(link)
    assert address == "zoe@example.org"
    assert set(query) == {"subject", "body"}  # nothing smuggled in as a header
    assert query["subject"] == [" ".join(title.split())]  # one line, no CR/LF
    assert query["body"] == [body]  # line breaks kept in the body, encoded


def test_mailto_address_cannot_add_parameters():
    for email in ("", "not an address", "a?cc=b@c.d", "a@b.c&bcc=d@e.f", "a@b.c\r\nBcc: x@y"):
        link = mailto(email, "Hi", "there")
        assert link.count("?") == 1 and link.count("&") == 1
        assert not re.search(r"[\r\n ]", link)
        _, query = parts(link)
        assert query == {"subject": ["Hi"], "body": ["there"]}
    assert parts(mailto("a+b@example.org", "s", "b"))[0] == "a+b@example.org"


def test_relevant_note_only_when_it_reads_naturally():
    notes = "Met at the co-op. Renovating a flat on Elm Street."
    assert (
        relevant_note(notes, "Retrofitting a Victorian flat", "retrofitting old houses")
        == "renovating a flat on Elm Street"
    )
    assert relevant_note(notes, "Heat pumps in old houses", "heat pumps") == ""
    assert relevant_note("", "Anything", "x") == ""
    long_note = "Flat " + "very " * 30 + "long."
    assert relevant_note(long_note, "A flat", "flats") == ""


def digest(workspace: Path) -> dict:
    return json.loads(next((workspace / "output").glob("*/digest.json")).read_text())


def test_drafts_reuse_the_contacts_own_words(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    contacts = (workspace / "contacts.yaml").read_text()
    (workspace / "contacts.yaml").write_text(
        contacts.replace("notes: Renovating", "said: Renovating")
    )
    invoke(workspace, "run")
    people = {p["name"]: p for p in digest(workspace)["people"]}
    drafts = {s["title"]: s["draft"] for s in people["Zoe Park"]["suggestions"]}
    retrofit = drafts[ARTICLES["retrofit"][0]]
    assert retrofit == (
        "Hi Zoe,\n\n"
        "you mentioned retrofitting old houses (renovating a flat on Elm Street), "
        "and this made me think of you:\n"
        f'"{ARTICLES["retrofit"][0]}"\n'
        f"{http_server.url('/a/retrofit.html')}\n\n"
        "Hope you're well!"
    )
    heat = drafts[ARTICLES["heat"][0]]
    assert heat.startswith("Hi Zoe,\n\nyou mentioned heat pumps, and this made me think of you:")
    assert "Elm Street" not in heat  # her note is about flats, not heat pumps
    assert all(len(d) < 400 for d in drafts.values())  # short enough to edit


def test_html_digest_has_a_safe_mailto_and_the_draft(http_server: Server, workspace: Path):
    title = "Heat pumps & radiators: why? #winter"
    extra = {"odd": (title, ARTICLES["heat"][1])}
    make_site(http_server, workspace, extra)
    invoke(workspace, "run")
    html = next((workspace / "output").glob("*/index.html")).read_text()
    links = [unescape(h) for h in re.findall(r'href="(mailto:[^"]*)"', html)]
    assert links
    found = False
    for link in links:
        address, query = parts(link)
        assert set(query) == {"subject", "body"}
        if query["subject"] == [title]:
            found = True
            assert address in ("zoe@example.org", "")
            assert query["body"][0].startswith("Hi ")
            assert http_server.url("/a/odd.html") in query["body"][0]
    assert found, "the article with & ? # in its title has a mailto link"


def test_a_workspace_template_overrides_the_draft(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    (workspace / "templates").mkdir()
    (workspace / "templates" / "share.txt.j2").write_text(
        "Yo {{ contact.first_name }}! {{ interest }}: {{ article.url }}\n"
    )
    invoke(workspace, "run")
    zack = next(p for p in digest(workspace)["people"] if p["name"] == "Zack Lee")
    assert zack["suggestions"][0]["draft"] == (
        f"Yo Zack! marathon training: {http_server.url('/a/marathon.html')}"
    )


# -- private notes stay private; `said` is what may be quoted back ------------------------

LAID_OFF = "Got laid off in March and is still hunting for a Docker job; don't bring it up."
DOCKER = (
    "Docker images that build in seconds",
    "Docker layers cache well when the Dockerfile copies the lock file first. A Docker job "
    "on a build server then rebuilds only what changed, and Docker images stay small.",
)
PRIVATE_CONTACTS = f"""\
contacts:
  - name: Dan Moreau
    email: dan@example.org
    interests: [docker]
    notes: "{LAID_OFF}"
"""


def _private_words(text: str) -> list[str]:
    """The words of the note (longer than 3 letters) that occur in ``text``."""
    words = {w.strip(".,;'").casefold() for w in LAID_OFF.split()}
    found = {w for w in re.findall(r"[\w']+", text.casefold())}
    return sorted(w for w in words if len(w) > 3 and w not in ("docker",) and w in found)


def test_notes_never_reach_a_draft_or_mailto_in_any_format(http_server: Server, workspace: Path):
    make_site(http_server, workspace, {"docker": DOCKER})
    (workspace / "contacts.yaml").write_text(PRIVATE_CONTACTS)
    invoke(workspace, "run")
    folder = next((workspace / "output").glob("*/"))
    data = json.loads((folder / "digest.json").read_text())
    (dan,) = data["people"]
    assert dan["suggestions"], "the Docker article reaches Dan"
    sent = [s["draft"] for s in dan["suggestions"]] + [
        unquote(s["share_link"]) for s in dan["suggestions"]
    ]
    html = (folder / "index.html").read_text()
    sent += [unquote(unescape(h)) for h in re.findall(r'href="(mailto:[^"]*)"', html)]
    sent += re.findall(r"<pre id=\"[^\"]*-note\">(.*?)</pre>", html, re.S)
    md = (folder / "digest.md").read_text()
    sent += [unquote(h) for h in re.findall(r"\(<(mailto:[^>]*)>\)", md)]
    out = invoke(workspace, "suggest", "Dan Moreau", "--format", "json").stdout
    sent += [s["draft"] for s in json.loads(out)] + [
        unquote(s["share_link"]) for s in json.loads(out)
    ]
    assert len(sent) >= 7
    for text in sent:
        assert _private_words(text) == [], text
        assert "docker job" not in text.casefold()
    # ... and the note is shown to the user, beside Dan, in the page and its twins
    assert LAID_OFF.replace("'", "&#39;") in html
    assert LAID_OFF in md.replace("\\", "")
    text_out = invoke(workspace, "run", "--no-fetch", "--format", "text").stdout
    assert f"   Your notes: {LAID_OFF}" in text_out


def test_said_may_be_quoted_in_the_draft(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    contacts = (workspace / "contacts.yaml").read_text()
    (workspace / "contacts.yaml").write_text(
        contacts.replace(
            "    notes: Renovating a flat on Elm Street.\n",
            "    notes: Renovating a flat on Elm Street.\n"
            '    said: ["I\'m retrofitting a flat, one room at a time"]\n',
        )
    )
    invoke(workspace, "run")
    zoe = next(p for p in digest(workspace)["people"] if p["name"] == "Zoe Park")
    drafts = {s["title"]: s["draft"] for s in zoe["suggestions"]}
    retrofit = drafts[ARTICLES["retrofit"][0]]
    assert "(I'm retrofitting a flat, one room at a time)" in retrofit
    assert "Elm Street" not in " ".join(drafts.values())


def test_a_workspace_template_cannot_read_the_notes(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    (workspace / "templates").mkdir()
    (workspace / "templates" / "share.txt.j2").write_text(
        "Hi {{ contact.first_name }} [{{ contact.notes }}] {{ note }} {{ article.url }}\n"
    )
    invoke(workspace, "run")
    zoe = next(p for p in digest(workspace)["people"] if p["name"] == "Zoe Park")
    assert zoe["suggestions"]
    for s in zoe["suggestions"]:
        assert s["draft"].startswith("Hi Zoe [] ")
        assert "Elm" not in s["draft"]
