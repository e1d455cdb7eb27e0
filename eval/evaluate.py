"""Measure curator's matching against BM25: first on the reader-labelled real set in
../shared/relevance (when present), then on the set written for this folder.

    python eval/evaluate.py            # the table
    python eval/evaluate.py -v         # plus each contact's ranking
    python eval/evaluate.py --no-corpus  # only the texts written for this set
    python eval/evaluate.py --reuse /tmp/real  # keep the real set's workspace for next time

The real set runs the path a user's does: its pages served as four RSS feeds on the
loopback, ``pipeline.run`` into a workspace, then ``pipeline.suggest(..., limit=10)`` per
contact; BM25 (rank-bm25, tokens \\w+ lower-cased, the interests joined as the query) reads
the same stored title and text. Its metrics are the set's own score.py.

On the written set both systems see the same articles (title + text) and the same
tokens (curator.text's folding and lemmas, stop words removed). BM25's query is every
phrase of the contact's interests (topics and aliases); it knows nothing of avoid lists,
so its avoid violations are printed for contrast only. Curator's ranking is what
``rank.select`` would suggest with the default threshold, with room for 10 instead of 3.

nDCG@5 uses gains 2^grade - 1 and the ideal order of the labels; precision@3 counts grades
1 and 2 as relevant and always divides by 3; recall@10 divides by the number of relevant
articles. An avoid violation is an article on a contact's ``never`` list anywhere in the
ranking (not only the top 3).
"""

from __future__ import annotations

import argparse
import html
import http.server
import importlib.util
import json
import math
import re
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from rank_bm25 import BM25Okapi
from ruamel.yaml import YAML

from curator import pipeline
from curator.config import Settings, Workspace, load_contacts, parse_contact
from curator.extract import extract_page
from curator.match import Index
from curator.models import Article, Contact
from curator.rank import select
from curator.store import Store
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


# -- the reader-labelled real set (../shared/relevance) --------------------------------------

SHARED = HERE.parent.parent / "shared"
RELEVANCE = SHARED / "relevance"
WEBPAGES = SHARED / "corpora" / "webpages"
FEEDS = 4  # the pages are served as this many RSS feeds, as the reference measured
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def _shared_score_module():
    """The set's own score.py: its metrics are the measure, never re-implemented here."""
    spec = importlib.util.spec_from_file_location("relevance_score", RELEVANCE / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def real_set_available() -> bool:
    return (RELEVANCE / "labels.json").is_file() and WEBPAGES.is_dir()


class _Pages(http.server.BaseHTTPRequestHandler):
    """Serves /feedN.xml and /pages/ID.html from ``routes`` on the loopback."""

    routes: ClassVar[dict[str, tuple[str, bytes]]] = {}

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        found = self.routes.get(self.path)
        if found is None:
            self.send_error(404)
            return
        kind, body = found
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _feeds(base: str, ids: list[str]) -> dict[str, tuple[str, bytes]]:
    """Four RSS feeds listing the pages (title from the page, dated now), and the pages."""
    routes: ClassVar[dict[str, tuple[str, bytes]]] = {}
    when = format_datetime(datetime.now(UTC))
    items: list[list[str]] = [[] for _ in range(FEEDS)]
    for k, pid in enumerate(ids):
        body = (WEBPAGES / f"{pid}.html").read_bytes()
        routes[f"/pages/{pid}.html"] = ("text/html; charset=utf-8", body)
        found = _TITLE.search(body[:200_000])
        title = html.unescape(found[1].decode("utf-8", "replace")).strip() if found else pid
        items[k % FEEDS].append(
            f"<item><title>{escape(' '.join(title.split()))}</title>"
            f"<link>{base}/pages/{pid}.html</link><guid>{base}/pages/{pid}.html</guid>"
            f"<pubDate>{when}</pubDate></item>"
        )
    for n, entries in enumerate(items, 1):
        xml = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Feed {n}</title><link>{base}/</link>{''.join(entries)}</channel></rss>"
        )
        routes[f"/feed{n}.xml"] = ("application/rss+xml", xml.encode("utf-8"))
    return routes


def real_workspace(root: Path, ids: list[str], meaning: bool = True) -> Workspace:
    """A workspace at ``root`` whose store holds the set's pages, fetched and extracted by
    ``pipeline.run`` from a loopback server; an existing one (``--reuse``) is kept."""
    root.mkdir(parents=True, exist_ok=True)
    workspace = Workspace(root, Settings(since="3650d", meaning=meaning))
    (root / "curator.yaml").write_text(
        f"since: 3650d\nmeaning: {str(meaning).lower()}\n", encoding="utf-8"
    )
    (root / "contacts.yaml").write_bytes((RELEVANCE / "contacts.yaml").read_bytes())
    if workspace.db_path.is_file():
        return workspace
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    _Pages.routes = _feeds(base, ids)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        feeds = "".join(f"  - url: {base}/feed{n}.xml\n" for n in range(1, FEEDS + 1))
        (root / "feeds.yaml").write_text(f"feeds:\n{feeds}", encoding="utf-8")
        pipeline.run(workspace, formats=("json",))
    finally:
        server.shutdown()
        server.server_close()
    return workspace


