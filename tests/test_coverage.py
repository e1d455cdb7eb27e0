"""`curator coverage`: interests that no stored article matched lately."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import Server
from test_history import invoke, make_site

from curator.coverage import gaps, recent_gaps
from curator.match import Index
from curator.models import Article, Contact, Interest
from curator.store import Store


def test_coverage_names_the_uncovered_interests(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    with (workspace / "contacts.yaml").open("a") as fh:
        fh.write("  - name: Ivo Birder\n    interests: [bird migration, heat pumps]\n")
    invoke(workspace, "fetch")
    out = invoke(workspace, "coverage").stdout
    assert out == (
        "Checked 3 articles from the last 4 weeks.\n"
        "Interests no feed covered (consider a feed for these):\n"
        "  Ivo Birder (1 of 2): bird migration\n"
        "Fully covered: Zoe Park, Zack Lee, Ana Souza\n"
    )


def test_coverage_respects_the_period(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    invoke(workspace, "fetch")
    # Age every stored article by three weeks: a one-week window sees none of them.
    old = (datetime.now(UTC) - timedelta(weeks=3)).isoformat(timespec="seconds")
    db = sqlite3.connect(workspace / ".curator" / "curator.db")
    with db:
        db.execute("UPDATE articles SET published = ?, fetched_at = ?", (old, old))
    db.close()
    assert invoke(workspace, "coverage", "--weeks", "1").stdout == (
        "No articles stored from the last week; run `curator fetch` first.\n"
    )
    out = invoke(workspace, "coverage", "--weeks", "4").stdout
    assert out.startswith("Checked 3 articles from the last 4 weeks.\n")
    assert "Every interest matched at least one article." in out
    # the default period is the coverage_weeks setting, shared with the digest
    (workspace / "curator.yaml").write_text("extract_workers: 1\ncoverage_weeks: 2\n")
    assert invoke(workspace, "coverage").stdout == (
        "No articles stored from the last 2 weeks; run `curator fetch` first.\n"
    )
    bad = invoke(workspace, "coverage", "--weeks", "0", code=2)
    assert "Invalid value for '--weeks'" in bad.stderr


def test_coverage_before_any_fetch(workspace: Path):
    (workspace / "feeds.yaml").write_text("feeds: []\n")
    (workspace / "contacts.yaml").write_text("contacts:\n  - {name: A, interests: [x]}\n")
    assert "No articles stored" in invoke(workspace, "coverage").stdout


def test_gaps_is_pure_and_keeps_the_contacts_order():
    now = datetime.now(UTC)
    articles = [
        Article(1, "https://e.org/1", "Sourdough baking at home", "Sourdough " * 20, published=now)
    ]
    people = [
        Contact("B", (Interest("knitting"), Interest("sourdough baking"), Interest("chess"))),
        Contact("A", (Interest("sourdough"),)),
    ]
    found = gaps(Index(articles), people)
    assert [(g.contact.name, g.missing, g.matched) for g in found] == [
        ("B", ("knitting", "chess"), 1),
        ("A", (), 1),
    ]


BIRDS = {  # "garden" and "birds" in two articles, never near each other
    "feeders": (
        "Winter feeders",
        "Birds visit feeders in winter. A small garden can hold three feeders, and the "
        "birds come back daily.",
    ),
    "hedges": (
        "Hedges for wildlife",
        "Birds nest in hedges. Plant a hedge along the edge of a garden. Over the years, "
        "hedges fill with life and with birds.",
    ),
}


def test_coverage_tells_a_typo_or_a_phrase_the_articles_split_from_a_missing_topic(
    http_server: Server, workspace: Path
):
    make_site(http_server, workspace, BIRDS)
    with (workspace / "contacts.yaml").open("a") as fh:
        fh.write(
            "  - name: Pia Kurz\n"
            "    interests: [marahton training, garden birds, bird migration, desk heat]\n"
        )
    invoke(workspace, "fetch")
    assert invoke(workspace, "coverage").stdout == (
        "Checked 5 articles from the last 4 weeks.\n"
        "Interests no feed covered (consider a feed for these):\n"
        "  Pia Kurz (2 of 4): bird migration, desk heat\n"
        "Interests worded unlike the articles (reword them in contacts.yaml):\n"
        "  Pia Kurz: no article matched 'garden birds'; 2 stored articles have 'garden' and "
        "'birds', but apart — reword it as the articles put it?\n"
        "Fully covered: Zoe Park, Zack Lee, Ana Souza\n"
    )
    # nothing but wording: no feed is asked for
    text = (workspace / "contacts.yaml").read_text()
    (workspace / "contacts.yaml").write_text(text.replace(", bird migration, desk heat", ""))
    out = invoke(workspace, "coverage").stdout
    assert "consider a feed" not in out
    assert "Interests worded unlike the articles" in out


def test_only_near_words_the_dictionary_lacks_count_as_typos():
    now = datetime.now(UTC)
    python = "Python code runs everywhere; Python is easy to read. " * 5
    articles = [
        Article(n, f"https://e.org/{n}", title, python, published=now)
        for n, title in enumerate(["Python tips", "Learning Python", "Python at work"], 1)
    ]
    articles.append(
        Article(4, "https://e.org/4", "Failing well", "Failing teaches. " * 5, published=now)
    )
    # a short word alone is matched exactly, so its typo is left to coverage to point out
    people = [Contact("Pia", (Interest("pyton"), Interest("sailing"), Interest("AI")))]
    [gap] = gaps(Index(articles), people)
    assert gap.missing == ("pyton", "sailing", "AI")
    # "sailing" is a word, just not one the articles use; "failing" is no typo of it
    assert gap.need_feed == ("sailing", "AI")
    [typo] = gap.reword
    assert (
        typo.text
        == "no article matched 'pyton'; stored articles say 'python' (3 articles) — a typo?"
    )


# -- the digest's "Topics no feed covers" section ---------------------------------------


def _digest(workspace: Path, *args: str) -> tuple[str, str, dict, str]:
    """Run curator and return the HTML, Markdown, JSON and text digests it wrote."""
    result = invoke(workspace, "run", "--format", "text", *args)
    if "--no-fetch" in args:  # printing alone leaves output/ as published
        invoke(workspace, "run", *args)
    folder = next((workspace / "output").glob("*-W*"))  # one week's folder
    return (
        (folder / "index.html").read_text(encoding="utf-8"),
        (folder / "digest.md").read_text(encoding="utf-8"),
        json.loads((folder / "digest.json").read_text(encoding="utf-8")),
        result.stdout,
    )


def _section(text: str, start: str, end: str) -> str:
    assert start in text, text
    return text.split(start, 1)[1].split(end, 1)[0]


def test_digest_lists_the_interests_no_article_matched(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    with (workspace / "contacts.yaml").open("a") as fh:
        fh.write("  - name: Ivo <Birder>\n    interests: [bird migration, heat pumps]\n")
    html, md, data, text = _digest(workspace)

    assert data["coverage"] == {
        "weeks": 4,
        "uncovered": [{"name": "Ivo <Birder>", "interests": ["bird migration"]}],
    }
    section = _section(html, '<section id="coverage"', "</section>")
    assert '<h2 id="coverage-h">Topics no feed covers</h2>' in section
    assert "No article in the last 4 weeks matched these interests" in section
    # escaped, and linked to the person's card; the covered interest is not listed
    assert ">Ivo &lt;Birder&gt;</a>: bird migration</li>" in section
    assert "heat pumps" not in section and "Zoe Park" not in section
    assert '<a href="#coverage">Topics no feed covers <span class="count">1</span></a>' in html
    md_section = _section(md, "## Topics no feed covers\n", "## Feed health")
    assert "- Ivo \\<Birder\\>: bird migration\n" in md_section
    assert "heat pumps" not in md_section
    assert (
        "Topics no feed covers (no match in the last 4 weeks):\n- Ivo <Birder>: bird migration\n"
        in text
    )


def test_digest_says_which_interests_need_rewording(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    with (workspace / "contacts.yaml").open("a") as fh:
        fh.write("  - name: Ivo <Birder>\n    interests: [bird migration, pumsp]\n")
    html, md, data, text = _digest(workspace)

    typo = "no article matched 'pumsp'; stored articles say 'pumps' (1 article) — a typo?"
    assert data["coverage"]["uncovered"] == [
        {
            "name": "Ivo <Birder>",
            "interests": ["bird migration", "pumsp"],
            "reword": [
                {
                    "interest": "pumsp",
                    "phrase": "pumsp",
                    "typos": [{"word": "pumsp", "articles_say": "pumps", "articles": 1}],
                    "apart": None,
                    "advice": typo,
                }
            ],
        }
    ]
    section = _section(html, '<section id="coverage"', "</section>")
    assert ">Ivo &lt;Birder&gt;</a>: bird migration</li>" in section
    assert "rewording them in contacts.yaml would help" in section
    assert ">Ivo &lt;Birder&gt;</a>: " + typo.replace("'", "&#39;") + "</li>" in section
    md_section = _section(md, "## Topics no feed covers\n", "## Feed health")
    assert "- Ivo \\<Birder\\>: bird migration\n" in md_section
    assert "rewording them in contacts.yaml would help" in md_section
    assert "- Ivo \\<Birder\\>: no article matched 'pumsp'" in md_section
    assert (
        "Topics no feed covers (no match in the last 4 weeks):\n"
        f"- Ivo <Birder>: bird migration\n- Ivo <Birder>: {typo}\n"
    ) in text


def test_digest_coverage_follows_new_interests_and_the_period(http_server: Server, workspace: Path):
    make_site(http_server, workspace)
    html, md, data, _ = _digest(workspace)
    assert data["coverage"]["uncovered"] == []
    assert "Every interest matched at least one article in the last 4 weeks." in html
    assert "Every interest matched at least one article in the last 4 weeks.\n" in md
    assert (workspace / ".curator" / "coverage-cache.json").is_file()

    # a new interest is checked even though no article changed (the cache must not hide it)
    text = (workspace / "contacts.yaml").read_text()
    (workspace / "contacts.yaml").write_text(
        text.replace("interests: [marathon training]", "interests: [marathon training, oboe]")
    )
    _, _, data, _ = _digest(workspace, "--no-fetch")
    assert [(g["name"], g["interests"]) for g in data["coverage"]["uncovered"]] == [
        ("Zack Lee", ["oboe"])
    ]

    # articles older than the period cover nothing: every interest is listed
    old = (datetime.now(UTC) - timedelta(weeks=3)).isoformat(timespec="seconds")
    db = sqlite3.connect(workspace / ".curator" / "curator.db")
    with db:
        db.execute("UPDATE articles SET published = ?, fetched_at = ?", (old, old))
    db.close()
    (workspace / "curator.yaml").write_text("extract_workers: 1\ncoverage_weeks: 2\n")
    html, _, data, _ = _digest(workspace, "--no-fetch")
    assert data["coverage"]["weeks"] == 2
    assert data["coverage"]["uncovered"][0] == {
        "name": "Zoe Park",
        "interests": ["heat pumps", "retrofitting old houses"],
    }
    assert "No article in the last 2 weeks matched these interests" in html


def test_digest_coverage_reuses_the_matchers_window(http_server: Server, workspace: Path):
    # coverage_weeks 1 = since 7d: the matcher's own index answers, with the same result
    make_site(http_server, workspace, {"owls": ("Owls at night", "Owls hunt at night. " * 20)})
    with (workspace / "contacts.yaml").open("a") as fh:
        fh.write("  - name: Ivo Birder\n    interests: [bird migration, owls]\n")
    (workspace / "curator.yaml").write_text("extract_workers: 1\ncoverage_weeks: 1\n")
    _, _, data, _ = _digest(workspace)
    assert data["coverage"] == {
        "weeks": 1,
        "uncovered": [{"name": "Ivo Birder", "interests": ["bird migration"]}],
    }
    # the next run checks only what is new: the owls article still covers "owls"
    invoke(workspace, "dismiss", "ivo", http_server.url("/a/owls.html"))
    _, _, again, _ = _digest(workspace, "--no-fetch")
    assert again["coverage"] == data["coverage"]


def test_remembered_coverage_agrees_with_a_fresh_check(tmp_path: Path):
    """The cache checks only what changed; every answer must equal a check from scratch."""
    start = datetime.now(UTC)
    people = [
        Contact("A", (Interest("sourdough baking"), Interest("knitting"))),
        Contact("B", (Interest("chess openings"),)),
    ]
    cache = tmp_path / "coverage.json"

    def add(store: Store, slug: str, title: str, days_ago: int) -> None:
        store.add_article(
            url=f"https://e.org/{slug}",
            link=f"https://e.org/{slug}",
            title=title,
            text=f"{title}. " * 10,
            author="",
            published=start - timedelta(days=days_ago),
            feed_id=None,
            feed_name="E",
            source="feed",
        )

    def missing(store: Store, days: int, index: Index | None = None) -> set[str]:
        since = start - timedelta(days=days)
        got = recent_gaps(store, people, since, cache_path=cache, index=index)
        fresh = gaps(Index(store.articles_since(since)), people)
        assert [(g.contact, g.missing, g.matched) for g in got] == [
            (g.contact, g.missing, g.matched) for g in fresh
        ]
        return {topic for g in got for topic in g.missing}

    with Store(tmp_path / "curator.db") as store:
        assert missing(store, 28) == {"sourdough baking", "knitting", "chess openings"}
        add(store, "bread", "Sourdough baking for beginners", 20)
        assert missing(store, 28) == {"knitting", "chess openings"}
        add(store, "wool", "Knitting a first jumper", 2)
        assert missing(store, 28) == {"chess openings"}  # only the new article was checked
        # the window moves on: the bread article ages out, and with it its interest
        assert missing(store, 14) == {"sourdough baking", "chess openings"}
        add(store, "loaf", "Sourdough baking in a cold kitchen", 1)
        # the new article is found through an index of the newest articles only (the matcher's)
        newest = Index(store.articles_since(start - timedelta(days=7)))
        assert missing(store, 14, index=newest) == {"chess openings"}
        assert missing(store, 14) == {"chess openings"}
        # a wider window again: everything is checked afresh
        assert missing(store, 28) == {"chess openings"}
        people.append(Contact("C", (Interest("knitting"), Interest("bird migration"))))
        assert missing(store, 28) == {"chess openings", "bird migration"}
