"""Benchmark a synthetic week end to end: python bench/run_bench.py --articles 2000.

Builds N feeds x M entries whose pages are real pages from ../shared/corpora/webpages with
their words varied (no two pages alike), serves them from a loopback HTTP server in a
child process, and runs the real pipeline (curator.pipeline.run) on a temporary workspace,
cold and then warm. In the same run it times a plain single-process ``trafilatura.extract``
loop over the same pages and prints every figure also as a ratio to that loop, because
absolute times on a shared machine are noisy. Results go to bench/results/ as JSON.

Not a test: nothing here asserts; the targets are printed next to the figures.
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import multiprocessing
import os
import queue
import random
import re
import resource
import shutil
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

HERE = Path(__file__).resolve().parent
CORPUS = HERE.parent.parent / "shared" / "corpora" / "webpages"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpora/webpages")

_PIECES = re.compile(r"(<script\b.*?</script>|<style\b.*?</style>|<!--.*?-->|<[^>]*>)", re.S | re.I)
_WORD = re.compile(r"([A-Za-z]{3,})")


STOP = """the and for that with this from have were which their there about would been
will they what when your more into than them also some could other after most only over
such just like very being because where those these while said says"""

# -- synthetic pages -------------------------------------------------------------------


class Template:
    """One corpus page split once into markup and words, so variants are cheap to make."""

    def __init__(self, html: str):
        self.pieces: list[str] = []
        self.words: list[int] = []  # indexes into pieces that hold a replaceable word
        self.first_text = -1  # where the unique token goes
        for n, part in enumerate(_PIECES.split(html)):
            if n % 2 or not part.strip():
                self.pieces.append(part)
                continue
            for m, bit in enumerate(_WORD.split(part)):
                self.pieces.append(bit)
                if m % 2:
                    self.words.append(len(self.pieces) - 1)
                    if self.first_text < 0 and len(bit) > 3:
                        self.first_text = len(self.pieces) - 1

    def variant(self, rng: random.Random, pool: list[str], token: str, share: float) -> str:
        pieces = list(self.pieces)
        for i in rng.sample(self.words, int(len(self.words) * share)):
            pieces[i] = rng.choice(pool)
        # A unique token every few hundred words: no two pages are near-duplicates, and
        # the token shows up in the extracted text wherever the main text is.
        for i in self.words[:: max(1, len(self.words) // 8)]:
            pieces[i] = f"{pieces[i]} {token}"
        return "".join(pieces)


def load_corpus() -> tuple[list[Template], list[str], list[str]]:
    """Templates, a word pool (for variation) and main-text vocabulary (for interests)."""
    import trafilatura

    templates, pool, content = [], [], []
    for path in sorted(CORPUS.glob("*.html")):
        html = path.read_bytes().decode("utf-8", "replace")
        t = Template(html)
        if len(t.words) < 50:
            continue
        templates.append(t)
        pool.extend(t.pieces[i] for i in t.words)
        text = trafilatura.extract(html) or ""
        content.append(text)
    return templates, pool, content


def interests_from(texts: list[str], rng: random.Random, n: int) -> list[str]:
    """Words and two-word phrases that really occur in the pages' main text."""
    stop = frozenset(re.findall(r"\w+", STOP))
    singles: dict[str, int] = {}
    pairs: dict[str, int] = {}
    for text in texts:
        words = [w.lower() for w in re.findall(r"[A-Za-z]{4,}", text)]
        for a, b in itertools.pairwise(words):
            if a not in stop and b not in stop:
                pairs[f"{a} {b}"] = pairs.get(f"{a} {b}", 0) + 1
        for w in words:
            if w not in stop:
                singles[w] = singles.get(w, 0) + 1
    common = [w for w, c in singles.items() if 2 <= c <= 60]
    phrases = [p for p, c in pairs.items() if c >= 2]
    out = []
    for _ in range(n):
        out.append(rng.choice(phrases) if rng.random() < 0.4 and phrases else rng.choice(common))
    return out


