"""How a workspace's database grows over months of weekly runs, and what that costs a run.

Fills a temporary workspace with WEEKS x PER_WEEK synthetic articles (text and stored
words as a run stores them, dated a week apart) and times what every run and rerun does
with the current window: read its articles and their words, build the matcher, and make
the digest cold (nothing cached) and warm (a rerun). Needs no corpus and no network.

    python bench/store_growth.py                        # 52 weeks x 2,000 articles, ~3 min
    python bench/store_growth.py --weeks 4 --per-week 500
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from curator import pipeline, render, tokens  # noqa: E402
from curator.config import load_contacts, open_workspace  # noqa: E402
from curator.store import Store, iso, now  # noqa: E402

SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ru",
    "sa",
    "ti",
    "vo",
    "be",
    "da",
    "fe",
    "gi",
    "ho",
    "ju",
    "la",
    "ma",
    "no",
    "pe",
    "qui",
    "re",
    "so",
    "tu",
]


def vocabulary(rng: random.Random, n: int) -> list[str]:
    words = {"".join(rng.choices(SYLLABLES, k=rng.randint(2, 4))) for _ in range(n * 2)}
    return sorted(words)[:n]


def fill(store: Store, weeks: int, per_week: int, words: list[str], rng: random.Random) -> None:
    """Articles as a run stores them; the newest week is this week."""
    rows = []
    for week in range(weeks):
        day = now() - timedelta(days=7 * week + 1)
        for k in range(per_week):
            title = " ".join(rng.choices(words, k=6)).capitalize()
            text = ". ".join(" ".join(rng.choices(words, k=12)).capitalize() for _ in range(80))
            url = f"https://site{k % 97}.example/{week}/{k}"
            rows.append(
                (
                    url,
                    url,
                    title,
                    text,
                    "",
                    iso(day),
                    None,
                    "Feed",
                    iso(day),
                    "page",
                    "",
                    tokens.pack(title, text),
                )
            )
        store.db.executemany(
            "INSERT INTO articles (url, link, title, text, author, published, feed_id, "
            "feed_name, fetched_at, source, note, tokens) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            rows,
        )
        rows.clear()


def timed(label: str, fn: Callable[[], object], results: dict[str, float]) -> object:
    t0 = time.perf_counter()
    out = fn()
    results[label] = time.perf_counter() - t0
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--per-week", type=int, default=2000)
    parser.add_argument("--contacts", type=int, default=150)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    words = vocabulary(rng, 20_000)
    root = Path(tempfile.mkdtemp(prefix="curator-store-"))
    try:
        (root / "feeds.yaml").write_text("feeds: []\n", encoding="utf-8")
        lines = ["contacts:"]
        for c in range(args.contacts):
            lines += [f"  - name: Person {c:04d}", "    interests:"]
            lines += [
                f"      - {' '.join(rng.choices(words[:3000], k=rng.randint(1, 2)))}"
                for _ in range(6)
            ]
        (root / "contacts.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
        workspace = open_workspace(str(root))
        contacts = load_contacts(workspace)
        results: dict[str, float] = {}
        with Store(workspace.db_path) as store:
            timed("fill", lambda: fill(store, args.weeks, args.per_week, words, rng), results)
        size = workspace.db_path.stat().st_size
        since = now() - workspace.settings.window
        with Store(workspace.db_path) as store:
            timed("articles_since", lambda: store.articles_since(since, text=False), results)
            timed("words_since", lambda: sum(1 for _ in store.words_since(since)), results)
            week = pipeline.iso_week(now())
            timed("matcher", lambda: pipeline.Matcher.build(store, since, week), results)
            draft = render.drafter(workspace)
            for label in ("digest, cold", "digest, rerun"):
                timed(
                    label,
                    lambda: pipeline.build_digest(workspace, store, contacts, draft=draft),
                    results,
                )
    finally:
        shutil.rmtree(root, ignore_errors=True)
    total = args.weeks * args.per_week
    print(
        f"{args.weeks} weeks x {args.per_week:,} articles = {total:,} stored; database "
        f"{size / 1e6:,.0f} MB ({size / total / 1e3:.1f} kB an article); filled in "
        f"{results.pop('fill'):.0f} s"
    )
    for label, seconds in results.items():
        print(f"  {label:<16} {seconds:6.2f} s")


if __name__ == "__main__":
    main()
