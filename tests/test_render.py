"""The digest's pages and twins: safety of feed text, consistency of formats, golden files.

The workspaces here are also what tests/test_browser.py opens in Chromium: real feeds
(files next to feeds.yaml, marked full_text so nothing is fetched) run through the real
pipeline. Golden files come from a hand-built digest with fixed dates, so they only change
when the templates do; regenerate them with CURATOR_UPDATE_GOLDEN=1.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shlex
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from click.testing import CliRunner
from conftest import rss

from curator import __version__, pipeline, render
from curator.cli import cli
from curator.config import open_workspace
from curator.coverage import Gap
from curator.models import Article, Contact, FeedFailure, Interest, Reason, Suggestion

GOLDEN = Path(__file__).parent / "golden"
# Read at import: the autouse fixture clears CURATOR_* before each test runs.
UPDATE_GOLDEN = os.environ.get("CURATOR_UPDATE_GOLDEN") == "1"

# -- workspaces run through the real pipeline -------------------------------------------

NORMAL_CONTACTS = """\
contacts:
  - name: Ada Gardener
    email: ada@example.org
    interests: [growing tomatoes, urban gardening]
    cadence: 14d
    last_contact: {long_ago}
  - name: Bo Climber
    email: bo@example.org
    interests: [bouldering, climbing shoes]
    cadence: 30d
    last_contact: {recently}
  - name: Cy Musician
    interests: [jazz piano]
    avoid: [pension]
  - name: Di Nobody
    interests: [medieval tapestry]
    cadence: 7d
"""

NORMAL_ARTICLES = [
    (
        "Growing tomatoes in a small urban garden",
        "https://garden.example/2026/11/tomatoes-in-small-gardens",
        "Tomatoes grow well in a small garden if they get six hours of sun. "
        "Urban gardening on balconies needs deep pots and regular watering. "
        "Gardeners who grow tomatoes should pinch out the side shoots. ",
    ),
    (
        "Bouldering for beginners: your first month at the climbing wall",
        "https://climb.example/guides/bouldering-first-month?ref=feed",
        "Bouldering is climbing without ropes on short walls above thick mats. "
        "Good climbing shoes matter more than strength in your first month. ",
    ),
    (
        "The return of the jazz piano trio",
        "https://music.example/jazz/the-return-of-the-piano-trio",
        "Jazz piano trios are filling small clubs again across Europe. "
        "A new generation of jazz pianists records live to tape. ",
    ),
    (
        "New rules for the pension tax allowance",
        "https://money.example/pension-allowance",
        "The pension tax allowance changes next April for higher earners. ",
    ),
]

# Titles, links and text as a stranger's feed might send them. Links that are not
# http(s) are dropped by the feed parser, so the ones left try to break out of attributes.
HOSTILE_ARTICLES = [
    (
        '<script>alert("title")</script> Urban gardening on the roof',
        "https://evil.example/a?q=\"><script>alert('href')</script>",
        "<p>Urban gardening <img src=x onerror=\"alert('img')\"> grows tomatoes.</p>"
        "<script>alert('body')</script><p>Growing tomatoes is fun.</p>",
    ),
    (
        "Growing tomatoes\r\nBcc: victim@example.org\r\n\x1b[31mred terminal\x1b[0m",
        "https://evil.example/b#\"' onmouseover='alert(1)",
        "Growing tomatoes behind glass; urban gardening for renters.",
    ),
    (
        "Urban gardening " + "Ü" * 40 + "x" * 400,
        "https://evil.example/" + "very-long-path-segment-" * 40,
        "Urban gardening with " + "Supercalifragilistic" * 30 + " tomatoes.",
    ),
    (
        '"><svg onload=alert(4)> growing tomatoes [link](javascript:alert(5)) **bold**',
        "https://evil.example/c",
        "Growing tomatoes and urban gardening, said <b onclick=alert(6)>nobody</b>.",
    ),
    ("javascript link: growing tomatoes", "javascript:alert('link')", "Urban gardening."),
    ("data link: growing tomatoes", "data:text/html,<script>alert(7)</script>", "Gardening."),
    ("vbscript link", "vbscript:msgbox(8)", "Urban gardening."),
    ("scheme-less link", "//evil.example/d", "Urban gardening."),
]

HOSTILE_CONTACTS = """\
contacts:
  - name: Ada <b>Gardener</b>
    email: "ada@example.org"  # a cc= here is refused on load (test_config)
    interests: [growing tomatoes, urban gardening]
    cadence: 7d