def make_week(root: Path, n_articles: int, n_feeds: int, n_contacts: int, seed: int) -> dict:
    """Write pages/, feeds/ and the workspace's contacts.yaml; return what was made."""
    rng = random.Random(seed)
    t0 = time.perf_counter()
    templates, pool, texts = load_corpus()
    pages = root / "site" / "pages"
    feeds_dir = root / "site" / "feeds"
    pages.mkdir(parents=True)
    feeds_dir.mkdir(parents=True)
    total_bytes = 0
    for i in range(n_articles):
        html = templates[i % len(templates)].variant(rng, pool, f"zqx{i:06d}tok", 0.25)
        data = html.encode("utf-8")
        total_bytes += len(data)
        (pages / f"{i}.html").write_bytes(data)
    per_feed = -(-n_articles // n_feeds)
    base = datetime.now(UTC) - timedelta(days=5)
    for f in range(n_feeds):
        items = []
        for i in range(f * per_feed, min(n_articles, (f + 1) * per_feed)):
            title = " ".join(rng.choice(pool) for _ in range(6)).capitalize() + f" ({i})"
            when = format_datetime(base + timedelta(minutes=i))
            summary = " ".join(rng.choice(pool) for _ in range(30))
            items.append(
                f"<item><title>{escape(title)}</title><link>{{base}}/pages/{i}.html</link>"
                f"<guid>{{base}}/pages/{i}.html</guid><pubDate>{when}</pubDate>"
                f"<description>{escape(summary)}</description></item>"
            )
        feed = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Bench feed {f}</title><link>{{base}}/</link>"
            f"<description>synthetic</description>{''.join(items)}</channel></rss>"
        )
        (feeds_dir / f"{f}.xml").write_text(feed, encoding="utf-8")
    topics = interests_from(texts, rng, n_contacts * 6)
    lines = ["contacts:"]
    for c in range(n_contacts):
        lines.append(f"  - name: Person {c:04d}")
        lines.append("    interests:")
        lines += [f"      - {json.dumps(t)}" for t in topics[c * 6 : c * 6 + 6]]
    (root / "contacts.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {
        "pages": n_articles,
        "feeds": n_feeds,
        "contacts": n_contacts,
        "page_mb": round(total_bytes / 1e6, 1),
        "generate_s": round(time.perf_counter() - t0, 1),
    }


# -- the loopback server (a child process, so serving costs no CPU in the measured one) --


def serve(site: Path, port_out: multiprocessing.Queue) -> None:
    """Serve the site from memory: a real feed host is another machine, so the CPU this
    server spends on each request (on the same two cores) should be as little as can be."""
    counts = {"feed_200": 0, "feed_304": 0, "page": 0}
    lock = threading.Lock()
    files: dict[str, tuple[str, bytes]] = {}
    for path in site.rglob("*"):
        if path.is_file():
            digest = hashlib.md5(f"{path}{path.stat().st_mtime_ns}".encode()).hexdigest()
            etag = f'"{digest}"'
            files["/" + path.relative_to(site).as_posix()] = (etag, path.read_bytes())

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            if self.path == "/__stats":
                return self._send(200, json.dumps(counts).encode(), "application/json")
            if self.path not in files:
                return self._send(404, b"not found", "text/plain")
            etag, body = files[self.path]
            is_feed = self.path.endswith(".xml")
            if self.headers.get("If-None-Match") == etag:
                with lock:
                    counts["feed_304" if is_feed else "page"] += 0 if not is_feed else 1
                return self._send(304, b"", None, etag)
            if is_feed:
                host = f"http://{self.headers.get('Host')}"
                body = body.replace(b"{base}", host.encode())
            with lock:
                counts["feed_200" if is_feed else "page"] += 1
            ctype = "application/rss+xml" if is_feed else "text/html; charset=utf-8"
            self._send(200, body, ctype, etag)

        def _send(self, status: int, body: bytes, ctype: str | None, etag: str = "") -> None:
            self.send_response(status)
            if ctype:
                self.send_header("Content-Type", ctype)
            if etag:
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status != 304:
                self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    port_out.put(server.server_address[1])
    server.serve_forever()


def server_stats(port: int) -> dict:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{port}/__stats") as r:
        return json.loads(r.read())


# -- memory ------------------------------------------------------------------------------


def _tree(pid: int, exclude: set[int]) -> list[int]:
    out = [pid]
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as fh:
                for child in fh.read().split():
                    if int(child) not in exclude:
                        out += _tree(int(child), exclude)
    except OSError:
        pass
    return out


