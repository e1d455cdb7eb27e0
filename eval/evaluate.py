"""Measure curator's matching against a BM25 baseline on the labelled set in this folder.

    python eval/evaluate.py            # the table
    python eval/evaluate.py -v         # plus each contact's ranking
    python eval/evaluate.py --no-corpus  # only the texts written for this set

Both systems see the same articles (title + text) and the same tokens (curator.text's
folding and lemmas, stop words removed). BM25's query is every phrase of the contact's
interests (topics and aliases); it knows nothing of avoid lists, so its avoid violations
are printed for contrast only. Curator's ranking is what ``rank.select`` would suggest with
the default threshold, with room for 10 suggestions instead of 3.

nDCG@5 uses gains 2^grade - 1 and the ideal order of the labels; precision@3 counts grades
1 and 2 as relevant and always divides by 3; recall@10 divides by the number of relevant
articles. An avoid violation is an article on a contact's ``never`` list anywhere in the
ranking (not only the top 3).
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path

from rank_bm25 import BM25Okapi
from ruamel.yaml import YAML

from curator.config import Settings, parse_contact
from curator.extract import extract_page
from curator.match import Index
from curator.models import Article, Contact
from curator.rank import select
from curator.text import STOPWORDS, lemmas

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent.parent / "shared" / "corpora" / "webpages"
K = (5, 3, 10)


@dataclass
class Dataset:
    """Articles, contacts, graded labels and avoid lists of the evaluation set."""

    articles: list[Article]
    ids: list[str]
    contacts: list[Contact]
    grades: dict[str, dict[str, int]]  # contact name -> article id -> grade
    never: dict[str, set[str]] = field(default_factory=dict)
    skipped_pages: int = 0


def load(corpus: Path | None = CORPUS) -> Dataset:
    """The labelled set; pages of the shared corpus are left out when it is absent."""
    yaml = YAML(typ="safe")
    raw_articles = yaml.load((HERE / "articles.yaml").read_text(encoding="utf-8"))["articles"]
    raw_contacts = yaml.load((HERE / "contacts.yaml").read_text(encoding="utf-8"))["contacts"]
    articles: list[Article] = []
    ids: list[str] = []
    skipped = 0
    for item in raw_articles:
        if "page" in item:
            path = corpus / item["page"] if corpus else None
            if path is None or not path.is_file():
                skipped += 1
                continue
            page = extract_page(
                path.read_bytes(), f"https://corpus.invalid/{item['page']}", with_metadata=True
            )
            title, text = page.title, page.text
        else:
            # The YAML wraps lines inside paragraphs; extracted text has one line each.
            title = item["title"]
            text = "\n".join(" ".join(p.split()) for p in item["text"].split("\n\n"))
        ids.append(item["id"])
        articles.append(
            Article(
                id=len(articles) + 1,
                url=f"https://eval.invalid/{item['id']}",
                title=title,
                text=text,
            )
        )
    known = set(ids)
    contacts, grades, never = [], {}, {}
    for n, item in enumerate(raw_contacts, 1):
        item = dict(item)
        relevant = item.pop("relevant", {}) or {}
        avoid_ids = item.pop("never", []) or []
        contact = parse_contact(item, f"eval/contacts.yaml, entry {n}")
        contacts.append(contact)
        grades[contact.name] = {k: int(v) for k, v in relevant.items() if k in known}
        never[contact.name] = {k for k in avoid_ids if k in known}
    return Dataset(articles, ids, contacts, grades, never, skipped)


# -- the two systems -----------------------------------------------------------------------


def _terms(text: str) -> list[str]:
    return [w for w in lemmas(text) if w not in STOPWORDS]


def bm25_rankings(data: Dataset) -> dict[str, list[str]]:
    """Article ids per contact, best first, by BM25 with the interests as the query."""
    bm25 = BM25Okapi([_terms(f"{a.title}\n{a.text}") for a in data.articles])
    out = {}
    for contact in data.contacts:
        query = _terms(" ".join(p for i in contact.interests for p in i.phrases))
        scores = bm25.get_scores(query)
        order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
        out[contact.name] = [data.ids[i] for i in order if scores[i] > 0]
    return out


def curator_rankings(data: Dataset, limit: int = 10) -> dict[str, list[str]]:
    """Article ids per contact in the order curator would suggest them."""
    index = Index(data.articles)
    settings = Settings()
    out = {}
    for contact in data.contacts:
        suggestions, _ = select(
            index,
            contact,
            index.match_contact(contact),
            per_contact=limit,
            min_score=settings.min_score,
        )
        out[contact.name] = [data.ids[s.article.id - 1] for s in suggestions]
    return out


# -- metrics -------------------------------------------------------------------------------


def ndcg(ranking: list[str], grades: dict[str, int], k: int = 5) -> float:
    """Normalised discounted cumulative gain of the first k, gains 2^grade - 1."""

    def dcg(gs: list[int]) -> float:
        return sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(gs[:k]))

    ideal = dcg(sorted(grades.values(), reverse=True))
    return dcg([grades.get(a, 0) for a in ranking]) / ideal if ideal else 0.0


def precision(ranking: list[str], grades: dict[str, int], k: int = 3) -> float:
    return sum(1 for a in ranking[:k] if grades.get(a, 0) > 0) / k


def recall(ranking: list[str], grades: dict[str, int], k: int = 10) -> float:
    relevant = {a for a, g in grades.items() if g > 0}
    return len(relevant & set(ranking[:k])) / len(relevant) if relevant else 0.0


@dataclass
class Scores:
    """Mean metrics of one system over the contacts, and its avoid violations."""

    ndcg5: float
    p3: float
    r10: float
    violations: list[tuple[str, str]]


def score(data: Dataset, rankings: dict[str, list[str]]) -> Scores:
    names = [c.name for c in data.contacts if data.grades[c.name]]
    n = len(names)
    violations = [
        (name, a) for name in rankings for a in rankings[name][:10] if a in data.never[name]
    ]
    return Scores(
        sum(ndcg(rankings[m], data.grades[m]) for m in names) / n,
        sum(precision(rankings[m], data.grades[m]) for m in names) / n,
        sum(recall(rankings[m], data.grades[m]) for m in names) / n,
        violations,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="print every ranking")
    parser.add_argument("--no-corpus", action="store_true", help="leave out the corpus pages")
    args = parser.parse_args(argv)
    data = load(None if args.no_corpus else CORPUS)
    systems = {"curator": curator_rankings(data), "bm25": bm25_rankings(data)}
    results = {name: score(data, r) for name, r in systems.items()}
    print(
        f"{len(data.articles)} articles ({data.skipped_pages} corpus pages absent), "
        f"{len(data.contacts)} contacts, "
        f"{sum(len(g) for g in data.grades.values())} graded pairs"
    )
    print(f"{'system':<10}{'nDCG@5':>8}{'P@3':>8}{'R@10':>8}{'avoid violations':>18}")
    for name, s in results.items():
        print(f"{name:<10}{s.ndcg5:>8.3f}{s.p3:>8.3f}{s.r10:>8.3f}{len(s.violations):>18}")
    gap = results["curator"].ndcg5 - results["bm25"].ndcg5
    print(f"curator - bm25 nDCG@5: {gap:+.3f}")
    if args.verbose:
        for contact in data.contacts:
            g = data.grades[contact.name]
            print(f"\n{contact.name}: relevant {g}")
            for name, r in systems.items():
                marks = [
                    f"{a}({g.get(a, 0)}{'!' if a in data.never[contact.name] else ''})"
                    for a in r[contact.name][:6]
                ]
                print(f"  {name:<8} {ndcg(r[contact.name], g):.2f} {' '.join(marks)}")
    return 1 if results["curator"].violations else 0


if __name__ == "__main__":
    sys.exit(main())