"""


def _rss(articles: list[tuple[str, str, str]], days_ago: int = 1) -> str:
    when = format_datetime(datetime.now(UTC) - timedelta(days=days_ago))
    return rss(
        [
            {"title": title, "link": link, "description": text * 3, "pubDate": when}
            for title, link, text in articles
        ],
        title="Feed",
    )


def normal_workspace(root: Path) -> Path:
    """Two good feeds, one missing, four people (two overdue, one without matches)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "garden.xml").write_text(_rss(NORMAL_ARTICLES[:2]), encoding="utf-8")
    (root / "music.xml").write_text(_rss(NORMAL_ARTICLES[2:], days_ago=2), encoding="utf-8")
    (root / "feeds.yaml").write_text(
        "feeds:\n"
        "  - {url: garden.xml, name: Garden & Climbing Weekly, full_text: true}\n"
        "  - {url: music.xml, name: Music Notes, full_text: true}\n"
        "  - {url: gone.xml, name: Old Blog}\n",
        encoding="utf-8",
    )
    today = datetime.now(UTC).date()
    (root / "contacts.yaml").write_text(
        NORMAL_CONTACTS.format(
            long_ago=today - timedelta(days=40), recently=today - timedelta(days=3)
        ),
        encoding="utf-8",
    )
    # Di, with a 7-day cadence and nothing shared, was first seen ten days ago: overdue
    from curator.store import Store

    with Store(root / ".curator" / "curator.db") as store:
        store.first_seen(["di nobody"], datetime.now(UTC) - timedelta(days=10))
    return root


def hostile_workspace(root: Path) -> Path:
    """A feed full of script tags, handlers, odd links, CR/LF and huge words."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "evil.xml").write_text(_rss(HOSTILE_ARTICLES), encoding="utf-8")
    (root / "feeds.yaml").write_text(
        "feeds:\n"
        "  - url: evil.xml\n"
        "    name: \"<script>alert('feed name')</script>\"\n"
        "    full_text: true\n"
        '  - url: "missing-<img src=x onerror=alert(9)>.xml"\n'
        '    name: "<img src=x onerror=alert(10)>"\n',
        encoding="utf-8",
    )
    (root / "contacts.yaml").write_text(HOSTILE_CONTACTS, encoding="utf-8")
    # every hostile article should reach the page, not just the best three
    (root / "curator.yaml").write_text("per_contact: 20\n", encoding="utf-8")
    return root


def run_pipeline(root: Path) -> tuple[Path, pipeline.Digest]:
    """Run the weekly job on a workspace; the digest's HTML path and the digest."""
    report, digest = pipeline.run(open_workspace(str(root)))
    return Path(report.digest_path), digest


# -- a hand-built digest: fixed dates, raw hostile values straight into the renderer ----

WHEN = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def _article(n: int, title: str, url: str, feed: str = "Garden Weekly") -> Article:
    return Article(
        id=n,
        url=url,
        title=title,
        text="word " * (230 * n),
        feed=feed,
        published=WHEN - timedelta(days=n),
    )


def _reason(interest: str, snippet: str, word: str) -> Reason:
    start = snippet.casefold().index(word.casefold())
    return Reason(
        interest=interest,
        matched=((word.casefold(), word, 100), ("tomato", "tomatoes", 92)),
        where="title and body",
        count=3,
        snippet=snippet,
        marks=((start, start + len(word)),),
        score=2.5,
    )