def _sample(root: int, exclude: set[int]) -> tuple[float, int, int, int]:
    """(when it began, summed RSS, summed PSS, PSS of ``root`` alone) of the tree."""
    began = time.perf_counter()  # a sample begun before a stage ended belongs to it
    rss = pss = main = 0
    for pid in _tree(root, exclude):
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Rss:"):
                        rss += int(line.split()[1]) * 1024
                    elif line.startswith("Pss:"):
                        value = int(line.split()[1]) * 1024
                        pss += value
                        if pid == root:
                            main = value
        except OSError:
            pass
    return began, rss, pss, main


def _sample_until(root: int, exclude: set[int], stop: Any, out: Any) -> None:
    os.nice(19)  # only what the run leaves over: see MemorySampler
    exclude = exclude | {os.getpid()}
    while not stop.wait(0.1):
        out.put(_sample(root, exclude))


class MemorySampler:
    """Memory of this process and its descendants (pool workers, forkserver), sampled
    every 0.1 s by a child process at the lowest priority. Reading smaps_rollup costs
    about 8 ms of CPU a sample; done in a thread here, it counted as the run's own CPU
    and took about 8% of a core from the extraction workers. Under full load the sampler
    gets less CPU and samples less often (the report says how many it took)."""

    def __init__(self, exclude: set[int]):
        ctx = multiprocessing.get_context("fork")
        self._stop = ctx.Event()
        self._out: multiprocessing.Queue = ctx.Queue()
        self._process = ctx.Process(
            target=_sample_until, args=(os.getpid(), exclude, self._stop, self._out)
        )
        self._samples: list[tuple[float, int, int, int]] = []

    def __enter__(self) -> MemorySampler:
        self._process.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        while self._process.is_alive():  # read while it ends: a full pipe would hold it
            self._drain()
            self._process.join(0.1)
        self._drain()

    def _drain(self) -> list[tuple[float, int, int, int]]:
        while True:
            try:
                self._samples.append(self._out.get_nowait())
            except queue.Empty:
                return self._samples

    @property
    def samples(self) -> list[tuple[float, int, int, int]]:
        """(perf_counter, summed RSS, summed PSS, PSS of this process alone), so far."""
        return list(self._drain())

    @property
    def peak(self) -> int:  # summed RSS: pages shared by forked workers count in each
        return max((rss for _, rss, _, _ in self._drain()), default=0)

    @property
    def peak_pss(self) -> int:  # summed PSS: shared pages split between their processes
        return max((pss for _, _, pss, _ in self._drain()), default=0)


# -- the measurements ----------------------------------------------------------------------


def extract_loop(pages: Path, numbers: list[int], out: multiprocessing.Queue) -> None:
    """A plain single-process trafilatura.extract loop (run in a child: see baseline)."""
    import trafilatura

    t0 = time.perf_counter()
    cpu0 = time.process_time()
    chars = 0
    for i in numbers:
        chars += len(trafilatura.extract((pages / f"{i}.html").read_bytes()) or "")
    out.put((time.perf_counter() - t0, time.process_time() - cpu0, chars))


def baseline_part(pages: Path, numbers: list[int]) -> tuple[float, float, int]:
    """Time the loop over ``numbers`` in a fresh child, so its memory is not counted as
    the pipeline's; half the pages are timed before the pipeline runs and half after,
    so a change in the machine's load during the run weighs on both sides alike."""
    ctx = multiprocessing.get_context("fork")
    out: multiprocessing.Queue = ctx.Queue()
    child = ctx.Process(target=extract_loop, args=(pages, numbers, out))
    child.start()
    result = out.get()
    child.join()
    return result


def baseline(parts: list[tuple[float, float, int]], n: int, timed: int) -> dict:
    wall = sum(p[0] for p in parts)
    cpu = sum(p[1] for p in parts)
    scale = n / timed  # when sampled, extrapolate to all pages
    return {
        "pages": timed,
        "wall_s": wall * scale,
        "cpu_s": cpu * scale,
        "ms_per_page": 1000 * wall / timed,
        "cpu_ms_per_page": 1000 * cpu / timed,
        "chars": sum(p[2] for p in parts),
        "parts_wall_s": [p[0] for p in parts],
    }


