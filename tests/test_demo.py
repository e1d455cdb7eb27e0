"""The bundled demo (the repository root is a workspace): the README's first command.

`curator run` on a copy of feeds.yaml, contacts.yaml and demo/ must work offline and give
each fictional person sensible suggestions, keep Tom's avoided topic away from him, and
tell Sam there is nothing for him this week.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from curator.cli import cli

REPO = Path(__file__).resolve().parent.parent
DEMO_FILES = ("feeds.yaml", "contacts.yaml", "demo")

# Slugs of the demo articles (the last part of their example.org links) each person may
# sensibly get; the first of each set must be among what they get.
EXPECTED = {
    "Maya Okafor": ("heat-pump-1930s-semi", {"insulate-first"}),
    "Tom Brennan": ("first-marathon-sixteen-weeks", {"easy-runs-too-easy"}),
    "Priya Sharma": (
        "the-second-opinion",
        {"keeping-medical-ai-honest", "ai-chest-xray-hospitals", "the-salt-ledger"},
    ),
    "Jonas Becker": (
        "piano-trio-small-clubs",
        {"jazz-on-vinyl", "blue-hours-mae-holloway", "festival-mud-and-guitars"},
    ),
    "Lena Castillo": (
        "mill-lane-garden-ten",
        {"balcony-vegetables", "harbour-road-one-year", "winter-bike-commute"},
    ),
}
AVOIDED = "running-to-lose-weight"  # substantially about Tom's avoid topics


def copy_demo(target: Path) -> Path:
    target.mkdir(parents=True)
    for name in DEMO_FILES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, target / name)
        else:
            shutil.copy2(source, target / name)
    return target


def run_demo(ws: Path, *args: str):
    clean_env = {name: None for name in os.environ if name.startswith("CURATOR_")}
    result = CliRunner().invoke(
        cli, ["-w", str(ws), "run", *args], env=clean_env, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return result


def slug(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, str]:
    """The demo, run once for this module: (workspace, digest.json, digest.md)."""
    ws = copy_demo(tmp_path_factory.mktemp("demo") / "ws")
    result = run_demo(ws)
    html = Path(result.stdout.strip())
    assert html.is_file() and html.parent.parent == ws.resolve() / "output"
    assert result.stderr == ""  # offline, nothing failed, nothing to warn about
    data = json.loads((html.parent / "digest.json").read_text(encoding="utf-8"))
    md = (html.parent / "digest.md").read_text(encoding="utf-8")
    return ws, data, md


def suggestions(data: dict) -> dict[str, list[str]]:
    return {p["name"]: [slug(s["url"]) for s in p["suggestions"]] for p in data["people"]}


def test_every_article_is_read_and_nothing_fails(demo: tuple[Path, dict, str]) -> None:
    ws, data, _ = demo
    assert data["articles_considered"] == 21
    assert data["failures"] == []
    assert (ws / "output" / "index.html").is_file()
    assert (ws / ".curator" / "curator.db").is_file()


def test_the_six_people_are_in_the_digest(demo: tuple[Path, dict, str]) -> None:
    _, data, md = demo
    names = {p["name"] for p in data["people"]}
    assert names == {*EXPECTED, "Sam Whitaker"}
    for name in names:
        assert name in md


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_person_gets_sensible_suggestions(demo: tuple[Path, dict, str], name: str) -> None:
    got = suggestions(demo[1])[name]
    must, may = EXPECTED[name]
    assert 1 <= len(got) <= 3
    assert must in got, f"{name} should get {must}, got {got}"
    assert set(got) <= {must, *may}, f"{name} got something off-topic: {got}"


def test_every_suggestion_says_why(demo: tuple[Path, dict, str]) -> None:
    for person in demo[1]["people"]:
        for s in person["suggestions"]:
            assert s["reasons"], s["title"]
            for reason in s["reasons"]:
                assert reason["interest"] and reason["snippet"]
                # words found, or closeness in meaning with the passage it read
                assert reason["matched"] or reason["closeness"], reason


def test_the_heat_pump_person_gets_the_heat_pump_article(demo: tuple[Path, dict, str]) -> None:
    (maya,) = [p for p in demo[1]["people"] if p["name"] == "Maya Okafor"]
    (article,) = [s for s in maya["suggestions"] if slug(s["url"]) == "heat-pump-1930s-semi"]
    assert "heat pumps" in {r["interest"] for r in article["reasons"]}
    # The heat-island story says "heat" a dozen times but is not about heat pumps.
    assert "pavements-cook-in-august" not in suggestions(demo[1])["Maya Okafor"]


def test_the_avoided_article_never_reaches_tom(demo: tuple[Path, dict, str]) -> None:
    for name, got in suggestions(demo[1]).items():
        assert AVOIDED not in got, f"{name} got the weight-loss article"


def test_without_his_avoid_list_tom_would_get_it(tmp_path: Path) -> None:
    """The avoid list, not a weak match, is what keeps the article away from Tom."""
    ws = copy_demo(tmp_path / "ws")
    yaml = YAML()
    contacts = yaml.load(ws / "contacts.yaml")
    (tom,) = [c for c in contacts["contacts"] if c["name"] == "Tom Brennan"]
    del tom["avoid"]
    yaml.dump(contacts, ws / "contacts.yaml")
    run_demo(ws)
    (digest,) = (ws / "output").glob("*/digest.json")
    assert AVOIDED in suggestions(json.loads(digest.read_text()))["Tom Brennan"]


def test_sam_gets_nothing_this_week(demo: tuple[Path, dict, str]) -> None:
    _, data, md = demo
    assert suggestions(data)["Sam Whitaker"] == []
    section = md.split("Sam Whitaker", 1)[1].split("\n#", 1)[0]
    # The wording belongs to the templates ("Nothing this week", "Nothing matched this week").
    assert re.search(r"\bnothing\b.*\bthis week\b", section, re.IGNORECASE | re.DOTALL), section


def test_a_second_run_fetches_nothing_new_and_gives_the_same_digest(
    demo: tuple[Path, dict, str], tmp_path: Path
) -> None:
    ws = copy_demo(tmp_path / "ws")
    run_demo(ws)
    (digest,) = (ws / "output").glob("*/digest.json")
    first = suggestions(json.loads(digest.read_text()))
    fetch = CliRunner().invoke(cli, ["-w", str(ws), "fetch"], catch_exceptions=False)
    assert fetch.stdout == "0 new articles from 3 feeds\n"
    run_demo(ws)
    assert suggestions(json.loads(digest.read_text())) == first == suggestions(demo[1])


# -- the demo files themselves --------------------------------------------------------------


def test_demo_feeds_are_undated_full_text_and_on_reserved_domains() -> None:
    """Undated entries count as new when first seen, so the demo never goes stale."""
    feeds = sorted((REPO / "demo" / "feeds").iterdir())
    assert {f.suffix for f in feeds} == {".xml", ".atom"}
    for feed in feeds:
        text = feed.read_text(encoding="utf-8")
        assert not re.search(r"<(pubDate|published|updated|dc:date)\b", text), feed.name
        for link in re.findall(r"https?://[^\s\"<>]+", text):
            host = link.split("/")[2]
            # Only RFC 2606 example domains, plus XML namespaces.
            assert host in {"example.org", "www.w3.org", "purl.org"}, link


def test_demo_articles_are_full_length() -> None:
    from curator.feeds import parse_feed

    count = 0
    for feed in (REPO / "demo" / "feeds").iterdir():
        parsed = parse_feed(feed.read_bytes(), feed.as_uri())
        for entry in parsed.entries:
            words = len(entry.content.split())
            assert 250 <= words <= 600, f"{entry.title}: {words} words"
            assert entry.published is None
            count += 1
    assert 18 <= count <= 24


def test_demo_feeds_yaml_uses_the_bundled_feeds() -> None:
    data = YAML(typ="safe").load((REPO / "feeds.yaml").read_text())
    for feed in data["feeds"]:
        assert feed["full_text"] is True
        assert (REPO / feed["url"]).is_file()