def sample_digest(hostile: bool = False) -> pipeline.Digest:
    """A digest built by hand. hostile=True puts raw attack strings where feed text goes,
    bypassing the feed parser's own clean-up, to test the renderer as the last line."""
    ada = Contact(
        "Ada Gardener",
        (Interest("urban gardening"), Interest("growing tomatoes")),
        email="ada@example.org",
        cadence_days=14,
        # notes may come from an imported address book: a stranger's text too
        notes="<script>alert('notes')</script>\r\nBcc: x" if hostile else "Moving in May.",
    )
    bo = Contact("Bo Climber", (Interest("bouldering"),), cadence_days=30)
    cy = Contact("Cy Musician", (Interest("jazz piano"),))
    if hostile:
        titles = [
            '<script>alert("t1")</script><img src=x onerror=alert(1)>',
            "CR/LF\r\nBcc: victim@example.org\r\n\x1b[31m" + "W" * 300,
            '"><svg onload=alert(2)>',
            "javascript href",
            "data href",
            "vbscript href",
            "scheme-less href",
        ]
        urls = [
            "https://evil.example/x?\"><script>alert('u')</script>",
            "https://evil.example/" + "a" * 500,
            "http://evil.example/'onmouseover='alert(3)",
            "javascript:alert('js')",
            "data:text/html;base64,PHNjcmlwdD5hbGVydCg0KTwvc2NyaXB0Pg==",
            "vbscript:msgbox(5)",
            "//evil.example/schemeless",
        ]
        snippet = "Urban gardening <script>alert('snippet')</script> & <b onclick=alert(6)>x</b>"
        feed = "<i onmouseover=alert(7)>Evil feed</i>"
    else:
        titles = [
            "Growing tomatoes in a small urban garden",
            "Bouldering for beginners: your first month at the climbing wall",
            "The return of the jazz piano trio",
        ]
        urls = [
            "https://garden.example/2026/11/tomatoes",
            "https://climb.example/bouldering",
            "https://music.example/jazz-trio",
        ]
        snippet = "Urban gardening on balconies needs deep pots and regular watering."
        feed = "Garden Weekly"
    pairs = enumerate(zip(titles, urls, strict=True), 1)
    articles = [_article(n, t, u, feed) for n, (t, u) in pairs]
    reason = _reason("urban gardening", snippet, "Urban gardening")

    def suggest(contact: Contact, article: Article, score: float) -> Suggestion:
        draft = f"Hi {contact.first_name},\n\nthis made me think of you: {article.title}\n\n"
        return Suggestion(contact, article, score, (reason,), draft + article.url)

    ada_articles = articles if hostile else articles[:1] + articles[2:]
    people = [
        pipeline.Person(
            ada,
            [suggest(ada, a, 3.0 - i / 10) for i, a in enumerate(ada_articles)],
            last_contact=WHEN - timedelta(days=40),
            overdue=True,
            as_of=WHEN,
        ),
        pipeline.Person(bo, [suggest(bo, articles[1], 2.2)], WHEN - timedelta(days=3), as_of=WHEN),
        pipeline.Person(cy, [], None, as_of=WHEN),
    ]
    failures = [
        FeedFailure("https://old.example/feed.xml", "HTTP 404: not found", "feed", "Old Blog"),
        FeedFailure("https://music.example/p", "page not readable", "page", "Music Notes"),
    ]
    if hostile:
        failures.append(
            FeedFailure("javascript:alert(8)", "<script>alert(9)</script>", "feed", '"><b>x')
        )
    return pipeline.Digest(
        week="2026-W48",
        generated_at=WHEN,
        people=people,
        failures=failures,
        articles_considered=12,
        feeds=3,
        coverage_gaps=[
            Gap(
                cy,
                ("<script>alert(10)</script> & *bold* [x](y)" if hostile else "modular synths",),
                1,
            )
        ],
    )


# -- an HTML reader for assertions -----------------------------------------------------


