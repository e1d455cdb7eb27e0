"""Wires the stages: fetch -> parse -> extract -> store -> match -> rank -> render.

Network work and feed parsing happen in a thread pool, extraction in a process pool, and
every database write in the calling thread, so one slow feed never blocks the others and
the store sees one writer. One failing feed or page is recorded and the run goes on.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
import queue
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from curator.config import Settings, Workspace, load_contacts, load_feeds
from curator.digestcache import DecisionCache
from curator.embedding import (
    Embedder,
    Meaning,
    MeaningUnavailable,
    ensure_vectors,
    load_embedder,
    warn_off,
    window_meaning,
)
from curator.errors import CuratorError, FetchError, UsageError
from curator.extract import ExtractedPage, exit_with_parent, extract_page
from curator.feeds import ParsedFeed, parse_feed
from curator.fetch import Fetcher, HTTPStatusError, Limits, Response
from curator.match import Index
from curator.models import Article, Contact, Entry, Feed, FeedFailure, RunReport, Suggestion
from curator.rank import (
    STATUS_LABELS,
    Bar,
    Decision,
    Explanation,
    Stories,
    cadence_bar,
    explain_decision,
    select,
    story_groups,
)
from curator.store import FeedState, Store, now
from curator.text import lemma
from curator.urls import canonical_url, host_of

try:
    import fcntl
except ImportError:  # not on Windows
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("curator")
T = TypeVar("T")

# (stage, done, total); stages "feeds" and "pages", then "done" once when fetching ends.
Progress = Callable[[str, int, int], None]


def iso_week(when: datetime) -> str:
    year, week, _ = when.isocalendar()
    return f"{year}-W{week:02d}"


def fetcher_for(workspace: Workspace) -> Fetcher:
    s = workspace.settings
    return Fetcher(
        Limits(
            connect_timeout=s.connect_timeout,
            read_timeout=s.read_timeout,
            deadline=s.deadline,
            max_bytes=s.max_page_bytes,
            max_redirects=s.max_redirects,
            per_host=s.per_host,
            host_strikes=s.host_strikes,
            concurrency=s.concurrency,
        ),
        user_agent=s.user_agent,
        allow_private_hosts=s.allow_private_hosts,
    )


class _InlineExecutor(Executor):
    """Runs jobs in the calling thread: for one worker, or a handful of pages."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def extraction_pool(workers: int) -> Executor:
    """A process pool for trafilatura, or inline extraction when one worker is asked for."""
    workers = workers or os.cpu_count() or 1
    if workers <= 1:
        return _InlineExecutor()
    # forkserver: forking a process that runs HTTP threads can deadlock the child. The
    # server imports trafilatura once and each worker is a fork of it, so workers start
    # in milliseconds and share those pages instead of each importing its own copy.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["curator.extract", "trafilatura"])
    return _RestartingPool(
        lambda: _widen_task_pipe(
            ProcessPoolExecutor(
                max_workers=workers,
                mp_context=context,
                initializer=exit_with_parent,  # workers must not outlive a run killed with -9
                initargs=(os.getpid(),),
            )
        )
    )


TASK_PIPE_BYTES = 1 << 20  # Linux lets any user grow a pipe to 1 MiB (pipe-max-size)


def _widen_task_pipe(pool: ProcessPoolExecutor) -> ProcessPoolExecutor:
    """Let the pipe that carries pages to the workers hold several whole pages.

    A pipe holds 64 kB and a page is often more, so the pool's feeder thread stalled on
    every page until a worker read it, and a worker that finished one waited for that
    thread, which shares the GIL with the fetch threads, to write the rest of the next:
    on the bench, 0.6 ms of every page. The pool has no public handle on its pipe; where
    the private one is missing, or the system has no F_SETPIPE_SZ, nothing changes."""
    set_size = getattr(fcntl, "F_SETPIPE_SZ", None) if fcntl else None
    writer = getattr(getattr(pool, "_call_queue", None), "_writer", None)
    if set_size is not None and writer is not None:
        try:
            fcntl.fcntl(writer.fileno(), set_size, TASK_PIPE_BYTES)
        except (OSError, ValueError) as exc:  # over a lowered pipe-max-size, say
            log.debug("could not widen the extraction pipe: %r", exc)
    return pool


def _stop_forkserver() -> None:
    """Stop the forkserver once extraction is over: it holds its own copy of trafilatura
    (about 50 MB) that matching would otherwise carry along. A later pool starts a new
    one. multiprocessing has no public way to do this; if its private one is gone, the
    server lives on until the run ends, as it would anyway."""
    from multiprocessing import forkserver

    stop = getattr(getattr(forkserver, "_forkserver", None), "_stop", None)
    if callable(stop):
        try:
            stop()
        except Exception as exc:  # only memory is at stake
            log.debug("could not stop the forkserver: %r", exc)


@contextmanager
def _sigint_blocked() -> Iterator[None]:
    """Hold back Ctrl-C in this thread for the block; it arrives when the block ends.

    Processes started meanwhile (the forkserver, and the workers it forks) inherit the
    mask, so a Ctrl-C sent to the whole process group interrupts only the run, which
    stops them, instead of printing a traceback from each of them."""
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None:  # not on Windows
        yield
        return
    previous = mask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        mask(signal.SIG_SETMASK, previous)