@dataclass
class RealSet:
    """The real set's contacts, labels, and each system's ranking of page ids."""

    contacts: list[Contact]
    labels: dict
    rankings: dict[str, dict[str, list[str]]]  # system -> contact name -> page ids


def real_rankings(workspace: Workspace, contacts: list[Contact]) -> dict[str, list[str]]:
    """Page ids per contact as ``curator suggest NAME --limit 10`` lists them."""
    out = {}
    for contact in contacts:
        suggestions = pipeline.suggest(workspace, contact, limit=10)
        out[contact.name] = [Path(urlsplit(s.article.url).path).stem for s in suggestions]
    return out


def real_bm25(workspace: Workspace, contacts: list[Contact]) -> dict[str, list[str]]:
    """rank-bm25's BM25Okapi over the stored (trafilatura) title and text, tokens \\w+
    lower-cased, the query the contact's interests joined: the reference's baseline."""
    with Store(workspace.db_path) as store:
        articles = store.articles_since(datetime(1970, 1, 1, tzinfo=UTC))
    ids = [Path(urlsplit(a.url).path).stem for a in articles]
    bm25 = BM25Okapi([re.findall(r"\w+", f"{a.title}\n{a.text}".lower()) for a in articles])
    out = {}
    for contact in contacts:
        query = re.findall(r"\w+", " ".join(i.topic for i in contact.interests).lower())
        scores = bm25.get_scores(query)
        order = sorted(range(len(ids)), key=lambda i: (-scores[i], i))
        out[contact.name] = [ids[i] for i in order[:10] if scores[i] > 0]
    return out


def real_set(reuse: Path | None = None, meaning: bool = True) -> RealSet:
    """Fetch, extract and rank the real set through the pipeline (in ``reuse`` if given,
    kept there for the next run; otherwise in a temporary folder)."""
    labels = json.loads((RELEVANCE / "labels.json").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        workspace = real_workspace(reuse or Path(tmp) / "ws", labels["pages"], meaning)
        contacts = load_contacts(workspace)
        rankings = {
            "curator": real_rankings(workspace, contacts),
            "bm25": real_bm25(workspace, contacts),
        }
    return RealSet(contacts, labels, rankings)


def print_real_set(found: RealSet, verbose: bool = False) -> dict[str, dict]:
    """The real set's table (and each contact's figures with ``verbose``); the totals."""
    metrics = _shared_score_module()
    totals = {}
    print(
        f"Real set (../shared/relevance): {len(found.labels['pages'])} pages, "
        f"{len(found.contacts)} contacts, labelled by readers"
    )
    print(f"{'system':<10}{'nDCG@5':>8}{'P@3':>8}{'R@10':>8}{'avoid':>7}{'empty':>7}")
    for system, rankings in found.rankings.items():
        total, rows = metrics.score(rankings, found.labels)
        totals[system] = total
        print(
            f"{system:<10}{total['ndcg5']:>8.3f}{total['p3']:>8.3f}{total['r10']:>8.3f}"
            f"{total['avoid']:>7}{total['empty']:>7}"
        )
    gap = totals["curator"]["ndcg5"] - totals["bm25"]["ndcg5"]
    print(f"curator - bm25 nDCG@5: {gap:+.3f}")
    if verbose:
        _, rows = metrics.score(found.rankings["curator"], found.labels)
        _, base = metrics.score(found.rankings["bm25"], found.labels)
        for name, r in rows.items():
            grades = found.labels["grades"].get(name, {})
            never = set(found.labels["never"].get(name, []))
            marks = " ".join(
                f"{p}({grades.get(p, 0)}{'!' if p in never else ''})"
                for p in found.rankings["curator"][name][:6]
            )
            print(
                f"  {name:<26} {r['ndcg5']:.2f} {r['p3']:.2f} {r['r10']:.2f}"
                f"  (bm25 {base[name]['ndcg5']:.2f})"
                + (f"  avoid {r['avoid']}" if r["avoid"] else "")
                + ("  EMPTY" if r["empty"] else "")
                + f"  {marks}"
            )
    return totals


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
    parser.add_argument(
        "--no-real", action="store_true", help="leave out the reader-labelled real set"
    )
    parser.add_argument(
        "--reuse",
        metavar="DIR",
        type=Path,
        help="keep the real set's fetched workspace in DIR and reuse it on the next run",
    )
    parser.add_argument(
        "--no-meaning", action="store_true", help="match by words only (meaning: false)"
    )
    args = parser.parse_args(argv)
    if args.no_real or args.no_corpus:
        pass
    elif real_set_available():
        print_real_set(real_set(args.reuse, not args.no_meaning), args.verbose)
        print()
    else:
        print("Real set skipped: ../shared/relevance is absent\n")
    print("Written set (eval/articles.yaml), texts written for this repository")
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