class Page(HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML document."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.text).append(data)

    def hrefs(self) -> list[str]:
        return [a["href"] for tag, a in self.tags if tag == "a" and "href" in a]


def assert_inert(html: str) -> Page:
    """No element, attribute or link in the page that could run code or leave the page."""
    doc = Page(html)
    script = render.environment().globals["script"]
    assert [t for t, _ in doc.tags if t == "script"] == ["script"]
    assert doc.scripts == [str(script)]
    banned = {"iframe", "img", "svg", "object", "embed", "form", "base", "link", "frame"}
    assert not [t for t, _ in doc.tags if t in banned]
    for tag, attrs in doc.tags:
        assert not [k for k in attrs if k.startswith("on")], (tag, attrs)
        assert "style" not in attrs, (tag, attrs)
    for href in doc.hrefs():
        scheme = urlsplit(href).scheme
        if scheme in ("http", "https"):
            assert urlsplit(href).hostname, href
        elif scheme == "mailto":
            assert not re.search(r"[\s<>\"']", href), href
        else:
            assert scheme == "" and not href.startswith("//"), href
    return doc


def outside_code(md: str) -> str:
    """The Markdown without its code spans (literal text in every renderer), which only the
    lines giving the `curator shared` and `curator dismiss` commands may hold."""
    spans = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")
    for line in md.splitlines():
        if spans.search(line) and "not a web link" not in line:
            assert re.match(r"   - (Sent it|Not for [^:]+): `+ ?curator (shared|dismiss) ", line)
            assert spans.sub("", line).count("`") == 0, line
    return spans.sub("", md)


# -- tests ------------------------------------------------------------------------------


def test_normal_pipeline_digest_shows_everyone_in_all_three_formats(workspace: Path):
    html_path, digest = run_pipeline(normal_workspace(workspace))
    html = html_path.read_text(encoding="utf-8")
    md = (html_path.parent / "digest.md").read_text(encoding="utf-8")
    data = json.loads((html_path.parent / "digest.json").read_text(encoding="utf-8"))
    doc = assert_inert(html)
    text = " ".join(" ".join(doc.text).split())

    names = [p.contact.name for p in digest.people]
    assert [p["name"] for p in data["people"]] == names
    assert names[:2] == ["Ada Gardener", "Di Nobody"]  # overdue first, longest wait first
    suggested = [(p.contact.name, s) for p in digest.people for s in p.suggestions]
    assert {n for n, _ in suggested} == {"Ada Gardener", "Bo Climber", "Cy Musician"}
    for person in data["people"]:
        assert person["name"] in text and f"### {person['name']}" in md
        for s in person["suggestions"]:
            assert s["title"] in text and s["title"] in md.replace("\\", "")
            assert s["url"] in doc.hrefs()
            assert f"(<{s['url']}>)" in md
            assert unquote(s["share_link"]).count(s["url"]) == 1
            for r in s["reasons"]:
                assert r["interest"] in text
    # the JSON's by-article view matches the page's
    for article in data["articles"]:
        assert article["url"] in doc.hrefs()
    assert text.count("Who would value this:") == len(data["articles"])
    assert "Overdue Last in touch 40 days ago" in text
    assert "Nothing shared yet" in text and "maybe just say hi" in text
    assert "Old Blog" in text and "Old Blog" in md
    assert [f["feed"] for f in data["failures"]] == ["Old Blog"]
    assert "2 of 3 feeds read fine" in text
    assert "Garden &amp; Climbing Weekly" in html


def test_hostile_feed_through_the_pipeline_is_inert(workspace: Path):
    html_path, digest = run_pipeline(hostile_workspace(workspace))
    titles = " ".join(s.article.title for s in digest.people[0].suggestions)
    # (the feed parser may strip tags from titles one day; the rest must still arrive)
    for needle in ("alert(", "Bcc:", "x" * 400):
        assert needle in titles, f"{needle!r} must reach the page to test it"
    for path in (html_path, html_path.parent.parent / "index.html"):
        assert_inert(path.read_text(encoding="utf-8"))
    html = html_path.read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(&#39;feed name&#39;)&lt;/script&gt;" in html
    assert "Ada &lt;b&gt;Gardener&lt;/b&gt;" in html
    md = (html_path.parent / "digest.md").read_text(encoding="utf-8")
    assert not re.findall(r"(?<![\\(])<", outside_code(md)), "every < is escaped or a link"
    assert "](<javascript" not in md and "\r" not in md


def test_hand_built_hostile_digest_is_inert_in_every_format():
    digest = sample_digest(hostile=True)
    doc = assert_inert(render.render_digest(None, digest, "html"))
    text = "".join(doc.text)
    # shown as text, never as links
    for url in ("javascript:alert('js')", "vbscript:msgbox(5)", "//evil.example/schemeless"):
        assert url in text
        assert url not in doc.hrefs()
    assert not [h for h in doc.hrefs() if h.startswith(("data:", "javascript:", "vbscript:"))]
    assert '<script>alert("t1")</script><img src=x onerror=alert(1)>' in text
    # an href with quotes and angle brackets stays inside its attribute
    assert "https://evil.example/x?\"><script>alert('u')</script>" in doc.hrefs()

    md = render.render_digest(None, digest, "md")
    assert not re.findall(r"(?<![\\(])<", outside_code(md)), "every < is escaped or a link"
    assert "](<javascript" not in md and "](<data" not in md and "](<//" not in md
    assert "\r" not in md and "\x1b" not in md

    text_out = render.render_digest(None, digest, "text")
    assert "\r" not in text_out and "\x1b" not in text_out
    assert not [line for line in text_out.splitlines() if line.startswith("Bcc:")]


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        " JavaScript:alert(1)",
        "java\tscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "http:///no-host",
        "https://",
        "file:///etc/passwd",
        "https://evil.example:99999/",
        "https://evil.example/\nnext",
    ],
)
def test_unsafe_article_links_are_shown_as_text(url: str):
    digest = sample_digest()
    s = digest.people[0].suggestions[0]
    article = Article(**{**s.article.__dict__, "url": url})
    digest.people[0].suggestions[0] = Suggestion(s.contact, article, s.score, s.reasons, s.draft)
    doc = assert_inert(render.render_digest(None, digest, "html"))
    assert url not in doc.hrefs()
    assert s.article.title in "".join(doc.text)