class _RestartingPool(Executor):
    """A process pool that starts afresh when a worker dies (a crash in a C parser, the
    OOM killer): the pages in flight fail with a note, the rest of the run goes on."""

    def __init__(self, make: Callable[[], ProcessPoolExecutor]):
        self._make = make
        self._pool = make()

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[override]
        with _sigint_blocked():  # the pool starts its processes in submit
            try:
                return self._pool.submit(fn, *args, **kwargs)
            except BrokenProcessPool:
                log.warning("an extraction worker died; starting new ones")
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._make()
                return self._pool.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)

    def terminate(self) -> None:
        """End the workers now, pages and all, and release the pool. The workers are the
        only processes a run starts through multiprocessing, so they are its children."""
        for process in multiprocessing.active_children():
            process.terminate()
        self._pool.shutdown(wait=True, cancel_futures=True)


class _Extraction:
    """Starts the extraction pool of one fetch. A fetch that stops on an error or a Ctrl-C
    ends the workers at once instead of letting them finish the pages they hold."""

    def __init__(self) -> None:
        self.pool: Executor | None = None

    def start(self, workers: int) -> Executor:
        self.pool = extraction_pool(workers)
        return self.pool

    def __enter__(self) -> _Extraction:
        return self

    def __exit__(self, exc_type, exc, tb):  # type: ignore[no-untyped-def]
        if exc_type is not None and isinstance(self.pool, _RestartingPool):
            self.pool.terminate()
        return False


class _FetchThreads(ThreadPoolExecutor):
    """The fetch threads. A run that stops on an error or a Ctrl-C does not wait for
    their downloads: the entries are queued in the store and the next run fetches them."""

    def __exit__(self, exc_type, exc, tb):  # type: ignore[no-untyped-def]
        if exc_type is None:
            return super().__exit__(exc_type, exc, tb)
        self.shutdown(wait=False, cancel_futures=True)
        return False


def _extract_timed(*args: object) -> tuple[ExtractedPage, float]:
    """extract_page plus the worker CPU it took, so a run can say where its time went."""
    t0 = time.process_time()
    page = extract_page(*args)  # type: ignore[arg-type]
    return page, time.process_time() - t0


