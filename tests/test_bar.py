"""The bar follows the cadence: an overdue person gets an excuse to write, someone you were
in touch with lately only a clearly better article."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from conftest import Server
from test_history import ARTICLES, invoke, make_site, suggested
from test_touch import age_first_sighting

from curator.models import Contact, Interest
from curator.rank import cadence_bar

WHEN = datetime(2026, 12, 7, tzinfo=UTC)
ZOE = Contact("Zoe Park", (Interest("heat pumps"),), cadence_days=30)


def bar(contact: Contact, last: datetime | None, since: datetime):
    return cadence_bar(
        contact, last, since, WHEN, min_score=1.0, overdue=0.7, recent=1.5, recent_days=7
    )


def test_the_bar_is_lower_when_overdue_and_higher_just_after_contact():
    overdue = bar(ZOE, WHEN - timedelta(days=40), WHEN - timedelta(days=40))
    assert overdue.min_score == 0.7
    assert overdue.why == (
        "lowered x 0.7: Zoe is overdue, 40 days since you were last in touch (cadence 30d)"
    )
    never = bar(ZOE, None, WHEN - timedelta(days=31))
    assert never.min_score == 0.7 and "31 days since curator first saw them" in never.why
    recent = bar(ZOE, WHEN - timedelta(days=2), WHEN - timedelta(days=2))
    assert (recent.min_score, recent.why) == (
        1.5,
        "raised x 1.5: you were in touch with Zoe 2 days ago",
    )
    usual = bar(ZOE, WHEN - timedelta(days=10), WHEN - timedelta(days=10))
    assert (usual.min_score, usual.why) == (1.0, "")
    # no cadence: never overdue; a recent contact still raises the bar
    free = Contact("Zack Lee", (Interest("running"),))
    assert bar(free, None, WHEN - timedelta(days=400)).min_score == 1.0
    assert bar(free, WHEN, WHEN).why == "raised x 1.5: you were in touch with Zack today"


def lead_score(workspace: Path, url: str) -> float:
    out = invoke(workspace, "explain", "Zoe Park", url).stdout
    return float(re.search(r"^Score [\d.]+ = \(?([\d.]+)", out, re.M).group(1))


def test_an_overdue_person_gets_what_a_recent_one_would_not(http_server: Server, workspace: Path):
    make_site(http_server, workspace)  # Zoe Park: heat pumps, retrofitting; cadence 30d
    invoke(workspace, "run")
    heat = http_server.url("/a/heat.html")
    # a minimum just above what the heat-pump article's lead interest scores
    minimum = lead_score(workspace, heat) / 0.85
    (workspace / "curator.yaml").write_text(f"extract_workers: 1\nmin_score: {minimum:.6f}\n")
    assert "heat.html" not in suggested(workspace, "Zoe Park")

    age_first_sighting(workspace, "zoe park", 40)  # overdue now: the bar is 0.7 of it
    assert "heat.html" in suggested(workspace, "Zoe Park")
    out = invoke(workspace, "explain", "Zoe Park", heat).stdout
    assert "(lowered x 0.7: Zoe is overdue, 40 days since curator first saw them" in out
    invoke(workspace, "run", "--no-fetch")
    assert ARTICLES["heat"][0] in invoke(workspace, "run", "--no-fetch", "--format", "text").stdout

    invoke(workspace, "touched", "Zoe Park", "--via", "call")  # in touch today: raised
    assert "heat.html" not in suggested(workspace, "Zoe Park")
    out = invoke(workspace, "explain", "Zoe Park", heat).stdout
    assert "(raised x 1.5: you were in touch with Zoe today)" in out