def test_mailto_is_built_from_encoded_parts_only():
    link = render.mailto(
        "ada@example.org?cc=boss@example.org",
        "Title\r\nBcc: victim@example.org",
        'Body & more\r\n<script>"',
    )
    parts = urlsplit(link)
    assert parts.scheme == "mailto"
    assert parts.path == ""  # not one plain address: no recipient rather than two
    assert parse_qs(parts.query) == {
        "subject": ["Title Bcc: victim@example.org"],
        "body": ['Body & more\r\n<script>"'],
    }
    assert not re.search(r"[\s<>\"'&]", link.replace("&body=", ""))


@pytest.mark.parametrize(
    "email",
    ["a@x.org,eve@evil.example", "a@x.org;eve@evil.example", "a@x.org eve@evil.example"],
)
def test_mailto_names_one_plain_address_or_none(email: str):
    link = render.mailto(email, "Subject", "Body")
    assert link == "mailto:?subject=Subject&body=Body"
    assert (
        render.mailto("ada+news@example.org", "S", "B")
        == "mailto:ada%2Bnews@example.org?subject=S&body=B"
    )


def test_csp_hashes_match_the_inline_style_and_script():
    html = render.render_digest(None, sample_digest(), "html")
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)[1]
    style = re.search(r"<style>(.*?)</style>", html, re.S)[1]
    script = re.search(r"<script>(.*?)</script>", html, re.S)[1]

    def sha(text: str) -> str:
        return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()

    assert f"style-src '{sha(style)}'" in csp and f"script-src '{sha(script)}'" in csp
    assert "default-src 'none'" in csp and "unsafe" not in csp


def test_templates_never_mark_text_safe():
    folder = render.packaged_templates()
    for template in folder.glob("*.j2"):
        source = re.sub(r"\{#.*?#\}", "", template.read_text(encoding="utf-8"), flags=re.S)
        assert not re.search(r"\|\s*safe\b(?!_)", source), template.name
        assert "autoescape false" not in source, template.name


