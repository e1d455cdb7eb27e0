"""How long matching takes next to extraction: 150 contacts x 6 interests, 2,000 articles.

    python bench/bench_match.py [--contacts 150] [--articles 2000] [--seed 1]

Articles are made from the paragraphs of the shared corpus pages (extracted once with
curator.extract, as a run would) and of the labelled set in eval/, shuffled into 2,000
texts of 3-12 paragraphs with a title from their first sentence. Interests are the labelled
set's topics and aliases plus single words and adjacent word pairs drawn from the corpus,
a tenth of them with a typo, so each person has six and the distinct words run to hundreds.

Extraction is timed on the real pages (trafilatura through curator.extract.extract_page,
one process) and scaled to the number of articles, since that is what fetching 2,000 pages
costs before any matching can start.
"""

from __future__ import annotations

import argparse
import itertools
import random
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "eval"))

import evaluate  # noqa: E402  (eval/evaluate.py: the labelled set)

from curator.config import Settings  # noqa: E402
from curator.extract import extract_page  # noqa: E402
from curator.match import Index  # noqa: E402
from curator.models import Article, Contact, Interest  # noqa: E402
from curator.rank import select, story_groups  # noqa: E402
from curator.text import STOPWORDS, WORD  # noqa: E402

CORPUS = evaluate.CORPUS


def extract_corpus() -> tuple[list[str], list[float]]:
    """Paragraphs of every corpus page, and the seconds each extraction took."""
    paragraphs: list[str] = []
    seconds: list[float] = []
    pages = sorted(CORPUS.glob("*.html"))
    # The first extraction loads dateparser's language data (seconds, once per process).
    extract_page(pages[0].read_bytes(), "https://corpus.invalid/", with_metadata=True)
    for path in pages:
        body = path.read_bytes()
        start = time.perf_counter()
        page = extract_page(body, f"https://corpus.invalid/{path.name}", with_metadata=True)
        seconds.append(time.perf_counter() - start)
        paragraphs += [p for p in page.text.split("\n") if len(p.split()) >= 8]
    return paragraphs, seconds


def make_articles(paragraphs: list[str], n: int, rng: random.Random) -> list[Article]:
    articles = []
    for i in range(n):
        chosen = rng.sample(paragraphs, k=min(len(paragraphs), rng.randint(3, 12)))
        title = " ".join(chosen[0].split()[:10])
        articles.append(
            Article(id=i + 1, url=f"https://bench.invalid/{i}", title=title, text="\n".join(chosen))
        )
    return articles


def typo(word: str, rng: random.Random) -> str:
    if len(word) < 7:
        return word
    k = rng.randrange(1, len(word) - 1)
    return word[:k] + word[k + 1 :]  # one letter dropped


def make_contacts(
    paragraphs: list[str], labelled: list[Contact], n: int, rng: random.Random
) -> list[Contact]:
    words = [
        w.lower()
        for p in rng.sample(paragraphs, k=min(400, len(paragraphs)))
        for w in WORD.findall(p)
    ]
    content = [w for w in words if w not in STOPWORDS and len(w) > 3 and w.isalpha()]
    pairs = [f"{a} {b}" for a, b in itertools.pairwise(content)]
    pool = [i for c in labelled for i in c.interests]
    contacts = []
    for i in range(n):
        interests = []
        for _ in range(6):
            roll = rng.random()
            if roll < 0.3:
                interests.append(rng.choice(pool))
                continue
            phrase = rng.choice(pairs) if roll < 0.65 else rng.choice(content)
            if rng.random() < 0.1:
                phrase = " ".join(typo(w, rng) for w in phrase.split())
            interests.append(Interest(phrase, weight=rng.choice([1.0, 1.0, 2.0])))
        avoid = (Interest(rng.choice(content)),) if rng.random() < 0.3 else ()
        contacts.append(Contact(f"Person {i}", tuple(interests), avoid=avoid))
    return contacts


def rss_mb() -> float:
    """Resident memory of this process now, in MB (from /proc, Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--contacts", type=int, default=150)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--meaning",
        action="store_true",
        help="also closeness in meaning: the model embeds the interests (timed); the "
        "articles' vectors, made in extraction, are random unit vectors here",
    )
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    labelled = evaluate.load(None)
    paragraphs = [p for a in labelled.articles for p in a.text.split("\n")]
    seconds: list[float] = []
    if CORPUS.is_dir():
        corpus_paragraphs, seconds = extract_corpus()
        paragraphs += corpus_paragraphs
    articles = make_articles(paragraphs, args.articles, rng)
    contacts = make_contacts(paragraphs, labelled.contacts, args.contacts, rng)
    words = {w for c in contacts for i in c.interests for p in i.phrases for w in p.split()}
    settings = Settings()

    rss = {"before": rss_mb()}
    start = time.perf_counter()
    index = Index(articles)
    built = time.perf_counter()
    rss["index"] = rss_mb()
    groups = story_groups(articles)
    meaning = None
    if args.meaning:
        import numpy as np

        from curator.embedding import DIMENSIONS, Meaning, load_embedder

        embedder = load_embedder(settings, None)
        if embedder is None:
            print("meaning: the model is not installed")
            return 1
        vectors = np.random.default_rng(args.seed).normal(size=(len(articles), DIMENSIONS))
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        meaning = Meaning(embedder, vectors.astype(np.float32))
        embedder.embed(["warm the model up"])
    grouped = time.perf_counter()
    suggested = 0
    for contact in contacts:
        suggestions, _ = select(
            index,
            contact,
            index.match_contact(contact, meaning),
            per_contact=settings.per_contact,
            min_score=settings.min_score,
            groups=groups,
            explain=False,  # as a run selects: no reasons for what is passed over
        )
        suggested += len(suggestions)
    matched = time.perf_counter()
    rss["matched"] = rss_mb()

    tokens = sum(d.length for d in index.docs)
    print(
        f"{len(articles)} articles ({tokens:,} words, {len(index.words):,} distinct lemmas), "
        f"{len(contacts)} contacts x 6 interests ({len(words)} distinct interest words)"
    )
    print(f"index build     {built - start:7.2f} s")
    print(f"story groups    {grouped - built:7.2f} s")
    print(
        f"match + select  {matched - grouped:7.2f} s  ({suggested} suggestions"
        + (", interests embedded by the model)" if meaning else ")")
    )
    print(f"matching total  {matched - start:7.2f} s")
    print(
        f"memory (RSS)    {rss['before']:.0f} MB with the articles, {rss['index']:.0f} MB "
        f"indexed, {rss['matched']:.0f} MB after matching; peak "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6:.0f} MB"
    )
    if seconds:
        per_page = statistics.mean(seconds)
        print(
            f"extraction      {per_page * len(articles):7.2f} s  "
            f"({per_page * 1000:.1f} ms/page over {len(seconds)} corpus pages, "
            f"median {statistics.median(seconds) * 1000:.1f} ms, x {len(articles)} pages)"
        )
    else:
        print("extraction      not measured: ../shared/corpora/webpages is absent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
