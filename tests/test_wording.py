"""Counts agree with their nouns, and a workspace with nobody in it says so, in every format."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import Server
from test_history import invoke, make_site
from test_render import WHEN, Page, sample_digest

from curator import pipeline, render


def words(html: str) -> str:
    return " ".join(" ".join(Page(html).text).split())


def test_one_feed_is_one_feed():
    digest = sample_digest()
    digest.failures, digest.feeds = [], 1
    one = "The 1 feed was read without problems."
    assert one in words(render.render_digest(None, digest, "html"))
    assert one in render.render_digest(None, digest, "md")
    digest.feeds = 0
    html = words(render.render_digest(None, digest, "html"))
    assert "No feed is listed in feeds.yaml yet" in html and "All 0" not in html


def test_a_digest_for_nobody_says_to_add_people():
    empty = pipeline.Digest(week="2026-W48", generated_at=WHEN, people=[], feeds=2)
    html = words(render.render_digest(None, empty, "html"))
    md = render.render_digest(None, empty, "md")
    text = render.render_digest(None, empty, "text")
    for out in (html, md, text):
        assert "no contacts yet" in out.casefold(), out
        assert not re.search(r"\b0 suggestions|of 0 people|Every interest matched", out), out
    assert text.startswith("Week 48, 2026 (23–29 Nov 2026): no contacts yet")


def test_fetch_and_failures_count_in_the_singular(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    assert invoke(workspace, "fetch").stdout == "3 new articles from 1 feed\n"
    (workspace / "feeds.yaml").write_text(f"feeds:\n  - url: {http_server.url('/gone.xml')}\n")
    result = invoke(workspace, "fetch")
    assert result.stderr.startswith("1 of 1 feed failed:\n"), result.stderr
    assert result.stdout == "0 new articles from 0 feeds\n"


def test_a_workspace_with_nobody_yet_runs_and_says_so(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    (workspace / "contacts.yaml").write_text("contacts:\n")  # the example entry deleted
    text = invoke(workspace, "run", "--format", "text").stdout
    assert ": no contacts yet; add people to contacts.yaml" in text.splitlines()[0]
    page = words(next((workspace / "output").glob("*/index.html")).read_text())
    assert "No contacts yet" in page and "Every interest matched" not in page
    assert "The 1 feed was read without problems." in page
    out = invoke(workspace, "coverage").stdout
    assert out.startswith("No contacts yet") and "Every interest" not in out