def test_text_format_prints_a_plain_digest(workspace: Path):
    hostile_workspace(workspace)
    result = CliRunner().invoke(
        cli, ["-w", str(workspace), "run", "--format", "text"], catch_exceptions=False
    )
    assert result.exit_code == 0
    out = result.stdout
    assert out.startswith("Week ")
    assert "== Ada <b>Gardener</b>" in out
    assert "\r" not in out and "\x1b" not in out
    assert "Growing tomatoes Bcc: victim@example.org" in out
    assert "Problems this run:" in out

    # re-rendered from stored articles, the page keeps the week's feed health
    CliRunner().invoke(cli, ["-w", str(workspace), "run", "--no-fetch"], catch_exceptions=False)
    page = next((workspace / "output").glob("*/index.html")).read_text(encoding="utf-8")
    assert "1 of 2 feeds read fine" in page and "No feed was read" not in page
    assert "&lt;img src=x onerror=alert(10)&gt;" in page  # the failing feed, named


def _output(root: Path) -> dict[str, bytes]:
    files = (root / "output").rglob("*")
    return {str(p.relative_to(root)): p.read_bytes() for p in files if p.is_file()}


def test_printing_the_digest_leaves_the_published_week_alone(workspace: Path):
    normal_workspace(workspace)
    invoke = CliRunner().invoke
    assert invoke(cli, ["-w", str(workspace), "run"]).exit_code == 0
    published = _output(workspace)
    week = next(p for p in published if p.endswith("/index.html") and p.count("/") == 2)
    assert "Old Blog" in published[week].decode()  # the failing feed, in the health section

    printed = invoke(cli, ["-w", str(workspace), "run", "--no-fetch", "--format", "text"])
    assert (printed.exit_code, printed.stderr) == (0, "")
    assert printed.stdout.startswith("Week ")
    assert "Growing tomatoes in a small urban garden" in printed.stdout
    assert "Problems this run:\n- Old Blog: " in printed.stdout  # the week's, from its fetch
    assert _output(workspace) == published  # byte for byte, the index too

    # with no fetch this week, a re-rendered page says so
    import sqlite3

    with sqlite3.connect(workspace / ".curator" / "curator.db") as db:
        db.execute("UPDATE runs SET started_at = '2000-01-03T07:00:00+00:00'")
    assert invoke(cli, ["-w", str(workspace), "run", "--no-fetch"]).exit_code == 0
    page = (workspace / week).read_text(encoding="utf-8")
    assert "No feed was read for this digest" in page and "Old Blog" not in page


def test_index_lists_digests_newest_first_with_counts(workspace: Path):
    html_path, _ = run_pipeline(normal_workspace(workspace))
    ws = open_workspace(str(workspace))
    # two older weeks, written the way an earlier run would have left them
    for week in ("2026-W01", "2025-W52"):
        data = render.digest_data(sample_digest())
        data["week"] = week
        folder = ws.output_dir / week
        folder.mkdir()
        (folder / "digest.json").write_text(json.dumps(data), encoding="utf-8")
        (folder / "index.html").write_text("<!doctype html>", encoding="utf-8")
    # neither a broken twin nor a folder without a page may break the index or appear in it
    for week, text in (("2026-W02", "[1, 2]"), ("2026-W03", "{not json"), ("2026-W04", "{}")):
        (ws.output_dir / week).mkdir()
        (ws.output_dir / week / "digest.json").write_text(text, encoding="utf-8")
        (ws.output_dir / week / "index.html").write_text("<!doctype html>", encoding="utf-8")
    (ws.output_dir / "2026-W05").mkdir()
    (ws.output_dir / "2026-W05" / "digest.json").write_text(json.dumps(data), encoding="utf-8")
    doc = assert_inert(render.write_index(ws).read_text(encoding="utf-8"))
    weeks = [h.split("/")[0] for h in doc.hrefs() if h.endswith("/index.html")]
    assert weeks == [html_path.parent.name, "2026-W01", "2025-W52"]
    text = " ".join(" ".join(doc.text).split())
    assert "Week 1, 2026 29 Dec 2025 – 4 Jan 2026 3 suggestions 2 people 1 overdue" in text
    assert "2 feed problems" in text