class _Done:
    """Futures handed back as they finish: waiting costs the same with 3 or 300 in flight
    (``concurrent.futures.wait`` sets up a waiter on every pending future each time)."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue[Future] = queue.SimpleQueue()

    def watch(self, future: Future) -> None:
        future.add_done_callback(self._queue.put)

    def finished(self) -> list[Future]:
        """At least one finished future (waiting for it), and any others already done."""
        out = [self._queue.get()]
        while True:
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                return out


class _Pending(dict[Future, tuple[str, object]]):
    """Futures in flight with what they are for; each is watched as it is added."""

    def __init__(self) -> None:
        super().__init__()
        self.done = _Done()

    def __setitem__(self, future: Future, what: tuple[str, object]) -> None:
        super().__setitem__(future, what)
        self.done.watch(future)


@dataclass
class _PageJob:
    feed: Feed
    feed_id: int
    entry: Entry
    key: str  # canonical URL


class _HostQueue(Generic[T]):
    """Work waiting to be fetched, handed out round-robin over hosts, within ``slots``.

    Pages and feeds wait in two queues that share one count of requests per host, so a
    fetch thread never sits blocked on a busy site while work for others waits. The
    caller asks the page queue first: a burst of feeds cannot take a host's slots while
    its pages, which the extraction workers wait for, queue behind them.
    """

    def __init__(self, slots: _Slots, host: Callable[[T], str]):
        self.slots = slots
        self.host = host
        self.hosts: dict[str, deque[T]] = {}

    def __len__(self) -> int:
        return sum(len(q) for q in self.hosts.values())

    def add(self, item: T) -> None:
        self.hosts.setdefault(self.host(item), deque()).append(item)

    def take(self) -> T | None:
        for host in list(self.hosts):
            if self.slots.take(host):
                items = self.hosts.pop(host)
                item = items.popleft()
                if items:  # to the back of the line: round-robin
                    self.hosts[host] = items
                return item
        return None

    def done(self, item: T) -> None:
        self.slots.release(self.host(item))


@dataclass
class _Slots:
    """Requests in progress per host, pages and feeds together: at most ``per_host``."""

    per_host: int
    busy: dict[str, int] = field(default_factory=dict)

    def take(self, host: str) -> bool:
        """Count one more request to ``host``, if it has a free slot; say if it had."""
        if self.busy.get(host, 0) >= max(1, self.per_host):
            return False
        self.busy[host] = self.busy.get(host, 0) + 1
        return True

    def release(self, host: str) -> None:
        self.busy[host] -= 1


def _next_attempt(failures: int, after: int, retry_after: float | None) -> datetime | None:
    if retry_after:
        return now() + timedelta(seconds=min(retry_after, 30 * 86400))
    if failures < after:
        return None
    return now() + timedelta(hours=min(12 * 2 ** (failures - after + 1), 30 * 24))


def fetch(
    workspace: Workspace,
    store: Store,
    *,
    feeds: list[Feed] | None = None,
    progress: Progress | None = None,
    run_id: int | None = None,
    report: RunReport | None = None,
) -> RunReport:
    """Fetch every feed, then each new entry's page, extract and store the articles."""
    report = report or RunReport()
    feeds = load_feeds(workspace) if feeds is None else feeds
    settings = workspace.settings
    cutoff = now() - settings.window
    report.feeds_total = len(feeds)
    started = time.perf_counter()
    main_cpu = time.process_time()
    extract_cpu = feed_seconds = 0.0
    pool_started = first_result = 0.0
    workers = settings.extract_workers or os.cpu_count() or 1
    embedder = load_embedder(settings, workspace.root)
    with (
        fetcher_for(workspace) as fetcher,
        _FetchThreads(
            max_workers=settings.concurrency, thread_name_prefix="curator-fetch"
        ) as threads,
        _Extraction() as extraction,
    ):
        extractor: Executor | None = None
        pending = _Pending()
        done = pending.done
        done_pages = total_pages = 0
        slots = _Slots(settings.per_host)
        to_fetch: _HostQueue[_PageJob] = _HostQueue(slots, lambda job: host_of(job.entry.url))
        feeds_waiting: _HostQueue[tuple[Feed, FeedState]] = _HostQueue(
            slots, lambda item: host_of(item[1].moved_to or item[0].url)
        )
        # Pages fetched or being fetched but not yet stored: enough to keep every fetch
        # thread and every extraction worker busy, few enough that 10,000 pages never
        # sit in memory at once.
        window = settings.concurrency + 2 * workers
        # CPU each feed has cost in parsing and extraction: past settings.feed_budget its
        # remaining pages keep the feed's text (one hostile feed cannot cost minutes).
        spent: dict[str, float] = {}
        over_budget: set[str] = set()

        def within_budget(job: _PageJob) -> bool:
            if spent.get(job.feed.url, 0.0) < settings.feed_budget:
                return True
            if job.feed.url not in over_budget:
                over_budget.add(job.feed.url)
                fail(
                    "page",
                    job.entry.url,
                    f"not read: the feed used its {settings.feed_budget:g} s budget for "
                    "parsing and extraction this run; its feed text is used for the rest",
                    job.feed.label,
                )
            return False

        in_flight = 0
        fetching = 0  # requests handed to the fetch threads and not yet back

        def fail(kind: str, url: str, error: str, feed: str) -> None:
            report.failures.append(FeedFailure(url=url, error=error, kind=kind, feed=feed))
            store.record_failure(run_id, kind, url, error, feed)
            log.warning("%s %s: %s", kind, url if kind == "page" else feed or url, error)

        listed: dict[int, Feed] = {}
        for feed in feeds:
            state = store.feed_state(feed.url, feed.name)
            listed.setdefault(state.id, feed)
            if state.retired:
                report.feeds_skipped += 1
                fail(
                    "feed",
                    feed.url,
                    "retired: the server said it is gone (HTTP 410); remove it from feeds.yaml",
                    feed.label,
                )
                continue
            if state.next_attempt_at and state.next_attempt_at > now():
                report.feeds_skipped += 1
                # still named in the summary and the digest's health section: a feed
                # that backs off is a broken feed, only asked less often
                fail(
                    "feed",
                    feed.url,
                    f"not retried until {state.next_attempt_at:%Y-%m-%d %H:%M} UTC after "
                    f"{state.consecutive_failures} failure(s) in a row; last: "
                    f"{state.last_error}",
                    feed.label,
                )
                continue
            feeds_waiting.add((feed, state))
        total_feeds = len(feeds_waiting)
        done_feeds = 0
        # First the entries an interrupted run left queued: their feeds may answer 304
        # now. Those of feeds no longer listed, or now older than the window, are dropped.
        dropped = []
        for feed_id, key, entry in store.pending_entries():
            if feed_id not in listed or (entry.published or cutoff) < cutoff:
                dropped.append(key)
                continue
            job = _PageJob(listed[feed_id], feed_id, entry, key)
            total_pages += 1
            if job.feed.full_text or not _fetchable(job.entry.url):
                _store_entry(store, job, None, "", report)
                done_pages += 1
            else:
                to_fetch.add(job)
        store.drop_stored_entries(dropped)

        def hand_out() -> None:
            """Give free fetch threads work: pages first, so extraction starts with the
            first feed's entries instead of after the last feed; feeds with the rest."""
            nonlocal in_flight, fetching, extractor, pool_started
            while (
                fetching < settings.concurrency and in_flight < window and (job := to_fetch.take())
            ):
                if extractor is None:  # starts while the first pages download
                    pool_started = time.perf_counter()
                    more = total_pages > 4 or done_feeds < total_feeds
                    extractor = extraction.start(workers if more else 1)
                in_flight += 1
                fetching += 1
                pending[
                    threads.submit(_get_page, fetcher, job, workspace.root, settings.max_page_bytes)
                ] = ("page", job)
            while fetching < settings.concurrency and (waiting := feeds_waiting.take()):
                feed, state = waiting
                fetching += 1
                pending[
                    threads.submit(
                        _get_feed,
                        fetcher,
                        feed,
                        state,
                        workspace.root,
                        settings.max_feed_bytes,
                        settings.max_entries_per_feed,
                        settings.feed_budget,
                    )
                ] = ("feed", (feed, state))

        hand_out()
        while pending:
            # Pages before feeds: a page fetched or extracted frees a slot that keeps the
            # workers busy, while a batch of feeds (a few ms each to store) can wait.
            for future in sorted(done.finished(), key=lambda f: pending[f][0] == "feed"):
                kind, payload = pending.pop(future)
                if kind in ("feed", "page"):
                    fetching -= 1
                if kind == "feed":
                    done_feeds += 1
                    if progress:
                        progress("feeds", done_feeds, total_feeds)
                    feed, state = payload  # type: ignore[misc]
                    feeds_waiting.done((feed, state))
                    t0 = time.perf_counter()
                    jobs = _handle_feed(future, feed, state, store, report, settings, cutoff, fail)
                    feed_seconds += time.perf_counter() - t0
                    if future.exception() is None:
                        spent[feed.url] = future.result().cpu
                    for job in jobs:
                        total_pages += 1
                        if (
                            job.feed.full_text
                            or not _fetchable(job.entry.url)
                            or not within_budget(job)
                        ):
                            _store_entry(store, job, None, "", report)
                            done_pages += 1
                            continue
                        to_fetch.add(job)
                elif kind == "page":
                    job = payload  # type: ignore[assignment]
                    to_fetch.done(job)
                    try:
                        response: Response = future.result()
                    except FetchError as exc:
                        in_flight -= 1
                        done_pages += 1
                        fail("page", job.entry.url, str(exc), job.feed.label)
                        _store_entry(store, job, None, f"page not fetched: {exc}", report)
                        continue
                    report.pages_fetched += 1
                    if not within_budget(job):
                        in_flight -= 1
                        done_pages += 1
                        _store_entry(store, job, None, "feed's time budget spent", report)
                        continue
                    assert extractor is not None  # started when the page was handed out
                    # The feed gives title, date and author; page metadata would cost
                    # ~1.5x the extraction time and a page's own date must not push an
                    # undated entry out of the window ("new when first seen").
                    need_meta = False
                    extracted = extractor.submit(
                        _extract_timed,
                        response.body,
                        response.url,
                        response.content_type,
                        response.charset,
                        need_meta,
                        settings.extract_timeout,
                        True,
                        _title(job, None),  # the worker splits title and text into words
                    )
                    pending[extracted] = ("extract", job)
                else:
                    job = payload  # type: ignore[assignment]
                    in_flight -= 1
                    done_pages += 1
                    first_result = first_result or time.perf_counter()
                    try:
                        page, cpu = future.result()
                        extract_cpu += cpu
                        spent[job.feed.url] = spent.get(job.feed.url, 0.0) + cpu
                    except Exception as exc:
                        page = ExtractedPage("", note=f"extraction failed ({exc!r:.100})")
                    if page.text:
                        report.pages_extracted += 1
                    else:
                        fail("page", job.entry.url, page.note, job.feed.label)
                    _store_entry(store, job, page, page.note, report)
                if progress and kind != "feed":
                    progress("pages", done_pages, total_pages)
            hand_out()
        if extractor is not None:
            extractor.shutdown(wait=True, cancel_futures=True)
            if isinstance(extractor, _RestartingPool):
                _stop_forkserver()
        store.drop_stored_entries()
    report.timings["fetch"] = time.perf_counter() - started
    # Finer figures for bench/run_bench.py: extraction CPU summed over workers, feed
    # handling (parse + store) in this thread, and pool start to its first result.
    report.timings["extract_cpu"] = extract_cpu
    report.timings["main_cpu"] = time.process_time() - main_cpu  # this process, all threads
    report.timings["feeds"] = feed_seconds
    if first_result:
        report.timings["pool_start"] = first_result - pool_started
    if embedder is not None:
        # The new articles' vectors of meaning, made once the extraction workers are gone:
        # the model's memory and theirs are never needed at the same time.
        t0 = time.perf_counter()
        try:
            ensure_vectors(
                store,
                embedder,
                [a.id for a in store.articles_since(cutoff, text=False)],
                threads=workers,
                progress=progress and (lambda done, total: progress("meaning", done, total)),
            )
        except MeaningUnavailable as exc:
            warn_off(str(exc))
        report.timings["embed"] = time.perf_counter() - t0
    if progress:
        progress("done", done_pages, total_pages)
    return report


