"""`curator feeds list/add/import/export`: feeds.yaml edited in place, OPML both ways."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import Server, rss
from ruamel.yaml import YAML
from test_history import invoke

FIXTURES = Path(__file__).parent / "fixtures" / "relationship"

FEEDS = """\
# What I read.
feeds:
  - url: https://example.org/one.xml   # the good one
    name: One

  # - url: https://example.org/later.xml
"""


def listed(workspace: Path) -> list[dict]:
    return YAML(typ="safe").load((workspace / "feeds.yaml").read_text())["feeds"]


def test_add_keeps_comments_and_refuses_duplicates(workspace: Path):
    (workspace / "feeds.yaml").write_text(FEEDS)
    out = invoke(workspace, "feeds", "add", "https://example.org/two.xml?a=1&b=2", "--name", "Two")
    assert out.stdout == "Added Two; it is fetched on the next: curator run\n"
    assert (workspace / "feeds.yaml").read_text() == (
        "# What I read.\n"
        "feeds:\n"
        "  - url: https://example.org/one.xml   # the good one\n"
        "    name: One\n"
        "  - url: https://example.org/two.xml?a=1&b=2\n"
        "    name: Two\n"
        "\n"
        "  # - url: https://example.org/later.xml\n"
    )
    again = invoke(workspace, "feeds", "add", "HTTPS://EXAMPLE.org/one.xml#top")
    assert again.stdout == "HTTPS://EXAMPLE.org/one.xml#top is already in feeds.yaml\n"
    assert len(listed(workspace)) == 2
    bad = invoke(workspace, "feeds", "add", "javascript:alert(1)", code=2)
    assert bad.stderr.startswith("Error: 'javascript:alert(1)' is not a feed address")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("www.example.org/rss", "https://www.example.org/rss"),
        ("example.org", "https://example.org"),
        ("Example.ORG:8080/feed?x=1", "https://Example.ORG:8080/feed?x=1"),
        ("blog.example.co.uk/feed/", "https://blog.example.co.uk/feed/"),
    ],
)
def test_a_web_address_without_its_scheme_gets_https(workspace: Path, typed: str, stored: str):
    (workspace / "feeds.yaml").write_text(FEEDS)
    result = invoke(workspace, "feeds", "add", typed)
    assert result.stdout == (
        f"{typed} has no scheme; taken as {stored} (write http:// if the site has no https)\n"
        f"Added {stored}; it is fetched on the next: curator run\n"
    )
    assert listed(workspace)[-1] == {"url": stored}
    again = invoke(workspace, "feeds", "add", typed)
    assert again.stdout.endswith(f"{stored} is already in feeds.yaml\n")


def test_a_local_feed_file_must_exist(workspace: Path, tmp_path: Path):
    (workspace / "feeds.yaml").write_text(FEEDS)
    before = (workspace / "feeds.yaml").read_text()
    for typed in ("feeds/mine.xml", "news.xml", (tmp_path / "gone.xml").as_uri()):
        result = invoke(workspace, "feeds", "add", typed, code=2)
        missing = (workspace / typed).resolve() if "://" not in typed else tmp_path / "gone.xml"
        assert result.stderr == (
            f"Error: no feed file at {missing} (a path is read from the workspace folder; "
            "a web address starts with https://)\n"
        ), typed
    assert (workspace / "feeds.yaml").read_text() == before
    for bad in ("ftp://example.org/feed.xml", "mailto:someone@example.org"):
        result = invoke(workspace, "feeds", "add", bad, code=2)
        assert result.stderr == (
            f"Error: {bad!r} is not a feed address; give an http(s) URL or the path of a "
            "feed file\n"
        )
    assert (workspace / "feeds.yaml").read_text() == before
    # Files that exist are taken as they are typed, relative to the workspace or not.
    (workspace / "feeds").mkdir()
    (workspace / "feeds" / "mine.xml").write_text(rss([]))
    (tmp_path / "there.xml").write_text(rss([]))
    result = invoke(workspace, "feeds", "add", "feeds/mine.xml", "--name", "Mine")
    assert result.stdout == "Added Mine; it is fetched on the next: curator run\n"
    invoke(workspace, "feeds", "add", (tmp_path / "there.xml").as_uri())
    assert [f["url"] for f in listed(workspace)[1:]] == [
        "feeds/mine.xml",
        (tmp_path / "there.xml").as_uri(),
    ]


def test_import_nested_opml_with_ampersands(workspace: Path):
    (workspace / "feeds.yaml").write_text(FEEDS)
    result = invoke(workspace, "feeds", "import", str(FIXTURES / "nested.opml"))
    assert result.stdout == "Added 3 feeds; 0 were already listed.\n"
    assert "Skipped 'javascript:alert(1)'" in result.stderr
    feeds = listed(workspace)
    assert feeds[1:] == [
        {
            "url": "https://www.carbonbrief.org/feed/",
            "name": "Carbon Brief",
            "tags": ["News", "Climate"],
        },
        {
            "url": "https://example.org/rss?topic=heat&format=rss",
            "name": "Search & Rescue",
            "tags": ["News"],
        },
        {"url": "http://example.com/feed.xml", "name": "Top level"},
    ]
    again = invoke(workspace, "feeds", "import", str(FIXTURES / "nested.opml"))
    assert again.stdout == "Added 0 feeds; 3 were already listed.\n"


def test_export_is_valid_opml_2_that_round_trips(workspace: Path, tmp_path: Path):
    (workspace / "feeds.yaml").write_text(FEEDS)
    invoke(workspace, "feeds", "import", str(FIXTURES / "nested.opml"))
    exported = invoke(workspace, "feeds", "export").stdout
    root = ET.fromstring(exported.encode())
    assert root.tag == "opml" and root.get("version") == "2.0"
    assert root.find("head/title") is not None and root.find("head/dateCreated") is not None
    outlines = root.findall("body/outline")
    assert all(o.get("type") == "rss" and o.get("text") and o.get("xmlUrl") for o in outlines)
    assert "?topic=heat&amp;format=rss" in exported
    other = tmp_path / "other"
    other.mkdir()
    (tmp_path / "out.opml").write_text(exported)
    invoke(other, "feeds", "import", str(tmp_path / "out.opml"))
    assert listed(other) == listed(workspace)


def test_opml_cannot_point_at_files_outside_the_workspace(workspace: Path, tmp_path: Path):
    inside = (workspace / "local.xml").resolve().as_uri()
    opml = tmp_path / "files.opml"
    opml.write_text(
        '<opml version="2.0"><body>'
        '<outline text="secrets" xmlUrl="file:///etc/passwd"/>'
        '<outline text="relative" xmlUrl="../secret.xml"/>'
        f'<outline text="mine" xmlUrl="{inside}"/>'
        "</body></opml>"
    )
    result = invoke(workspace, "feeds", "import", str(opml))
    assert result.stdout == "Added 1 feed; 0 were already listed.\n"
    assert "Skipped 'file:///etc/passwd'" in result.stderr
    assert "Skipped '../secret.xml'" in result.stderr
    assert listed(workspace) == [{"url": inside, "name": "mine"}]


def test_opml_with_a_doctype_or_garbage_is_refused(workspace: Path, tmp_path: Path):
    bomb = tmp_path / "bomb.opml"
    bomb.write_text(
        '<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaa">]>'
        '<opml version="2.0"><body><outline xmlUrl="http://x/&a;"/></body></opml>'
    )
    result = invoke(workspace, "feeds", "import", str(bomb), code=2)
    assert result.stderr == "Error: bomb.opml: OPML with a DOCTYPE or entities is not accepted\n"
    junk = tmp_path / "junk.opml"
    junk.write_text("<html><body>hi</body></html>")
    result = invoke(workspace, "feeds", "import", str(junk), code=2)
    assert "not an OPML file" in result.stderr
    assert not (workspace / "feeds.yaml").exists()


def test_list_shows_each_feeds_last_fetch(http_server: Server, workspace: Path):
    good = http_server.add("/good.xml", rss([]), content_type="application/rss+xml")
    (workspace / "contacts.yaml").write_text("contacts: []\n")
    # a feed on this machine is added only when its host is allowed
    (workspace / "curator.yaml").write_text("allow_private_hosts: [127.0.0.1]\n")
    invoke(workspace, "feeds", "add", good, "--name", "Good")
    invoke(workspace, "feeds", "add", http_server.url("/gone.xml"))
    assert invoke(workspace, "feeds", "list").stdout == (
        f"Good\n    {good}  (not fetched yet)\n"
        f"{http_server.url('/gone.xml')}\n    {http_server.url('/gone.xml')}  (not fetched yet)\n"
    )
    invoke(workspace, "fetch")
    out = invoke(workspace, "feeds", "list").stdout
    assert f"{good}  (ok 20" in out
    assert "(failing (1x): HTTP 404" in out


def test_list_with_no_feeds(workspace: Path):
    (workspace / "feeds.yaml").write_text("feeds: []\n")
    out = invoke(workspace, "feeds", "list").stdout
    assert out == "No feeds yet: curator feeds add URL, or curator feeds import FILE.opml\n"