def variants(pages: Path, n: int) -> list[dict]:
    """The cost and yield of trafilatura's options on ``n`` pages, one process."""
    import trafilatura

    common = dict(include_comments=False, include_tables=True, deduplicate=False)
    options = {
        "pipeline (no metadata)": dict(with_metadata=False),
        "fast=True": dict(with_metadata=False, fast=True),
        "favor_precision=True": dict(with_metadata=False, favor_precision=True),
        "with_metadata=True": dict(with_metadata=True),
    }
    bodies = [(pages / f"{i}.html").read_bytes() for i in range(n)]
    out = []
    for name, opts in options.items():
        t0 = time.process_time()
        chars = 0
        for body in bodies:
            doc = trafilatura.bare_extraction(body, **common, **opts)
            chars += len(getattr(doc, "text", "") or "") if doc else 0
        out.append(
            {"option": name, "ms_per_page": 1000 * (time.process_time() - t0) / n, "chars": chars}
        )
    return out


def match_split(workspace_root: Path) -> dict:
    """Index build (tokenising), matching and ranking timed separately, as run() does them."""
    from curator import pipeline
    from curator.config import load_contacts, open_workspace
    from curator.embedding import load_embedder
    from curator.rank import select
    from curator.store import Store, now

    workspace = open_workspace(str(workspace_root))
    contacts = load_contacts(workspace)
    s = workspace.settings
    with Store(workspace.db_path) as store:
        t0 = time.perf_counter()
        matcher = pipeline.Matcher.build(
            store,
            now() - s.window,
            pipeline.iso_week(now()),
            embedder=load_embedder(s, workspace.root),
            contacts=contacts,
        )
        t1 = time.perf_counter()
        match_s = rank_s = 0.0
        suggested = 0
        for contact in contacts:
            a = time.perf_counter()
            matches = matcher.index.match_contact(contact)
            b = time.perf_counter()
            chosen, _ = select(
                matcher.index,
                contact,
                matches,
                per_contact=s.per_contact,
                min_score=s.min_score,
                excluded=matcher.excluded(contact),
                groups=matcher.groups,
                explain=False,  # as run() does: no decision for what is passed over
            )
            rank_s += time.perf_counter() - b
            match_s += b - a
            suggested += len(chosen)
    return {
        "index_s": t1 - t0,
        "match_s": match_s,
        "rank_s": rank_s,
        "articles": len(matcher.index),
        "suggestions": suggested,
    }


def meaning_cost(workspace_root: Path, n: int) -> dict:
    """What closeness in meaning costs on its own, in this process on one thread: the
    model's load, the passages of ``n`` stored articles, and every contact's interests,
    in batches as a run makes them."""
    from curator import embedding
    from curator.config import load_contacts, open_workspace
    from curator.store import Store

    workspace = open_workspace(str(workspace_root))
    found = embedding.load_embedder(workspace.settings, workspace.root)
    if found is None:
        return {}
    found.release()
    # a fresh one: the run's has the interests embedded already
    embedder = embedding.Embedder(found.model_path, found.tokenizer_path, found.model_sha256)
    with Store(workspace.db_path) as store:
        ids = [row[0] for row in store.db.execute("SELECT id FROM articles ORDER BY id")][:n]
        passages = store.passages(ids, 40 * embedding.OPENING_WORDS)
        stored = store.db.execute("SELECT COUNT(*) FROM article_vectors").fetchone()[0]
    texts = [embedding.article_passage(*passages[i]) for i in ids]
    phrases = [p for c in load_contacts(workspace) for i in c.interests for p in i.phrases]
    t0 = time.process_time()
    embedder.load()
    t1 = time.process_time()
    embedder.embed(texts)
    t2 = time.process_time()
    embedder.phrases(phrases)
    t3 = time.process_time()
    embedder.release()
    return {
        "load_cpu_s": t1 - t0,
        "passages": len(texts),
        "cpu_ms_per_passage": 1000 * (t2 - t1) / max(1, len(texts)),
        "phrases": len(phrases),
        "phrases_cpu_s": t3 - t2,
        "vectors_stored": stored,
    }


def seed_history(root: Path, per_contact: int, seed: int) -> None:
    """Give every contact ``per_contact`` earlier shares, as months of use would: each run
    checks this week's articles against them (by URL, and by title for the same story
    from another feed)."""
    from curator.config import load_contacts, open_workspace
    from curator.store import Store, now

    rng = random.Random(seed)
    workspace = open_workspace(str(root))
    with Store(workspace.db_path) as store, store.transaction():
        for contact in load_contacts(workspace):
            for k in range(per_contact):
                words = " ".join(rng.choice(STOP.split()) for _ in range(5))
                store.add_history(
                    contact.key,
                    f"https://elsewhere.example/{contact.key}/{k}",
                    "shared",
                    now() - timedelta(days=7 * (k + 2)),
                    title=f"An earlier story, number {k}: {words}",
                )


