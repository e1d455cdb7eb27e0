"""`curator explain NAME URL`: the breakdown for one pair, and why it was not suggested."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from curator.cli import cli
from curator.store import Store, now

CONTACTS = """\
contacts:
  - name: Zoe Park
    interests:
      - {topic: marathon training, also: [long-distance running], weight: 2}
      - nutrition
    avoid: [doping]
"""

ARTICLES = {
    "plan": (
        "A coach's twelve-week marathon training plan",
        "This plan builds from 25 to 60 kilometres a week. Train at conversational pace. "
        "Our club believes in clean sport: no doping, just patient marathon training.",
        1,
    ),
    "ban": (
        "Marathon winner banned in doping case",
        "The winner was banned after a doping test. The doping agency said he used it during "
        "marathon training. It is the third doping case this year.",
        1,
    ),
    "plan-copy": (
        "A coach's twelve-week marathon training plan",
        "The same story from another feed, with a long introduction about the club, its "
        "members, the weather, the route through the park and the coffee afterwards.",
        1,
    ),
    "cats": ("Cats sleep a lot", "Cats sleep sixteen hours a day.", 1),
    "old": ("Marathon training in the rain", "Marathon training in the rain is good.", 30),
}


@pytest.fixture
def ws(workspace: Path) -> Path:
    (workspace / "contacts.yaml").write_text(CONTACTS)
    (workspace / "feeds.yaml").write_text("feeds: []\n")
    with Store(workspace / ".curator" / "curator.db") as store:
        for slug, (title, text, days) in ARTICLES.items():
            url = f"https://example.org/{slug}"
            store.add_article(
                url=url,
                link=url,
                title=title,
                text=text,
                author="",
                published=now() - timedelta(days=days),
                feed_id=None,
                feed_name="Running news",
                source="feed",
            )
    return workspace


def explain(ws: Path, *args: str, ok: bool = True):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["-w", str(ws), "explain", *args], catch_exceptions=not ok)


def test_a_suggested_article_shows_every_part(ws: Path) -> None:
    result = explain(ws, "zoe", "https://example.org/plan")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.startswith(
        "“A coach's twelve-week marathon training plan”\n"
        "  https://example.org/plan\n"
        "Suggested to Zoe Park (number 1 of 1 for Zoe)\n"
    )
    assert "Interests found:\n  - marathon training: " in out
    # every kind of evidence, with its weight, and what closeness in meaning read
    assert re.search(r"marathon training: [\d.]+ = phrase [\d.]+ \+ words [\d.]+ \+ meaning", out)
    assert "    meaning: close in meaning to “marathon training” (0." in out
    assert "«A coach's twelve-week marathon training plan. " in out
    assert "    words: marathon = marathon, training = training\n" in out
    assert "    where: title and body, 2x (title 1, body 1, in the opening)\n" in out
    assert "x weight 2" in out and "idf " in out and "similarity² 1.00" in out
    assert "[marathon] [training]" in out
    assert "Interests not found: nutrition" in out
    assert "Avoid topic “doping”: in passing only" in out


def test_avoid_list(ws: Path) -> None:
    result = explain(ws, "Zoe Park", "https://example.org/ban")
    assert result.exit_code == 0
    assert (
        "Not suggested to Zoe Park: on the avoid list "
        "(substantially about doping, which Zoe asked to avoid)"
    ) in result.output
    assert "Avoid topic “doping”: substantially about it: never suggested" in result.output


def test_duplicate_story(ws: Path) -> None:
    result = explain(ws, "zoe", "https://example.org/plan-copy")
    assert result.exit_code == 0
    assert (
        "Not suggested to Zoe Park: duplicate story "
        "(same story as “A coach's twelve-week marathon training plan”)"
    ) in result.output


def test_no_interest_matched(ws: Path) -> None:
    result = explain(ws, "zoe", "https://example.org/cats")
    assert result.exit_code == 0
    assert "Not suggested to Zoe Park: no interest matched" in result.output
    assert "Interests not found: marathon training, nutrition" in result.output


def test_already_shared(ws: Path) -> None:
    runner = CliRunner()
    shared = runner.invoke(
        cli, ["-w", str(ws), "shared", "zoe", "https://example.org/plan"], catch_exceptions=False
    )
    assert shared.exit_code == 0, shared.output
    result = explain(ws, "zoe", "https://example.org/plan")
    assert result.exit_code == 0
    assert "Not suggested to Zoe Park: already shared (shared on " in result.output
    copy = explain(ws, "zoe", "https://example.org/plan-copy")
    assert "already shared" in copy.output, "the same story from another feed"


def test_below_threshold(ws: Path) -> None:
    (ws / "curator.yaml").write_text("min_score: 50\n")
    result = explain(ws, "zoe", "https://example.org/plan")
    assert result.exit_code == 0, result.output
    assert "Not suggested to Zoe Park: score below the minimum (score " in result.output
    assert "is under the minimum 50)" in result.output


def test_outside_the_window_and_since(ws: Path) -> None:
    result = explain(ws, "zoe", "https://example.org/old")
    assert result.exit_code == 0
    assert "Not suggested to Zoe Park: outside the window (dated " in result.output
    assert "before the 7-day window, which --since widens" in result.output
    wide = explain(ws, "zoe", "https://example.org/old", "--since", "60d")
    assert "Suggested to Zoe Park" in wide.output


def test_a_url_with_tracking_parameters_finds_the_article(ws: Path) -> None:
    result = explain(ws, "zoe", "https://example.org/plan?utm_source=newsletter")
    assert result.exit_code == 0
    assert "https://example.org/plan\n" in result.output


def test_unknown_url_is_an_error(ws: Path) -> None:
    result = explain(ws, "zoe", "https://example.org/nope", ok=False)
    assert result.exit_code == 2
    assert result.output == (
        "Error: no stored article has the URL https://example.org/nope; "
        "`curator articles --search WORDS` lists stored articles with their URLs\n"
    )


def test_unknown_person_is_an_error(ws: Path) -> None:
    result = explain(ws, "nobody at all", "https://example.org/plan", ok=False)
    assert result.exit_code == 2
    assert result.output.startswith("Error: ")


def test_help_has_an_example() -> None:
    result = CliRunner().invoke(cli, ["explain", "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    assert "Example:\n    curator explain zoe https://" in result.output
