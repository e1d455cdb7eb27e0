"""Extraction with trafilatura's own XPath selectors against curator.selectors.

    python bench/bench_selectors.py [--pages DIR] [--limit 100] [--rounds 4]

Times ``curator.extract.extract_page`` on the pages (default: the 78 corpus pages in
../shared/corpora/webpages) in one process, alternating the two in rounds so that a change
in the machine's speed weighs on both alike, and checks that every page gives the same
result either way. Prints CPU milliseconds a page and the ratio; nothing is asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from curator import selectors  # noqa: E402
from curator.extract import _trafilatura, extract_page  # noqa: E402

CORPUS = HERE.parent.parent / "shared" / "corpora" / "webpages"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=Path, default=CORPUS)
    parser.add_argument("--limit", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    paths = sorted(p for p in args.pages.glob("*") if p.suffix in (".html", ".htm"))
    if not paths:
        raise SystemExit(f"no .html pages in {args.pages}")
    bodies = [p.read_bytes() for p in paths[: args.limit]]
    _trafilatura()  # installs the selectors
    replaced = sum(isinstance(s, selectors.Selector) for s in selectors.current().values())
    cpu = {"trafilatura's XPath": 0.0, "curator.selectors": 0.0}
    results: dict[str, list[object]] = {}
    for n in range(args.rounds):
        for label in cpu if n % 2 == 0 else reversed(cpu):
            stock = label.startswith("trafilatura")
            with selectors.stock() if stock else contextlib.nullcontext():
                t0 = time.process_time()
                results[label] = [extract_page(b, "https://example.org/a") for b in bodies]
                cpu[label] += time.process_time() - t0
    each = {k: 1000 * v / len(bodies) / args.rounds for k, v in cpu.items()}
    base, fast = each.values()
    print(f"{len(bodies)} pages x {args.rounds} rounds, {replaced} selectors replaced")
    for label, ms in each.items():
        print(f"  {label:22s} {ms:7.2f} ms a page (CPU)")
    print(f"  ratio                  {fast / base:7.3f}x")
    same = results["trafilatura's XPath"] == results["curator.selectors"]
    print(f"  same results: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