def test_week_labels():
    assert render.week_label("2026-W48") == "Week 48, 2026"
    assert render.week_span("2026-W48") == "23–29 Nov 2026"
    assert render.week_span("2026-W49") == "30 Nov – 6 Dec 2026"
    assert render.week_span("2026-W01") == "29 Dec 2025 – 4 Jan 2026"
    assert render.week_label("my copy") == "my copy" and render.week_span("2026-W60") == ""


def test_markdown_highlight_keeps_spaces_and_joins_neighbouring_marks():
    snippet = "Urban gardening on *balconies*"
    assert render.md_highlight(snippet, [(0, 5), (6, 15)]) == (
        "**Urban gardening** on \\*balconies\\*"
    )
    assert str(render.highlight("a <b> c", [(2, 5), (3, 4)])) == "a <mark>&lt;b&gt;</mark> c"


@pytest.mark.parametrize("fmt", ["html", "md", "text", "json"])
def test_rendered_digest_matches_golden_file(fmt: str):
    out = render.render_digest(None, sample_digest(), fmt)
    out = out.replace(__version__, "VERSION")
    out = re.sub(r"sha256-[A-Za-z0-9+/=]+", "sha256-HASH", out)
    out = re.sub(r"<style>.*?</style>", "<style>STYLE</style>", out, flags=re.S)
    out = re.sub(r"<script>.*?</script>", "<script>SCRIPT</script>", out, flags=re.S)
    golden = GOLDEN / ("digest." + {"text": "txt"}.get(fmt, fmt))
    if UPDATE_GOLDEN:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(out, encoding="utf-8")
    assert golden.exists(), "run with CURATOR_UPDATE_GOLDEN=1 to create the golden file"
    assert out == golden.read_text(encoding="utf-8"), (
        f"{golden.name} changed; if intended, rerun with CURATOR_UPDATE_GOLDEN=1 and review"
        " the diff"
    )


# -- closing the loop: the shared/dismiss commands on the page ---------------------------


def test_record_commands_survive_a_shell_and_name_the_same_article():
    from curator.urls import canonical_url

    url = "https://example.org/it's a <test>?q=1&b=`x`;rm -rf ~"
    contact = Contact("Dara O'Brien", (Interest("x"),))
    article = Article(id=1, url=url, title="T", text="")
    commands = render.record_commands(Suggestion(contact, article, 1.0, ()))
    assert set(commands) == {"shared", "dismiss"}
    for action, command in commands.items():
        args = shlex.split(command)
        assert args[:3] == ["curator", action, "Dara O'Brien"] and len(args) == 4
        assert canonical_url(args[3]) == canonical_url(url)
        assert not re.search(r"[\s<>`]", args[3])
    md = render.md_code(commands["shared"])
    assert md.startswith("`curator shared ") and md.endswith("'`")
    assert render.md_code("a `b` c") == "``a `b` c``"
    assert render.md_code("`x") == "`` `x ``"
    # a link curator would refuse to record gets no command
    bad = Article(id=2, url="javascript:alert(1)", title="T", text="")
    assert render.record_commands(Suggestion(contact, bad, 1.0, ())) == {}


def test_the_commands_on_the_page_record_the_share(http_server, workspace: Path):
    from test_history import invoke, make_site, suggested

    make_site(http_server, workspace)
    invoke(workspace, "run")
    folder = next((workspace / "output").glob("*/"))
    doc = Page((folder / "index.html").read_text(encoding="utf-8"))
    text = "\n".join(doc.text)
    md = (folder / "digest.md").read_text(encoding="utf-8")
    before = suggested(workspace, "Zoe Park")
    assert len(before) >= 2
    shared_cmd = next(line for line in text.splitlines() if line.startswith("curator shared 'Zoe"))
    dismiss_cmd = next(line for line in text.splitlines() if line.startswith("curator dismiss "))
    assert f"`{shared_cmd}`" in md and f"`{dismiss_cmd}`" in md
    args = shlex.split(shared_cmd)
    out = invoke(workspace, *args[1:]).stdout
    assert out.startswith("Recorded: '") and "' shared with Zoe Park on " in out
    slug = args[3].rsplit("/", 1)[-1]
    assert slug in before and slug not in suggested(workspace, "Zoe Park")
