"""Quality gates: matching must not regress below eval/floor.json, first on the
reader-labelled real set in ../shared/relevance (skipped where it is absent), then on the
set written for eval/."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest

EVAL = Path(__file__).resolve().parent.parent / "eval"


def _evaluate_module():
    spec = importlib.util.spec_from_file_location("curator_eval", EVAL / "evaluate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["curator_eval"] = module
    spec.loader.exec_module(module)
    return module


ev = _evaluate_module()
FLOOR = json.loads((EVAL / "floor.json").read_text())


@pytest.fixture(scope="module", params=["with corpus", "without corpus"])
def results(request):
    with_corpus = request.param == "with corpus"
    if with_corpus and not ev.CORPUS.is_dir():
        pytest.skip("shared/corpora/webpages is absent")
    data = ev.load(ev.CORPUS if with_corpus else None)
    curator = ev.score(data, ev.curator_rankings(data))
    bm25 = ev.score(data, ev.bm25_rankings(data))
    floor = FLOOR["ndcg5_with_corpus" if with_corpus else "ndcg5_without_corpus"]
    return data, curator, bm25, floor


def test_the_set_is_big_enough_and_consistent() -> None:
    data = ev.load(None)
    assert len(data.articles) >= 60
    assert len(data.contacts) >= 12
    assert all(data.grades[c.name] for c in data.contacts), "every contact has relevant articles"
    for name, never in data.never.items():
        assert not never & {a for a, g in data.grades[name].items() if g > 0}, name


def test_ndcg_at_5_stays_above_the_floor(results) -> None:
    _, curator, _, floor = results
    assert curator.ndcg5 >= floor, f"nDCG@5 {curator.ndcg5:.3f} fell below the floor {floor}"


def test_curator_beats_bm25(results) -> None:
    _, curator, bm25, _ = results
    assert curator.ndcg5 - bm25.ndcg5 >= FLOOR["min_gap_over_bm25"]


def test_no_avoid_violations(results) -> None:
    _, curator, bm25, _ = results
    assert curator.violations == []
    assert bm25.violations, "the set must hold avoid cases that a keyword search falls into"


def test_metrics_on_a_hand_computed_example() -> None:
    grades = {"a": 2, "b": 1, "c": 2}
    assert ev.ndcg(["a", "c", "b"], grades) == pytest.approx(1.0)
    # b (gain 1) first, a (gain 3) second, c missing;: (1 + 3/log2 3) / (3 + 3/log2 3 + 1/2)
    expected = (1 + 3 / math.log2(3)) / (3 + 3 / math.log2(3) + 1 / 2)
    assert ev.ndcg(["b", "a"], grades) == pytest.approx(expected)
    assert ev.precision(["a", "x", "b"], grades, 3) == pytest.approx(2 / 3)
    assert ev.recall(["x", "c"], grades, 10) == pytest.approx(1 / 3)


def test_evaluate_script_prints_both_systems(capsys) -> None:
    assert ev.main(["--no-corpus"]) == 0
    out = capsys.readouterr().out
    assert "nDCG@5" in out and "\ncurator " in out and "\nbm25 " in out


@pytest.fixture(scope="module")
def real(tmp_path_factory):  # type: ignore[no-untyped-def]
    """The real set through the CLI's path: loopback feeds, pipeline.run, suggest."""
    if not ev.real_set_available():
        pytest.skip("../shared/relevance is absent")
    found = ev.real_set(tmp_path_factory.mktemp("real") / "ws")
    metrics = ev._shared_score_module()
    return {system: metrics.score(r, found.labels)[0] for system, r in found.rankings.items()}


def test_real_set_stays_above_the_floor(real) -> None:  # type: ignore[no-untyped-def]
    curator = real["curator"]
    assert curator["ndcg5"] >= FLOOR["real_ndcg5"], curator
    assert curator["p3"] >= FLOOR["real_p3"], curator
    assert curator["r10"] >= FLOOR["real_r10"], curator


def test_real_set_beats_bm25(real) -> None:  # type: ignore[no-untyped-def]
    assert real["curator"]["ndcg5"] - real["bm25"]["ndcg5"] >= FLOOR["real_gap_over_bm25"]


def test_real_set_keeps_avoid_lists_and_leaves_nobody_empty(real) -> None:  # type: ignore[no-untyped-def]
    assert real["curator"]["avoid"] == 0
    assert real["curator"]["empty"] == 0
    assert real["bm25"]["avoid"], "the set holds avoid cases a keyword search falls into"