def run_pipeline(root: Path, port: int, sampler: MemorySampler) -> dict:
    from curator import pipeline
    from curator.config import open_workspace

    before = server_stats(port)
    workspace = open_workspace(str(root))
    fetched: list[float] = []
    extracted: list[float] = []
    get_page = pipeline._get_page

    def timed_get(*a: object, **k: object) -> object:
        try:
            return get_page(*a, **k)  # type: ignore[arg-type]
        finally:
            fetched.append(time.perf_counter() - t0)

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "pages":
            extracted.append(time.perf_counter() - t0)

    fetch = pipeline.fetch
    fetch_ended: list[float] = []

    def timed_fetch(*a: object, **k: object) -> object:
        try:
            return fetch(*a, **k)  # type: ignore[arg-type]
        finally:
            fetch_ended.append(time.perf_counter())

    pipeline._get_page = timed_get  # type: ignore[assignment]
    pipeline.fetch = timed_fetch  # type: ignore[assignment]
    t0 = time.perf_counter()
    try:
        report, digest = pipeline.run(workspace, progress=progress)
    finally:
        pipeline._get_page = get_page
        pipeline.fetch = fetch
    wall = time.perf_counter() - t0
    after = server_stats(port)
    # Which stage needed the memory: fetching (bounded by the in-flight window) or
    # matching (the window's articles and their index in memory).
    fetch_end = fetch_ended[0] if fetch_ended else t0
    samples = sampler.samples
    during_fetch = [pss for t, _, pss, _ in samples if t0 <= t <= fetch_end]
    after_fetch = [pss for t, _, pss, _ in samples if fetch_end < t <= t0 + wall]
    # About twenty points of the run: (seconds, PSS of the tree, PSS of this process) in MB.
    points = [
        (round(t - t0, 1), round(m / 1e6), round(own / 1e6))
        for t, _, m, own in samples
        if t0 <= t <= t0 + wall
    ]
    points = points[:: max(1, len(points) // 20)]
    return {
        "wall_s": wall,
        "timings": dict(report.timings),
        "articles_new": report.articles_new,
        "pages_fetched": after["page"] - before["page"],
        "feeds_200": after["feed_200"] - before["feed_200"],
        "feeds_304": after["feed_304"] - before["feed_304"],
        "failures": len(report.failures),
        "articles_considered": digest.articles_considered,
        "suggestions": digest.suggestion_count,
        "peak_rss_mb": sampler.peak / 1e6,
        "memory_samples": [len(during_fetch), len(after_fetch)],
        "peak_pss_fetch_mb": max(during_fetch, default=0) / 1e6,
        "peak_pss_match_render_mb": max(after_fetch, default=0) / 1e6,
        "memory_timeline": points,
        # When the last page arrived vs when the last one was extracted: overlap check.
        "pages_fetched_by_s": max(fetched, default=0.0),
        "pages_half_fetched_s": sorted(fetched)[len(fetched) // 2] if fetched else 0.0,
        "pages_stored_by_s": max(extracted, default=0.0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--feeds", type=int, default=100)
    parser.add_argument("--contacts", type=int, default=150)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workers", type=int, default=0, help="extract_workers (0: cores)")
    parser.add_argument(
        "--baseline-sample", type=int, default=0, help="time the loop on this many pages only"
    )
    parser.add_argument(
        "--variants", type=int, default=0, help="also time trafilatura options on N pages"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary workspace")
    parser.add_argument(
        "--history", type=int, default=0, help="earlier shares per contact (default 0)"
    )
    parser.add_argument(
        "--meaning-off-run",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time a cold run with meaning switched off, in a second workspace",
    )
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="curator-bench-"))
    result: dict = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cores": os.cpu_count(),
        "args": vars(args),
    }
    try:
        result["loadavg_start"] = os.getloadavg()
        print(f"generating {args.articles} pages in {tmp} ...", file=sys.stderr)
        ctx = multiprocessing.get_context("fork")
        # In a child, so the corpus and word pools never count towards this process's memory.
        made: multiprocessing.Queue = ctx.Queue()
        maker = ctx.Process(
            target=lambda: made.put(
                make_week(tmp, args.articles, args.feeds, args.contacts, args.seed)
            )
        )
        maker.start()
        while True:  # the child's error is on stderr; waiting on for its result would hang
            try:
                result["week"] = made.get(timeout=1)
                break
            except queue.Empty:
                if not maker.is_alive():
                    raise SystemExit("could not generate the week (see the error above)") from None
        maker.join()
        ports: multiprocessing.Queue = ctx.Queue()
        server = ctx.Process(target=serve, args=(tmp / "site", ports), daemon=True)
        server.start()
        port = ports.get(timeout=300)  # it reads the whole site first
        feeds = "\n".join(
            f"  - url: http://127.0.0.1:{port}/feeds/{f}.xml" for f in range(args.feeds)
        )
        (tmp / "feeds.yaml").write_text(f"feeds:\n{feeds}\n", encoding="utf-8")
        (tmp / "curator.yaml").write_text(f"extract_workers: {args.workers}\n", encoding="utf-8")
        if args.history:
            seed_history(tmp, args.history, args.seed)

        pages = tmp / "site" / "pages"
        sample = list(range(args.articles))
        if args.baseline_sample:
            sample = random.Random(1).sample(sample, min(args.baseline_sample, args.articles))
        print("single-process trafilatura.extract loop, first half ...", file=sys.stderr)
        parts = [baseline_part(pages, sample[0::2])]
        with MemorySampler({server.pid}) as sampler:
            print("cold run ...", file=sys.stderr)
            result["cold"] = run_pipeline(tmp, port, sampler)
            print("warm run ...", file=sys.stderr)
            result["warm"] = run_pipeline(tmp, port, sampler)
            result["peak_rss_mb"] = sampler.peak / 1e6
            result["peak_pss_mb"] = sampler.peak_pss / 1e6
        # after the sampler: the bench's own re-timing of matching is not part of a run
        result["split"] = match_split(tmp)
        result["meaning"] = meaning_cost(tmp, min(args.articles, 300))
        if args.meaning_off_run:
            off = tmp / "meaning-off"
            off.mkdir()
            for name in ("feeds.yaml", "contacts.yaml"):
                shutil.copy(tmp / name, off / name)
            (off / "curator.yaml").write_text(
                f"extract_workers: {args.workers}\nmeaning: false\n", encoding="utf-8"
            )
            if args.history:
                seed_history(off, args.history, args.seed)
            print("cold run with meaning off ...", file=sys.stderr)
            with MemorySampler({server.pid}) as off_sampler:
                result["cold_off"] = run_pipeline(off, port, off_sampler)
                result["cold_off"]["peak_pss_mb"] = off_sampler.peak_pss / 1e6
        self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        result["maxrss_self_mb"] = self_kb / 1000
        print("single-process trafilatura.extract loop, second half ...", file=sys.stderr)
        parts.append(baseline_part(pages, sample[1::2]))
        result["baseline"] = baseline(parts, args.articles, len(sample))
        result["loadavg_end"] = os.getloadavg()
        if args.variants:
            result["variants"] = variants(tmp / "site" / "pages", args.variants)
        server.terminate()
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    report(result)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    name = f"{result['when'][:19].replace(':', '')}-{args.articles}.json"
    (out / name).write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"saved bench/results/{name}")


def report(r: dict) -> None:
    base = r["baseline"]["wall_s"]
    cold, warm, split = r["cold"], r["warm"], r["split"]
    wt = warm["timings"]
    t = cold["timings"]
    n = r["week"]["pages"]

    def row(label: str, seconds: float, note: str = "") -> None:
        print(f"  {label:<34} {seconds:8.2f} s  {seconds / base:6.3f}x  {note}")

    w = r["week"]
    print(
        f"\n{n} articles, {w['feeds']} feeds, {w['contacts']} contacts x 6 interests"
        f" and {r['args'].get('history', 0)} earlier shares each, "
        f"{w['page_mb']} MB of pages, {r['cores']} cores, load average "
        f"{r['loadavg_start'][0]:.1f} at start, {r['loadavg_end'][0]:.1f} at end"
    )
    print(f"  {'':<34} {'wall':>10}  {'ratio to loop':>6}")
    b = r["baseline"]
    row(
        "single-process extract loop",
        base,
        f"({b['ms_per_page']:.1f} ms/page wall, {b['cpu_ms_per_page']:.1f} CPU; halves "
        + " + ".join(f"{x:.1f}" for x in b["parts_wall_s"])
        + " s)",
    )
    row("cold run, total", cold["wall_s"], "target <= 0.9x with meaning on")
    row("  fetch (fetch+parse+extract)", t.get("fetch", 0))
    if "extract_cpu" in t:
        row("    extract, CPU in workers", t["extract_cpu"])
    if "main_cpu" in t:
        row("    CPU of the main process (threads)", t["main_cpu"])
    if "feeds" in t:
        row("    feeds: parse+store (main thread)", t["feeds"])
    if "pool_start" in t:
        row("    pool start to first result", t["pool_start"])
    row("  match+rank (in run)", t.get("match", 0), "target < 0.1x")
    row("    index build (tokenise)", split["index_s"])
    row("    match", split["match_s"])
    row("    rank", split["rank_s"])
    row("  render", t.get("render", 0))
    if "embed" in t:
        row("  meaning: the new articles' vectors", t["embed"], "(after fetch, a thread a core)")
    m = r.get("meaning") or {}
    if m:
        row(
            "meaning: passages, CPU alone",
            m["cpu_ms_per_passage"] * n / 1000,
            f"({m['cpu_ms_per_passage']:.1f} ms CPU a passage, {m['passages']} timed;"
            f" {m['vectors_stored']} vectors stored for {n} articles)",
        )
        row(
            "meaning: model load + interests",
            m["load_cpu_s"] + m["phrases_cpu_s"],
            f"(load {m['load_cpu_s']:.2f} s CPU, {m['phrases']} phrases "
            f"{m['phrases_cpu_s']:.2f} s CPU)",
        )
    off = r.get("cold_off")
    if off:
        ot = off["timings"]
        row("cold run with meaning off", off["wall_s"], "target <= 0.6x")
        row("  fetch (fetch+parse+extract)", ot.get("fetch", 0))
        if "extract_cpu" in ot:
            row("    extract, CPU in workers", ot["extract_cpu"])
        row("  match+rank (in run)", ot.get("match", 0))
        print(f"  peak PSS with meaning off: {off['peak_pss_mb']:.0f} MB")
    print(
        f"  cold: {cold['articles_new'] / cold['wall_s']:.0f} articles/s, "
        f"{cold['pages_fetched']} pages fetched, {cold['feeds_200']} feeds parsed, "
        f"{cold['failures']} failures, {cold['suggestions']} suggestions"
    )
    print(
        f"  overlap: half the pages fetched by {cold['pages_half_fetched_s']:.2f} s, all by "
        f"{cold['pages_fetched_by_s']:.2f} s, all stored by {cold['pages_stored_by_s']:.2f} s"
    )
    print(
        f"  warm rerun: {warm['wall_s']:.2f} s = {warm['wall_s'] / cold['wall_s']:.3f}x cold "
        f"(target < 0.05x), {warm['pages_fetched']} pages fetched, "
        f"{warm['feeds_304']} feeds 304, {warm['articles_new']} new; "
        f"fetch {wt.get('fetch', 0):.2f} s, match {wt.get('match', 0):.2f} s, "
        f"render {wt.get('render', 0):.2f} s"
    )
    print(
        f"  peak memory of the process tree in the cold and warm runs (server excluded): "
        f"PSS {r['peak_pss_mb']:.0f} MB, "
        f"summed RSS {r['peak_rss_mb']:.0f} MB (target < 400 MB at 10,000); "
        f"ru_maxrss of this process {r['maxrss_self_mb']:.0f} MB"
    )
    print(
        f"  peak PSS in the cold run: {cold['peak_pss_fetch_mb']:.0f} MB while fetching, "
        f"extracting and embedding, {cold['peak_pss_match_render_mb']:.0f} MB while matching "
        "and rendering ({} and {} samples)".format(*cold.get("memory_samples", ("?", "?")))
    )
    for v in r.get("variants", []):
        first = r["variants"][0]
        print(
            f"  {v['option']:<26} {v['ms_per_page']:6.1f} ms/page "
            f"({v['ms_per_page'] / first['ms_per_page']:.2f}x), "
            f"text {v['chars'] / max(1, first['chars']):.3f}x"
        )


if __name__ == "__main__":
    main()