def _fetchable(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https", "file")


@dataclass
class _FetchedFeed:
    """A feed's response, parsed where it was fetched: its parse error, if any, is kept
    for the run to record."""

    response: Response
    parsed: ParsedFeed | None = None
    error: Exception | None = None
    cpu: float = 0.0  # seconds this thread spent parsing


def _get_feed(
    fetcher: Fetcher,
    feed: Feed,
    state: FeedState,
    root: Path,
    max_bytes: int,
    max_entries: int,
    budget: float | None = None,
) -> _FetchedFeed:
    """Fetch and parse a feed, on a fetch thread: parsing takes milliseconds a feed, which
    the thread that feeds the extraction workers should not spend."""
    url = state.moved_to or feed.url
    # Where a feed moved to is an address the user never listed: checked like a link.
    moved = url != feed.url
    response = fetcher.get(
        url,
        etag=state.etag,
        last_modified=state.last_modified,
        accept="application/rss+xml, application/atom+xml, application/xml;"
        "q=0.9, text/xml;q=0.9, */*;q=0.5",
        max_bytes=max_bytes,
        guard=moved,
        allowed_origin=feed.url if moved else None,
        file_root=root,
    )
    if response.not_modified:
        return _FetchedFeed(response)
    started = time.thread_time()
    try:
        parsed = parse_feed(
            response.body,
            response.url,
            response.headers.get("content-type", ""),
            max_entries,
            budget,
        )
    except Exception as exc:  # NotAFeedError, or a parser surprise on hostile bytes
        return _FetchedFeed(response, error=exc, cpu=time.thread_time() - started)
    return _FetchedFeed(response, parsed, cpu=time.thread_time() - started)


def _get_page(fetcher: Fetcher, job: _PageJob, root: Path, max_bytes: int) -> Response:
    feed_url = job.feed.url
    file_root = None
    if urlsplit(feed_url).scheme == "file":
        file_root = Path(urlsplit(feed_url).path).parent
    return fetcher.get(
        job.entry.url,
        accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
        max_bytes=max_bytes,
        guard=True,
        allowed_origin=None if file_root else feed_url,  # a file feed exempts nothing
        file_root=file_root,
    )


def _handle_feed(
    future: Future,
    feed: Feed,
    state: FeedState,
    store: Store,
    report: RunReport,
    settings,
    cutoff: datetime,
    fail: Callable[[str, str, str, str], None],
) -> list[_PageJob]:
    try:
        fetched: _FetchedFeed = future.result()
    except HTTPStatusError as exc:
        retire = exc.status == 410
        error = str(exc)
        if exc.status == 429:
            error = "HTTP 429: the server asks us to slow down"
        if retire:
            error = "HTTP 410: the feed is gone; remove it from feeds.yaml"
        failures = store.feed_failed(
            state.id,
            str(exc.status),
            error,
            _next_attempt(state.consecutive_failures + 1, settings.backoff_after, exc.retry_after),
            retire=retire,
        )
        fail("feed", feed.url, _with_count(error, failures), feed.label)
        return []
    except Exception as exc:  # FetchError, or a surprise that must not end the run
        failures = store.feed_failed(
            state.id,
            "error",
            _reason(exc),
            _next_attempt(state.consecutive_failures + 1, settings.backoff_after, None),
        )
        fail("feed", feed.url, _with_count(_reason(exc), failures), feed.label)
        return []
    response = fetched.response
    if response.moved_to and response.moved_to != (state.moved_to or feed.url):
        store.feed_moved(state.id, response.moved_to)
        log.warning(
            "feed %s moved permanently to %s; consider updating feeds.yaml",
            feed.label,
            response.moved_to,
        )
    if response.not_modified:
        report.feeds_not_modified += 1
        store.feed_ok(state.id, "304", keep_validators=True)
        return []
    if fetched.error is not None:  # NotAFeedError, or a parser surprise on hostile bytes
        failures = store.feed_failed(
            state.id,
            "not a feed" if isinstance(fetched.error, FetchError) else "error",
            _reason(fetched.error),
            _next_attempt(state.consecutive_failures + 1, settings.backoff_after, None),
        )
        fail("feed", feed.url, _with_count(_reason(fetched.error), failures), feed.label)
        return []
    parsed = fetched.parsed
    assert parsed is not None  # a response other than 304 is parsed, or has its error
    for warning in parsed.warnings:
        log.info("feed %s: %s", feed.label, warning)
    report.feeds_ok += 1
    report.entries_seen += len(parsed.entries)
    fresh = [e for e in parsed.entries if e.published is None or e.published >= cutoff]
    keyed: dict[str, Entry] = {}
    for entry in fresh:
        keyed.setdefault(canonical_url(entry.url), entry)
    known = store.known_urls(keyed)
    # The validators are committed with the entries still to store: after an interrupted
    # run the feed answers 304, and the next run finds those entries in the queue.
    with store.transaction():
        store.feed_ok(
            state.id,
            str(response.status),
            response.headers.get("etag"),
            response.headers.get("last-modified"),
        )
        new = store.queue_entries(
            state.id, ((key, entry) for key, entry in keyed.items() if key not in known)
        )
    # an entry queued already (by another feed, or left by an interrupted run) is under way
    return [_PageJob(feed, state.id, keyed[key], key) for key in new]


def _reason(exc: BaseException) -> str:
    """Our errors say what happened; anything else is named as unexpected."""
    if isinstance(exc, FetchError):
        return str(exc)
    return f"unexpected error: {type(exc).__name__}: {str(exc)[:200]}"


def _with_count(error: str, failures: int) -> str:
    return f"{error} ({failures} runs in a row)" if failures > 1 else error


def _title(job: _PageJob, page: ExtractedPage | None) -> str:
    return job.entry.title or (page.title if page else "") or job.key


def _store_entry(
    store: Store, job: _PageJob, page: ExtractedPage | None, note: str, report: RunReport
) -> None:
    entry = job.entry
    if page and page.text:
        text, source = page.text, "page"
    else:
        text, source = entry.content or entry.summary, "feed"
        if not job.feed.full_text and not note:  # the page was meant to be read: say why not
            note = "page gave no text" if page else "page not read"
    title = _title(job, page)
    # the worker's words, if it split this very title and text; else they are split here
    words = page.words if page and page.text and title == _title(job, None) else None
    published = entry.published
    author = entry.author or (page.author if page else "")
    if (
        store.add_article(
            url=job.key,
            link=entry.url,
            title=title,
            text=text,
            author=author,
            published=published,
            feed_id=job.feed_id,
            feed_name=job.feed.label,
            source=source,
            note=note,
            words=words,
        )
        is not None
    ):
        report.articles_new += 1


# -- digest ----------------------------------------------------------------------------


@dataclass
class Person:
    """One contact's part of a digest."""

    contact: Contact
    suggestions: list[Suggestion]
    last_contact: datetime | None = None
    overdue: bool = False
    as_of: datetime | None = None  # the digest's date: a saved page must not drift
    sent_recently: int = 0  # articles shared with them in the last LOAD_DAYS days
    at_limit: bool = False  # max_per_month reached: their suggestions are held back

    @property
    def days_since(self) -> int | None:
        if not self.last_contact:
            return None
        return ((self.as_of or now()) - self.last_contact).days


@dataclass
class Digest:
    """Everything one week's digest shows."""

    week: str
    generated_at: datetime
    people: list[Person]
    failures: list[FeedFailure] = field(default_factory=list)
    articles_considered: int = 0
    feeds: int = 0
    fetched: bool = True  # False when no run read the feeds this week (`run --no-fetch`)
    # each contact's interests that nothing matched in the last coverage_weeks (Gap list)
    coverage_gaps: list = field(default_factory=list)
    coverage_weeks: int = 4
    # people set aside with `curator snooze`: (contact, end of the snooze or None)
    snoozed: list[tuple[Contact, datetime | None]] = field(default_factory=list)

    @property
    def suggestion_count(self) -> int:
        return sum(len(p.suggestions) for p in self.people)

    def by_article(self) -> list[tuple[object, list[Suggestion]]]:
        """Articles with the people they suit, most-wanted first."""
        table: dict[int, list[Suggestion]] = {}
        articles = {}
        for person in self.people:
            for s in person.suggestions:
                table.setdefault(s.article.id, []).append(s)
                articles[s.article.id] = s.article
        order = sorted(table, key=lambda a: (-len(table[a]), -max(s.score for s in table[a])))
        return [(articles[a], table[a]) for a in order]


@dataclass
class Matcher:
    """The articles of a window, indexed, plus the history that excludes some of them."""

    index: Index
    groups: list[int]
    history: dict[str, list]
    suggested_before: dict[str, set[int]]
    # the articles' vectors of meaning, in the index's order; None when meaning is off
    meaning: Meaning | None = None

    @classmethod
    def build(
        cls,
        store: Store,
        since: datetime,
        week: str,
        include: Article | None = None,
        embedder: Embedder | None = None,
        contacts: Iterable[Contact] = (),
    ) -> Matcher:
        """The window's matcher; with an ``embedder``, the articles' vectors of meaning
        and those of the ``contacts``' interests and avoid lists are made ready."""
        # Text is read once while indexing and loaded again only for what is shown.
        articles = store.articles_since(since, text=False)
        texts: Iterable[str | bytes] = store.words_since(since)
        if include is not None and all(a.id != include.id for a in articles):
            articles.append(include)  # explain: an article older than the window
            texts = itertools.chain(texts, [include.text])
        history: dict[str, list] = {}
        for row in store.history():
            history.setdefault(row["contact"], []).append(row)
        # before the index: the model is freed once this is done, and the two never
        # need their memory at the same time
        meaning = window_meaning(
            store,
            embedder,
            [a.id for a in articles],
            [p for c in contacts for i in (*c.interests, *c.avoid) for p in i.phrases],
        )
        return cls(
            Index(articles, texts, store.article_text),
            story_groups(articles),
            history,
            store.suggested_before(week),
            meaning,
        )

    @cached_property
    def positions(self) -> dict[int, int]:
        """Each article's place in the index, by article id."""
        return {article.id: i for i, article in enumerate(self.index.articles)}

    @cached_property
    def stories(self) -> Stories:
        return Stories(self.index.articles)

    def excluded(self, contact: Contact) -> dict[int, tuple[str, str]]:
        """Articles (by index, in order) the contact must not be sent: suggested in an
        earlier digest, else the story behind something in their history."""
        before = self.suggested_before.get(contact.key, ())
        rows = self.history.get(contact.key, [])
        out = dict.fromkeys(
            (self.positions[a] for a in before if a in self.positions),
            ("suggested before", "already in an earlier digest"),
        )
        remembered = [(row["title"], row["url"]) for row in rows]
        for i, r in self.stories.first_same(remembered).items():
            row = rows[r]
            out.setdefault(i, (row["action"], f"{row['action']} on {row['on_date'][:10]}"))
        return dict(sorted(out.items()))  # select lets the last of a story's articles speak

    def decide(
        self, contact: Contact, per_contact: int, min_score: float, *, explain: bool = False
    ) -> tuple[list[Suggestion], list[Decision]]:
        """The contact's suggestions; with ``explain``, a decision for every candidate."""
        matches = self.index.match_contact(contact, self.meaning)
        return select(
            self.index,
            contact,
            matches,
            per_contact=per_contact,
            min_score=min_score,
            excluded=self.excluded(contact),
            groups=self.groups,
            explain=explain,
        )


# The span a person's card counts what was sent to them over, and max_per_month limits.
LOAD_DAYS = 30


def last_contacts(store: Store, contacts: Iterable[Contact]) -> dict[str, datetime | None]:
    """Each contact's latest contact of any kind: a share, a logged touch, or the
    contacts.yaml `last_contact:` date; None when there is none."""
    shared = store.last_shared()
    touched = store.last_touched()
    out: dict[str, datetime | None] = {}
    for c in contacts:
        dates = [d for d in (shared.get(c.key), touched.get(c.key), c.last_contact) if d]
        out[c.key] = max(dates) if dates else None
    return out


def bar_for(
    settings: Settings,
    contact: Contact,
    last: datetime | None,
    seen: datetime | None,
    when: datetime,
) -> Bar:
    """The minimum ``contact``'s suggestions must reach, as their cadence moves it."""
    return cadence_bar(
        contact,
        last,
        last or seen or when,  # a cadence runs from the last contact, else the first sight
        when,
        min_score=settings.min_score,
        overdue=settings.overdue_bar,
        recent=settings.recent_bar,
        recent_days=settings.recent_days,
    )


def _bar_now(store: Store, settings: Settings, contact: Contact) -> Bar:
    """Today's bar for one contact, as the week's digest sets it."""
    return bar_for(
        settings,
        contact,
        last_contacts(store, [contact])[contact.key],
        store.seen_on(contact.key),
        now(),
    )


def sent_recently(workspace: Workspace, contact: Contact, when: datetime | None = None) -> int:
    """How many articles were shared with ``contact`` in the last LOAD_DAYS days."""
    if not workspace.db_path.exists():
        return 0
    with Store(workspace.db_path) as store:
        since = (when or now()) - timedelta(days=LOAD_DAYS)
        return store.shared_since(since).get(contact.key, 0)


def load_words(sent: int) -> str:
    """'sent 2 in the last 30 days' for a person's card."""
    return f"sent {sent} in the last {LOAD_DAYS} days"


def limit_words(contact: Contact, sent: int) -> str:
    """The line that says a person's max_per_month holds their suggestions back."""
    return (
        f"{load_words(sent)}, the most you set (max_per_month: {contact.max_per_month}); "
        f"nothing more is suggested until fewer were sent"
    )


def build_digest(
    workspace: Workspace,
    store: Store,
    contacts: list[Contact],
    *,
    when: datetime | None = None,
    failures: list[FeedFailure] | None = None,
    draft: Callable[[Suggestion], str] | None = None,
    feeds: int | None = None,
) -> Digest:
    """Match and rank every contact over the window's articles; record the suggestions.
    ``feeds`` is the number of feeds, when the caller has read feeds.yaml already."""
    when = when or now()
    week = iso_week(when)
    settings = workspace.settings
    # Matching is skipped for each person whose inputs did not change since the last run;
    # the index is built only if someone needs matching.
    embedder = load_embedder(settings, workspace.root)
    cache = DecisionCache(
        store,
        when - settings.window,
        week,
        (settings.per_contact, settings.min_score, embedder and embedder.model_id),
    )
    matcher: Matcher | None = None
    lasts = last_contacts(store, contacts)
    seen = store.first_seen((c.key for c in contacts), when)
    snoozes = store.snoozes(when)
    sent = store.shared_since(when - timedelta(days=LOAD_DAYS))
    people: list[Person] = []
    snoozed: list[tuple[Contact, datetime | None]] = []
    rows = []
    for contact in contacts:
        if contact.key in snoozes:  # no suggestions and no reminder until the snooze ends
            snoozed.append((contact, snoozes[contact.key]))
            continue
        last = lasts[contact.key]
        bar = bar_for(settings, contact, last, seen.get(contact.key), when)
        key = cache.key(contact, bar.min_score)
        cached = cache.get(contact, key)
        if cached is None:
            matcher = matcher or Matcher.build(
                store, when - settings.window, week, embedder=embedder, contacts=contacts
            )
            suggestions, _ = matcher.decide(contact, settings.per_contact, bar.min_score)
            cache.put(contact, key, suggestions)
        else:
            suggestions = cached
        if draft:
            suggestions = [
                Suggestion(s.contact, s.article, s.score, s.reasons, draft(s)) for s in suggestions
            ]
        since = last or seen.get(contact.key) or when  # a cadence runs from the first sight
        overdue = bool(contact.cadence_days) and (when - since).days >= (contact.cadence_days or 0)
        load = sent.get(contact.key, 0)
        at_limit = contact.max_per_month is not None and load >= contact.max_per_month
        if at_limit:
            suggestions = []
        people.append(
            Person(
                contact,
                suggestions,
                last,
                overdue,
                as_of=when,
                sent_recently=load,
                at_limit=at_limit,
            )
        )
        rows += [
            (contact.key, s.article.id, s.score, [r.as_dict() for r in s.reasons])
            for s in suggestions
        ]
    store.replace_suggestions(week, rows)
    cache.keep_only(contacts)
    gaps = _coverage_gaps(workspace, store, contacts, when, matcher)
    people.sort(
        key=lambda p: (
            not p.overdue,
            -(p.days_since or 0) if p.overdue else 0,
            not p.suggestions,
            p.contact.name.casefold(),
        )
    )
    return Digest(
        week=week,
        generated_at=when,
        people=people,
        failures=failures or [],
        articles_considered=cache.article_count,
        feeds=len(load_feeds(workspace)) if feeds is None else feeds,
        snoozed=sorted(snoozed, key=lambda s: s[0].name.casefold()),
        coverage_gaps=[g for g in gaps if g.missing],
        coverage_weeks=max(1, settings.coverage_weeks),
    )


def _coverage_gaps(
    workspace: Workspace,
    store: Store,
    contacts: list[Contact],
    when: datetime,
    matcher: Matcher | None,
) -> list:
    """Interests nothing matched lately; the matcher's index covers the newest articles."""
    from curator.coverage import CACHE_FILE, recent_gaps

    span = timedelta(weeks=max(1, workspace.settings.coverage_weeks))
    return recent_gaps(
        store,
        contacts,
        when - span,
        index=matcher.index if matcher else None,
        cache_path=workspace.state_dir / CACHE_FILE,
    )


def week_health(store: Store, when: datetime) -> list[FeedFailure] | None:
    """The failures of the last run of ``when``'s ISO week that read the feeds, or None if
    none did: a digest made again from stored articles keeps its week's feed health."""
    monday = when - timedelta(days=when.weekday())
    start = monday.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = store.last_fetch_failures(start)
    if rows is None:
        return None
    return [FeedFailure(r["url"], r["error"], r["kind"], r["feed"]) for r in rows]


def run(
    workspace: Workspace,
    *,
    progress: Progress | None = None,
    fetch_feeds: bool = True,
    formats: tuple[str, ...] = ("html", "md", "json"),
    publish: bool = True,
) -> tuple[RunReport, Digest]:
    """The weekly job: fetch, match, rank and render; returns the report and the digest.

    Without ``fetch_feeds`` the digest is made from the stored articles and shows the
    feed health of the week's last run that read the feeds. Without ``publish`` nothing
    is written under output/ (the caller prints the digest)."""
    from curator import render

    contacts = load_contacts(workspace)
    feeds = load_feeds(workspace)
    report = RunReport()
    fetched = False
    with Store(workspace.db_path) as store:
        run_id = store.start_run()
        try:
            failures: list[FeedFailure] | None = report.failures
            if fetch_feeds:
                # The lemmatiser's dictionary takes a third of a second to load, which
                # matching would wait for: load it while the pages download.
                threading.Thread(target=lemma, args=("warm",), daemon=True).start()
                fetch(
                    workspace, store, feeds=feeds, progress=progress, run_id=run_id, report=report
                )
                fetched = True
            else:
                failures = week_health(store, now())
            t0 = time.perf_counter()
            digest = build_digest(
                workspace,
                store,
                contacts,
                failures=failures,
                draft=render.drafter(workspace),
                feeds=len(feeds),
            )
            digest.fetched = failures is not None
            report.timings["match"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            if publish:
                report.digest_path = str(render.write_digest(workspace, digest, formats))
            report.timings["render"] = time.perf_counter() - t0
        finally:
            store.finish_run(
                run_id,
                locals().get("digest") and iso_week(now()),
                {
                    "articles_new": report.articles_new,
                    "failures": len(report.failures),
                    "fetched": fetched,  # read by week_health
                },
            )
    return report, digest


def suggest(
    workspace: Workspace, contact: Contact, *, limit: int | None = None
) -> list[Suggestion]:
    """The best current articles for one contact, best first (no fetching, nothing saved)."""
    from curator import render

    settings = workspace.settings
    with Store(workspace.db_path) as store:
        if store.article_count() == 0:
            raise CuratorError("no articles stored yet; run `curator fetch` or `curator run` first")
        week = iso_week(now())
        matcher = Matcher.build(
            store,
            now() - settings.window,
            week,
            embedder=load_embedder(settings, workspace.root),
            contacts=[contact],
        )
        bar = _bar_now(store, settings, contact)
        suggestions, _ = matcher.decide(contact, limit or settings.per_contact, bar.min_score)
    draft = render.drafter(workspace)
    return [Suggestion(s.contact, s.article, s.score, s.reasons, draft(s)) for s in suggestions]


def explain(workspace: Workspace, contact: Contact, url: str) -> Explanation:
    """Why one stored article is, or is not, suggested to one contact this week."""
    settings = workspace.settings
    with Store(workspace.db_path) as store:
        article = store.article_by_url(url) or store.article_by_canonical_url(url)
        if article is None:
            raise UsageError(
                f"no stored article has the URL {url}; "
                f"`curator articles --search WORDS` lists stored articles with their URLs"
            )
        since = now() - settings.window
        matcher = Matcher.build(
            store,
            since,
            iso_week(now()),
            include=article,
            embedder=load_embedder(settings, workspace.root),
            contacts=[contact],
        )
        bar = _bar_now(store, settings, contact)
        _, decisions = matcher.decide(contact, settings.per_contact, bar.min_score, explain=True)
        # inside the store: the evidence's snippets read the article's text from it
        position = next(i for i, a in enumerate(matcher.index.articles) if a.id == article.id)
        result = explain_decision(
            matcher.index, contact, position, decisions, min_score=bar.min_score
        )
        result = replace(result, bar=bar.why)
    if article.date is not None and article.date < since:
        result = replace(
            result,
            status="outside window",
            detail=f"dated {article.date:%Y-%m-%d}, before the {settings.window.days}-day "
            f"window, which --since widens; inside it: {STATUS_LABELS.get(result.status)}",
        )
    return result
