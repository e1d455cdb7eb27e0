"""The command line: each command parses its arguments and calls one function of the core.

Exit codes: 0 success (a digest was written, even if some feeds failed); 1 an error
(nothing could be produced); 2 a usage or configuration error; 75 another run holds the
workspace lock (try again later); 130 interrupted.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import sys
import time
import traceback
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from curator import __version__, pipeline, rank, render
from curator.config import Workspace, load_contacts, open_workspace
from curator.errors import (
    DAMAGE_MESSAGES,
    INTERRUPTED,
    RUN_INTERRUPTED,
    CuratorError,
    damaged_database,
)
from curator.lock import workspace_lock
from curator.models import Article, Contact, Suggestion
from curator.names import resolve_contact
from curator.textutil import one_line
from curator.workspace_init import init_workspace

log = logging.getLogger("curator")

EXIT_CODES = """\b
Exit codes:
  0   success (a digest was written, even if some feeds failed)
  1   error: nothing could be produced
  2   usage or configuration error: an unknown person, a bad date, URL or option
      (nothing changed), or a mistake in a workspace file (the message names it)
  75  another curator run is using this workspace; try again later
  130 interrupted (Ctrl-C)"""


class Context:
    """What the group callback settles for every command."""

    def __init__(self, workspace: str | None, verbose: int, quiet: bool):
        self.workspace_path = workspace
        self.verbose = verbose
        self.quiet = quiet

    def workspace(self, **overrides: Any) -> Workspace:
        self.opened = open_workspace(self.workspace_path, **overrides)
        return self.opened

    def db_path(self) -> str:
        """The database of the workspace a command opened, for error messages."""
        opened = getattr(self, "opened", None)
        return str(opened.db_path) if opened else "the workspace database"


def _handle_errors(fn: Callable) -> Callable:
    """Turn every failure into one line on stderr and its exit code: a CuratorError says
    what to do; anything unexpected names what failed, with the traceback under -v."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CuratorError as exc:
            _fail(str(exc), exc.exit_code)
        except click.exceptions.Exit:
            raise
        except KeyboardInterrupt:
            _fail(INTERRUPTED, 130, prefix="")
        except sqlite3.DatabaseError as exc:
            state = click.get_current_context().find_object(Context)
            path = state.db_path() if state else "the workspace database"
            if "disk is full" in str(exc):
                _fail(f"could not write {path}: the disk is full; nothing was lost", 1)
            if not any(words in str(exc) for words in DAMAGE_MESSAGES):
                _unexpected(exc)
            _fail(str(damaged_database(path, exc)), 1)
        except OSError as exc:
            if exc.strerror is None:
                _unexpected(exc)
            where = f"{exc.filename}: " if exc.filename else ""
            _fail(f"could not read or write {where}{exc.strerror}", 1)
        except click.Abort as exc:
            if isinstance(exc.__context__, KeyboardInterrupt):  # Ctrl-C at a prompt
                _fail(INTERRUPTED, 130, prefix="")
            raise
        except click.ClickException:
            raise
        except Exception as exc:
            _unexpected(exc)

    return wrapper


def _interruptible(fn: Callable) -> Callable:
    """Ctrl-C ends a run with one line and exit code 130, at once.

    By then every transaction is committed or rolled back, and the entries not yet
    stored are queued in the database for the next run. The process itself leaves in
    main(), which does not wait for the downloads still in flight."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except KeyboardInterrupt:
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C waits
            try:
                click.echo(RUN_INTERRUPTED, err=True)
                sys.exit(130)
            finally:
                # main() leaves at once from here; a caller that goes on (a test, a script
                # calling cli()) gets its Ctrl-C back
                signal.signal(signal.SIGINT, previous)

    return wrapper


def _fail(message: str, code: int, prefix: str = "Error: ") -> None:
    click.echo(f"{prefix}{one_line(message)}", err=True)
    sys.exit(code)


def _unexpected(exc: BaseException) -> None:
    """A failure curator did not foresee: one line, the traceback under -v."""
    context = click.get_current_context(silent=True)
    state = context.find_object(Context) if context else None
    if state and state.verbose:
        traceback.print_exception(exc, file=sys.stderr)
    command = " ".join(["curator", *context.command_path.split()[1:]]) if context else "curator"
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    hint = "" if state and state.verbose else " (run with -v to see the details)"
    _fail(f"{command} failed unexpectedly: {detail}{hint}", 1)


def _setup_logging(verbose: int, quiet: bool) -> None:
    logger = logging.getLogger("curator")
    logger.handlers.clear()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(levelname)s: %(message)s" if verbose else "%(message)s")
    )
    logger.addHandler(handler)
    logger.propagate = False
    if quiet:
        logger.setLevel(logging.ERROR)
    else:
        logger.setLevel({0: logging.ERROR, 1: logging.INFO}.get(verbose, logging.DEBUG))
    # that closeness in meaning is off changes every suggestion, so it is said unless -q
    meaning = logging.getLogger("curator.meaning")
    meaning.setLevel(logging.ERROR if quiet else min(logger.level, logging.WARNING))


def _progress(ctx: Context) -> pipeline.Progress | None:
    """A one-line progress display on stderr, only on a terminal and never under --quiet."""
    if ctx.quiet or not sys.stderr.isatty():
        return None
    return _ProgressLine()


class _ProgressLine:
    """Redraws "feeds 12/100  articles 340/2,000" in place, at most ten times a second.

    The pipeline calls it with (stage, done, total) and once with stage "done" at the end,
    which finishes the line so what follows starts on a fresh one.
    """

    def __init__(self) -> None:
        self.counts: dict[str, tuple[int, int]] = {}
        self.shown = 0.0
        self.width = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage == "done":
            if self.counts:
                self._draw()
                click.echo("", err=True)
                self.counts.clear()
            return
        self.counts[stage] = (done, total)
        moment = time.monotonic()
        if done >= total or moment - self.shown >= 0.1:
            self.shown = moment
            self._draw()

    def _draw(self) -> None:
        names = {"feeds": "feeds", "pages": "articles"}
        line = "  ".join(
            f"{names.get(stage, stage)} {done:,}/{total:,}"
            for stage, (done, total) in self.counts.items()
        )
        # Pad over a longer previous line; \r returns to the start of the same line.
        click.echo(f"\r{line.ljust(self.width)}", err=True, nl=False)
        self.width = len(line)


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES)
@click.version_option(__version__, "--version", prog_name="curator")
@click.option(
    "-w",
    "--workspace",
    type=click.Path(file_okay=False),
    envvar="CURATOR_WORKSPACE",
    help="Workspace folder (default: $CURATOR_WORKSPACE, else the current folder).",
)
@click.option("-v", "--verbose", count=True, help="Say more on stderr (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing unless something went wrong.")
@click.pass_context
def cli(ctx: click.Context, workspace: str | None, verbose: int, quiet: bool) -> None:
    """Send the right article to the right person, and say why.

    curator reads the feeds in feeds.yaml, matches each article against the interests of
    the people in contacts.yaml, and writes a weekly digest to output/: for each person,
    the few articles they would value, with the reason and a draft note. It never sends
    anything itself.

    \b
    Example:
      curator init ~/curator && cd ~/curator
      curator run
      curator suggest "Zoe"
    """
    _setup_logging(verbose, quiet)
    ctx.obj = Context(workspace, verbose, quiet)


@cli.command()
@click.argument("directory", type=click.Path(file_okay=False), default=".")
@_handle_errors
def init(directory: str) -> None:
    """Create a workspace with commented example feeds.yaml and contacts.yaml.

    Also writes curator.yaml with every setting commented out at its default.
    Existing files are never overwritten, so running it again is safe.

    \b
    Example:
      curator init ~/curator
      curator -w ~/curator run
    """
    created = init_workspace(Path(directory))
    for path in created:
        click.echo(f"created {path}")
    if not created:
        click.echo(f"{directory} already has feeds.yaml and contacts.yaml; nothing changed")
    else:
        click.echo("Edit feeds.yaml and contacts.yaml, then run: curator run")


@cli.command()
@click.option("--since", help="Window of articles to take, e.g. 7d, 14d, 2w (default 7d).")
@click.pass_obj
@_handle_errors
@_interruptible
def fetch(ctx: Context, since: str | None) -> None:
    """Fetch the feeds and extract new articles, without making a digest.

    \b
    Example:
      curator fetch --since 14d
    """
    workspace = ctx.workspace(since=since)
    with workspace_lock(workspace.lock_path):
        from curator.store import Store

        with Store(workspace.db_path) as store:
            run_id = store.start_run()
            report = pipeline.fetch(workspace, store, progress=_progress(ctx), run_id=run_id)
            store.finish_run(run_id, None, {"articles_new": report.articles_new, "fetched": True})
    _summarise(ctx, report)
    if not ctx.quiet:
        click.echo(
            f"{render.plural(report.articles_new, 'new article')} from "
            f"{render.plural(report.feeds_ok, 'feed')}"
        )


@cli.command()
@click.option("--since", help="Window of articles to consider, e.g. 7d, 14d (default 7d).")
@click.option(
    "--per-contact",
    type=click.IntRange(1, 50),
    help="At most this many suggestions per person (default 3).",
)
@click.option(
    "--no-fetch",
    is_flag=True,
    help="Use stored articles only; do not fetch. The digest keeps the feed health of "
    "this week's last run that fetched.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "text"]),
    default="html",
    show_default=True,
    help="text also prints the digest to stdout; with --no-fetch it only prints, and "
    "output/ stays as published.",
)
@click.pass_obj
@_handle_errors
@_interruptible
def run(ctx: Context, since: str | None, per_contact: int | None, no_fetch: bool, fmt: str) -> None:
    """Fetch, match and write this week's digest to output/ (the weekly cron job).

    Prints the path of the digest. Feeds that fail are named on stderr and in the
    digest's health section; the run still succeeds if a digest was written.

    With --no-fetch the week's digest is made again from the stored articles (after
    `curator shared`, say) and rewritten; with --no-fetch --format text it is printed
    only, and the published page is left as it is.

    \b
    Example:
      curator run
      curator -q -w ~/curator run      # from cron: silent unless something failed
      curator run --no-fetch --format text
    """
    workspace = ctx.workspace(since=since, per_contact=per_contact)
    with workspace_lock(workspace.lock_path):
        report, digest = pipeline.run(
            workspace,
            progress=_progress(ctx),
            fetch_feeds=not no_fetch,
            publish=not (no_fetch and fmt == "text"),
        )
        if not (no_fetch and fmt == "text"):
            _backup(workspace)
    _summarise(ctx, report)
    if fmt == "text":
        click.echo(render.render_digest(workspace, digest, "text"), nl=False)
    elif not ctx.quiet:
        click.echo(report.digest_path)


def _backup(workspace: Workspace) -> None:
    """Back up the database after a run; a backup that fails is said but fails nothing."""
    from curator.store import backup_workspace

    try:
        backup_workspace(workspace)
    except (OSError, sqlite3.Error) as exc:
        click.echo(f"Warning: the database was not backed up: {one_line(str(exc))}", err=True)


def _summarise(ctx: Context, report: Any) -> None:
    """Name each failing feed once on stderr (even under --quiet: cron should mail it)."""
    feeds = [f for f in report.failures if f.kind == "feed"]
    pages = [f for f in report.failures if f.kind == "page"]
    if feeds:
        total = render.plural(report.feeds_total, "feed")
        click.echo(f"{len(feeds)} of {total} failed:", err=True)
        for f in feeds:
            click.echo(f"  {f.feed or f.url}: {f.error}", err=True)
    if pages and not ctx.quiet:
        its = "its" if len(pages) == 1 else "their"
        click.echo(
            f"{render.plural(len(pages), 'article page')} could not be read; {its} feed "
            f"text was used instead (see -v)",
            err=True,
        )
    from curator.fetch import PRIVATE_REFUSAL
    from curator.urls import host_of

    private = [f for f in pages if PRIVATE_REFUSAL in f.error]
    if private and not ctx.quiet:
        host = host_of(private[0].url)
        click.echo(
            f"{len(private)} of them are on private addresses (such as {host}), which "
            f"feeds may not reach; to allow a host on your own network, list it under "
            f"allow_private_hosts in curator.yaml",
            err=True,
        )


def _contact(workspace: Workspace, name: str) -> Contact:
    return resolve_contact(load_contacts(workspace), name)


@cli.command()
@click.argument("name")
@click.option("--limit", type=click.IntRange(1, 100), help="How many articles (default 3).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "md"]), default="text", show_default=True
)
@click.option("--since", help="Window of articles to consider (default 7d).")
@click.pass_obj
@_handle_errors
def suggest(ctx: Context, name: str, limit: int | None, fmt: str, since: str | None) -> None:
    """The best stored articles for one person, best first, with the reasons.

    NAME may be a full name, a unique first name, or close to one; any other than
    the full name is answered with the full name first ("Zoe Park:"), except in JSON.

    \b
    Example:
      curator suggest zoe
      curator suggest "Zoe Park" --format json --limit 5
    """
    from curator import history

    workspace = ctx.workspace(since=since)
    contact = _contact(workspace, name)
    held = history.snoozed(workspace, contact)
    sent = pipeline.sent_recently(workspace, contact)
    why = ""
    if held is not None:  # set aside on purpose: say so, and nothing else
        why = f"{one_line(contact.name)} is {history.snooze_words(held.until)}."
    elif contact.max_per_month is not None and sent >= contact.max_per_month:
        why = f"{one_line(contact.name)}: {pipeline.limit_words(contact, sent)}."
    if why:  # JSON stays JSON: an empty list, and the reason on stderr
        click.echo("[]" if fmt == "json" else why)
        if fmt == "json":
            click.echo(why, err=True)
        return
    suggestions = pipeline.suggest(workspace, contact, limit=limit)
    if fmt == "json":
        click.echo(
            json.dumps(
                [render.suggestion_data(s) for s in suggestions], indent=2, ensure_ascii=False
            )
        )
        return
    if not suggestions:
        click.echo(f"Nothing for {one_line(contact.name)} this week.")
        return
    if " ".join(name.casefold().split()) != contact.key:  # say whom a loose name meant
        shown = render.md_escape(contact.name) if fmt == "md" else one_line(contact.name)
        click.echo(f"{shown}:" + ("\n" if fmt == "md" else ""))
    for n, s in enumerate(suggestions, 1):
        click.echo(_format_suggestion(n, s, markdown=fmt == "md"))


@cli.command()
@click.argument("name")
@click.argument("url")
@click.option("--since", help="Window of articles to consider (default 7d).")
@click.pass_obj
@_handle_errors
def explain(ctx: Context, name: str, url: str, since: str | None) -> None:
    """Why one stored article is, or is not, suggested to one person.

    Prints each interest found (the words, how closely they matched, title or body, how
    often, a sentence with the match in [brackets]), the parts of the score, any avoid
    topic, and the reason it was not suggested: below the threshold, an avoid topic,
    the same story as a better article, already shared, dismissed or suggested before,
    or over the per-person limit.

    \b
    Example:
      curator explain zoe https://example.org/2026/marathon-training
    """
    workspace = ctx.workspace(since=since)
    contact = _contact(workspace, name)
    click.echo(rank.format_explanation(pipeline.explain(workspace, contact, url)))


@cli.command()
@click.option("--since", help="Window of articles to list, e.g. 14d, 2w (default 7d).")
@click.option("--search", "words", help="Only articles whose title or text holds all these words.")
@click.option("--feed", default="", help="Only articles from feeds whose name holds this.")
@click.option(
    "--limit",
    type=click.IntRange(1, 100_000),
    default=50,
    show_default=True,
    help="At most this many, the newest.",
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.pass_obj
@_handle_errors
def articles(
    ctx: Context, since: str | None, words: str | None, feed: str, limit: int, fmt: str
) -> None:
    """The stored articles, newest first: date, title, feed and URL.

    The URL is what `curator explain`, `shared` and `dismiss` take. Words match in any
    letter case, with or without accents; an undated article counts from the day it
    was first seen.

    \b
    Example:
      curator articles --since 14d --search "heat pump"
      curator articles --feed "Green Street" --format json
    """
    from curator.store import Store, now

    workspace = ctx.workspace(since=since)
    start = now() - workspace.settings.window
    found: list[Article] = []
    if workspace.db_path.exists():
        with Store(workspace.db_path) as store:
            found = store.find_articles(start, (words or "").split(), feed.strip())
    shown = found[:limit]
    if fmt == "json":
        click.echo(json.dumps([_article_data(a) for a in shown], indent=2, ensure_ascii=False))
    for a in shown if fmt == "text" else []:
        feed_name = f"  ({a.feed})" if a.feed else ""
        click.echo(f"{a.date:%Y-%m-%d}  {a.title or '(untitled)'}{feed_name}\n{'':12}{a.url}")
    if not found:
        what = f" holding {words.strip()!r}" if words and words.strip() else ""
        where = f" from a feed named like {feed.strip()!r}" if feed.strip() else ""
        click.echo(
            f"No stored article{what}{where} since {start:%Y-%m-%d} "
            f"(--since widens the window; curator fetch reads the feeds).",
            err=fmt == "json",
        )
    elif len(found) > limit:
        click.echo(
            f"Showed the newest {limit} of {len(found)}; narrow with --search or --feed, "
            f"or raise --limit.",
            err=True,
        )


def _article_data(a: Article) -> dict[str, Any]:
    return {
        "title": a.title,
        "feed": a.feed,
        "url": a.url,
        "published": a.published.isoformat() if a.published else None,
        "first_seen": a.fetched_at.isoformat() if a.fetched_at else None,
    }


def _format_suggestion(n: int, s: Suggestion, markdown: bool) -> str:
    a = s.article
    if markdown:
        lines = [f"{n}. [{render.md_escape(a.title)}](<{a.url}>) (score {s.score:.1f})"]
        if a.summary_only:
            lines.append(f"   - _{render.md_escape(render.SUMMARY_ONLY)}_")
        lines += [
            f"   - {render.md_escape(r.interest)}, in the {r.where}: "
            f"{render.md_highlight(r.snippet, r.marks)}"
            for r in s.reasons
        ]
        return "\n".join(lines)
    # Titles, snippets and interests come from feeds and contacts.yaml: one_line drops any
    # terminal escape they carry.
    lines = [f"{n}. {one_line(a.title)}  (score {s.score:.1f})", f"   {one_line(a.url)}"]
    if a.summary_only:
        lines.append(f"   ({render.SUMMARY_ONLY})")
    for r in s.reasons:
        words = ", ".join(
            b if sim == 100 else f"{b} ({sim}% like {a_})" for a_, b, sim in r.matched
        )
        if r.count:
            lines.append(
                f"   - {one_line(r.interest)}: {one_line(words)} in the {r.where}, {r.count}x"
            )
        else:  # no word of it occurs: found by closeness in meaning
            lines.append(f"   - {one_line(r.interest)}: in the {r.where}")
        lines.append(f"     “{one_line(r.snippet)}”")
    return "\n".join(lines) + "\n"


# -- the relationship loop: history, forgetting, contacts, feeds, coverage --------------------


@cli.command()
@click.argument("name")
@click.argument("url")
@click.option("--note", default="", help="A word about why or how you shared it.")
@click.option("--on", "on", help="The day you shared it: 2026-11-02, yesterday (default today).")
@click.option("--title", default="", help="The article's title, if curator never stored it.")
@click.pass_obj
@_handle_errors
def shared(ctx: Context, name: str, url: str, note: str, on: str | None, title: str) -> None:
    """Remember that you shared URL with NAME; it is never suggested to them again.

    The same story from another feed is not suggested either, and the date counts as
    your last contact with them (see cadence in contacts.yaml). Recording the same URL
    for the same person on the same day again changes nothing; `curator undo` takes
    back the last record.

    \b
    Example:
      curator shared zoe https://example.org/heat-pumps --note "sent on Signal"
      curator shared "Zoe Park" https://example.org/retrofit --on 2026-11-02
    """
    _record(ctx, name, url, "shared", note, on, title)


@cli.command()
@click.argument("name")
@click.argument("url")
@click.option("--note", default="", help="Why it is not for them (for your own memory).")
@click.pass_obj
@_handle_errors
def dismiss(ctx: Context, name: str, url: str, note: str) -> None:
    """Remember that URL is not for NAME; it (and the same story) is never suggested again.

    Dismissing it again on the same day changes nothing; `curator undo` takes back the
    last record.

    \b
    Example:
      curator dismiss zoe https://example.org/football-results
    """
    _record(ctx, name, url, "dismissed", note, None, "")


def _record(
    ctx: Context, name: str, url: str, action: str, note: str, on: str | None, title: str
) -> None:
    from curator import history

    when = history.parse_day(on) if on else None
    done = history.record(ctx.workspace(), name, url, action, on=when, note=note, title=title)
    verb = "shared with" if action == "shared" else "dismissed for"
    what = f"{one_line(done.title)!r}" if done.title else one_line(done.url)
    if not ctx.quiet:
        said = "Already recorded" if done.already else "Recorded"
        name = one_line(done.contact.name)
        click.echo(f"{said}: {what} {verb} {name} on {done.on:%Y-%m-%d}.")
        if not done.known and not done.already:
            click.echo("(not among the stored articles; remembered by its URL)", err=True)


@cli.command()
@click.argument("name")
@click.option("--on", "on", help="The day of it: 2026-11-02, yesterday (default today).")
@click.option(
    "--via",
    type=click.Choice(["call", "meeting", "message", "email", "other"]),
    default="other",
    show_default=True,
    help="How you were in touch.",
)
@click.option("--note", default="", help="A word about it (for your own memory).")
@click.pass_obj
@_handle_errors
def touched(ctx: Context, name: str, on: str | None, via: str, note: str) -> None:
    """Remember that you were in touch with NAME, by any means; the cadence restarts.

    A call, a meeting or a message counts as much as a share: the next reminder is
    due a cadence after your latest contact of any kind. The same person, day and means
    again changes nothing; `curator undo` takes back the last record.

    \b
    Example:
      curator touched zoe --via call
      curator touched "Zoe Park" --on yesterday --via meeting --note "coffee, new job"
    """
    from curator import history

    when = history.parse_day(on) if on else None
    done = history.touch(ctx.workspace(), name, on=when, via=via, note=note)
    if not ctx.quiet:
        said = "Already recorded" if done.already else "Recorded"
        who = one_line(done.contact.name)
        click.echo(f"{said}: in touch with {who} by {via} on {done.on:%Y-%m-%d}.")


@cli.command()
@click.argument("name")
@click.option("--for", "for_", metavar="DURATION", help="How long, e.g. 30d, 6w.")
@click.option("--until", metavar="DATE", help="The day the snooze ends, e.g. 2027-01-06.")
@click.option("--indefinitely", is_flag=True, help="Until you lift it (the same as `pause`).")
@click.option("--off", is_flag=True, help="Lift the snooze or pause.")
@click.pass_obj
@_handle_errors
def snooze(
    ctx: Context, name: str, for_: str | None, until: str | None, indefinitely: bool, off: bool
) -> None:
    """Set NAME aside for a while: no suggestions and no reminder until then.

    Give exactly one of --for, --until, --indefinitely or --off. The digest lists who
    is snoozed in one line; `curator suggest NAME` says so.

    \b
    Example:
      curator snooze zoe --for 30d
      curator snooze zoe --until 2027-01-06
      curator snooze zoe --off
    """
    from curator import history
    from curator.errors import UsageError

    given = [x for x in (for_, until, indefinitely or None, off or None) if x]
    if len(given) != 1:
        raise UsageError("give one of --for 30d, --until DATE, --indefinitely or --off")
    workspace = ctx.workspace()
    if off:
        done = history.unsnooze(workspace, name)
        if not ctx.quiet:
            who = one_line(done.contact.name)
            click.echo(f"{who} is back." if done.lifted else f"{who} was not snoozed.")
        return
    end = None if indefinitely else history.snooze_until(for_, until)
    _snoozed(ctx, history.snooze(workspace, name, end))


@cli.command()
@click.argument("name")
@click.pass_obj
@_handle_errors
def pause(ctx: Context, name: str) -> None:
    """Set NAME aside until you lift it with `curator snooze NAME --off`.

    \b
    Example:
      curator pause zoe
    """
    from curator import history

    _snoozed(ctx, history.snooze(ctx.workspace(), name, None))


def _snoozed(ctx: Context, done: Any) -> None:
    from curator import history

    if not ctx.quiet:
        click.echo(f"{one_line(done.contact.name)} is {history.snooze_words(done.until)}.")


@cli.command("history")
@click.argument("name", required=False)
@click.option("--all", "everyone", is_flag=True, help="Everyone's history (for --format json|csv).")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", show_default=True
)
@click.pass_obj
@_handle_errors
def history_(ctx: Context, name: str | None, everyone: bool, fmt: str) -> None:
    """List what you shared with NAME, what you dismissed and when you were in touch.

    With --format json or csv, the records (person, email, action, date, url, title,
    note, via) are printed oldest first, to keep in a file of your own; --all takes
    everyone's. In CSV, a cell starting with = + - or @ gets a leading ' so that a
    spreadsheet shows it as text.

    \b
    Example:
      curator history zoe
      curator history --all --format csv > history.csv
    """
    from curator import history
    from curator.errors import UsageError

    if everyone == bool(name):
        raise UsageError("give one person's NAME, or --all for everyone's history")
    if everyone and fmt == "text":
        raise UsageError("--all goes with --format json or --format csv")
    if fmt == "text":
        contact, items = history.history(ctx.workspace(), name or "")
        click.echo(history.format_history(contact, items), nl=False)
        return
    records = history.export_history(ctx.workspace(), name)
    if fmt == "json":
        click.echo(json.dumps(records, indent=2, ensure_ascii=False))
    else:
        click.echo(history.history_csv(records), nl=False)


@cli.command()
@click.pass_obj
@_handle_errors
def undo(ctx: Context) -> None:
    """Take back the last `shared`, `dismiss` or `touched` you recorded, and say what it was.

    Each undo takes back one record, the most recently made, whichever person and day
    it was about; the article may then be suggested to them again.

    \b
    Example:
      curator undo
    """
    from curator import history

    done = history.undo(ctx.workspace())
    if ctx.quiet:
        return
    if done is None:
        click.echo("Nothing to undo: no share, dismissal or touch is recorded.")
        return
    item = done.item
    if item.action == "touched":
        who = one_line(done.name)
        click.echo(f"Took back: in touch with {who} by {item.via} on {item.on:%Y-%m-%d}.")
        return
    verb = "shared with" if item.action == "shared" else "dismissed for"
    what = f"{one_line(item.title)!r}" if item.title else one_line(item.url)
    click.echo(f"Took back: {what} {verb} {one_line(done.name)} on {item.on:%Y-%m-%d}.")


@cli.command()
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.pass_obj
@_handle_errors
def forget(ctx: Context, name: str, yes: bool) -> None:
    """Forget NAME completely: contacts.yaml, the database and past digests.

    Their entry leaves contacts.yaml (your comments and layout elsewhere stay), every
    database row about them is deleted and the freed space overwritten, and digests
    under output/ are rewritten without them. This cannot be undone.

    NAME must be the person's full name or email as in contacts.yaml (letter case and
    accents aside): a first name or a near spelling is refused, with the people it
    might mean, and nothing changes (exit 2).

    \b
    Example:
      curator forget "Zoe Park"
      curator forget zoe@example.org --yes
    """
    from curator import contacts_io
    from curator.names import resolve_exact

    workspace = ctx.workspace()
    contact = resolve_exact(load_contacts(workspace), name)
    who = f"{contact.name} <{contact.email}>" if contact.email else contact.name
    if not yes:
        try:
            sure = click.confirm(
                f"Forget {one_line(who)} everywhere (contacts.yaml, history, past digests)?"
            )
        except click.Abort as exc:
            if not isinstance(exc.__context__, EOFError):
                raise
            sure = False  # no answer (standard input closed) is no
        if not sure:
            click.echo("Nothing was changed.")
            sys.exit(1)
    elif not ctx.quiet:
        click.echo(f"Forgetting {one_line(who)} (contacts.yaml, history, past digests).")
    with workspace_lock(workspace.lock_path):
        report = contacts_io.forget(workspace, contact)
    if not ctx.quiet:
        rewritten = len(report.digests_rewritten)
        click.echo(
            f"Forgot {one_line(contact.name)}: removed from contacts.yaml, "
            f"{report.rows_deleted} database rows deleted, "
            f"{rewritten} digest{'s' if rewritten != 1 else ''} rewritten."
        )
        if report.import_backup:
            click.echo(
                f"Deleted {report.import_backup.name} too, which listed them: "
                f"the last import can no longer be undone."
            )
    if report.in_articles:
        click.echo(
            f"Note: {report.in_articles} stored articles from your feeds mention their name "
            f"in their own text (digests listing them show it too); that is the news, not "
            f"data about them.",
            err=True,
        )
    for path in report.leftovers:
        # the database, its backups and the digests hold the articles that name them; any
        # other file still naming them is a trace of the person, and always worth a warning
        if report.in_articles and (
            path.name.startswith(workspace.db_path.name)
            or path.is_relative_to(workspace.backups_dir)
            or path.is_relative_to(workspace.output_dir)
        ):
            continue
        click.echo(f"Warning: {path} still mentions them; delete or edit it by hand.", err=True)


@cli.group()
def contacts() -> None:
    """List the people in contacts.yaml, or import them from an address book.

    \b
    Example:
      curator contacts list
      curator contacts import ~/Downloads/contacts.vcf
    """


@contacts.command("list")
@click.pass_obj
@_handle_errors
def contacts_list(ctx: Context) -> None:
    """Everyone in contacts.yaml: interests, group, cadence, last contact, next due.

    \b
    Example:
      curator contacts list
    """
    from curator import contacts_io
    from curator.store import Store, now

    workspace = ctx.workspace()
    people = load_contacts(workspace)
    if not people:
        click.echo("Nobody yet: add people to contacts.yaml or run: curator contacts import FILE")
        return
    last: dict[str, Any] = {}
    seen: dict[str, Any] = {}
    snoozes: dict[str, Any] = {}
    if workspace.db_path.exists():
        with Store(workspace.db_path) as store:
            last = {k: v for k, v in pipeline.last_contacts(store, people).items() if v}
            seen = store.first_seen((c.key for c in people), now())
            snoozes = store.snoozes(now())
    for line in contacts_io.contact_lines(people, last, seen=seen, snoozes=snoozes):
        click.echo(line)


@contacts.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show who would be added or updated; write nothing.")
@click.pass_obj
@_handle_errors
def contacts_import(ctx: Context, file: Path, dry_run: bool) -> None:
    """Add people from a vCard (.vcf), LinkedIn Connections.csv or Google Contacts CSV.

    vCard CATEGORIES and Google labels become interests, NOTE becomes notes. Address-book
    groups (Friends, Family, Work, myContacts, Starred and the like) are not interests:
    they are listed as skipped, and kept as the person's group. People already listed
    (same email, else same name) are not added twice; only what their entry lacks is
    filled in. Your comments in contacts.yaml stay. The file as it was is kept beside
    it as contacts.yaml.before-import; `curator contacts undo-import` puts it back.

    \b
    Example:
      curator contacts import contacts.vcf --dry-run
      curator contacts import contacts.vcf
      curator contacts import ~/Downloads/Connections.csv
    """
    from curator import contacts_io

    report = contacts_io.import_contacts(ctx.workspace(), file, dry_run=dry_run)
    if dry_run:  # the preview is the product: printed even with --quiet
        click.echo(
            f"{report.source}: read {report.read}, would add {len(report.added)}, "
            f"would update {len(report.updated)}, unchanged {report.unchanged}; "
            f"nothing was written."
        )
        for label, names in (("Would add", report.added), ("Would update", report.updated)):
            if names:
                click.echo(f"{label}: {', '.join(one_line(n) for n in names)}")
        return
    if not ctx.quiet:
        click.echo(
            f"{report.source}: read {report.read}, added {len(report.added)}, "
            f"updated {len(report.updated)}, unchanged {report.unchanged}; "
            f"contacts.yaml lists {report.total} people."
        )
        if report.backup:
            click.echo(
                f"The file as it was is kept in {report.backup.name}; "
                f"`curator contacts undo-import` puts it back."
            )
        if report.without_interests:
            click.echo(
                f"{report.without_interests} new people have no interests yet; add a few "
                f"in their own words to contacts.yaml, or they will never get a suggestion."
            )
        if report.groups:
            skipped = ", ".join(f"{group} ({n})" for group, n in report.groups.items())
            click.echo(f"Address-book groups skipped, not interests (people in each): {skipped}")
    for name, email in report.bad_emails:
        click.echo(
            f"Skipped the email of {name}: {email!r} is not one plain email address.", err=True
        )
    warning = contacts_io.depth_warning(report.total)
    if warning:
        click.echo(warning, err=True)


@contacts.command("undo-import")
@click.pass_obj
@_handle_errors
def contacts_undo_import(ctx: Context) -> None:
    """Put contacts.yaml back as it was before the last `curator contacts import`.

    Only while contacts.yaml is as that import left it: after an edit, the earlier file
    stays in contacts.yaml.before-import for you to copy from.

    \b
    Example:
      curator contacts undo-import
    """
    from curator import contacts_io

    restored = contacts_io.undo_import(ctx.workspace())
    if ctx.quiet:
        return
    if restored is None:
        click.echo("Nothing to undo: no import is recorded.")
    else:
        click.echo(f"Restored {restored.name} as it was before the last import.")


@cli.group()
def feeds() -> None:
    """List, add, import (OPML) and export the feeds in feeds.yaml.

    \b
    Example:
      curator feeds add https://example.org/feed.xml --name "Example"
      curator feeds export > feeds.opml
    """


@feeds.command("list")
@click.pass_obj
@_handle_errors
def feeds_list(ctx: Context) -> None:
    """Every feed with the outcome of its last fetch.

    \b
    Example:
      curator feeds list
    """
    from curator import opml

    lines = opml.feed_lines(ctx.workspace())
    if not lines:
        click.echo("No feeds yet: curator feeds add URL, or curator feeds import FILE.opml")
    for line in lines:
        click.echo(line)


@feeds.command("add")
@click.argument("url")
@click.option("--name", default="", help="A label for the digest (default: the URL).")
@click.pass_obj
@_handle_errors
def feeds_add(ctx: Context, url: str, name: str) -> None:
    """Add the feed at URL to feeds.yaml (comments and layout kept).

    URL is an http(s) address, or the path of a feed file (relative to the workspace)
    that exists. An address typed without its scheme, such as www.example.org/rss, is
    stored with https:// and the output says so.

    Feeds and their articles may not reach your own machine or network
    (localhost, 192.168.x.x, a .local name): a feed there is refused, and its
    article pages on another host or port fall back to the feed's text. To use
    a host on your network (a self-hosted reader), list it in curator.yaml as
    allow_private_hosts: [nas.local, 192.168.1.20]. Cloud metadata addresses
    are never allowed.

    \b
    Example:
      curator feeds add https://example.org/feed.xml --name "Example"
    """
    from curator import opml
    from curator.errors import UsageError
    from curator.models import Feed

    workspace = ctx.workspace()
    url, note = opml.feed_address(url, workspace)
    report = opml.add_feeds(workspace, [Feed(url=url, name=name)])
    if report.skipped:
        raise UsageError(f"{url!r} is not a feed address; give an http(s) URL or a file path")
    if note and not ctx.quiet:
        click.echo(note)
    if report.present:
        click.echo(f"{url} is already in feeds.yaml")
    elif not ctx.quiet:
        click.echo(f"Added {name or url}; it is fetched on the next: curator run")


@feeds.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
@_handle_errors
def feeds_import(ctx: Context, file: Path) -> None:
    """Add the feeds of an OPML file (from any feed reader) to feeds.yaml.

    Folders become tags; feeds already listed are skipped.

    \b
    Example:
      curator feeds import subscriptions.opml
    """
    from curator import opml

    report = opml.import_opml(ctx.workspace(), file)
    if not ctx.quiet:
        present = len(report.present)
        click.echo(
            f"Added {render.plural(len(report.added), 'feed')}; "
            f"{present} {'was' if present == 1 else 'were'} already listed."
        )
    for url in report.skipped:
        click.echo(f"Skipped {url!r}: not an http(s) feed address", err=True)
    for refused in report.refused:
        click.echo(f"Refused {refused}", err=True)


@feeds.command("export")
@click.pass_obj
@_handle_errors
def feeds_export(ctx: Context) -> None:
    """Print feeds.yaml as OPML 2.0, for any feed reader.

    \b
    Example:
      curator feeds export > feeds.opml
    """
    from curator import opml
    from curator.config import load_feeds

    click.echo(opml.export_opml(load_feeds(ctx.workspace())), nl=False)


@cli.command()
@click.option(
    "--weeks",
    type=click.IntRange(1, 520),
    help="Period to check (default: the coverage_weeks setting, 4).",
)
@click.pass_obj
@_handle_errors
def coverage(ctx: Context, weeks: int | None) -> None:
    """Each person's interests that no stored article matched lately.

    Those topics need a new feed, unless the articles hold their words: a close spelling
    of a word that is not in the dictionary (a typo?), or all the words of a phrase in
    the same articles but apart. Those are listed as interests to reword instead.

    \b
    Example:
      curator coverage --weeks 8
    """
    from curator import coverage as cov

    workspace = ctx.workspace()
    weeks = weeks or max(1, workspace.settings.coverage_weeks)  # the digest's section uses the same
    articles, gaps = cov.coverage(workspace, weeks)
    click.echo(cov.format_coverage(articles, gaps, weeks), nl=False)


@cli.command()
@click.option(
    "--repair",
    is_flag=True,
    help="Restore the newest intact backup of a damaged database (or salvage it).",
)
@click.pass_obj
@_handle_errors
def doctor(ctx: Context, repair: bool) -> None:
    """Check the workspace and say in plain words what is wrong.

    Checks that feeds.yaml and contacts.yaml read, that the database and its backups
    are intact, that output/ can be written, and prints the versions in use. Exit 0
    when all is well, 1 when something is wrong.

    With --repair, a damaged database is renamed (kept, never deleted) and the newest
    intact backup takes its place, with the shares and dismissals recorded after it
    that can still be read; what the runs since the backup stored is lost (the next
    run fetches the articles again). With no intact backup, every readable row of the
    history goes into a new database. A deleted database is brought back from the
    newest backup. Your YAML files are never touched.

    \b
    Example:
      curator doctor
      curator doctor --repair
    """
    from curator import doctor as doc
    from curator.config import find_workspace

    try:
        workspace = ctx.workspace()
    except CuratorError as exc:  # a broken curator.yaml is a finding, not the end
        click.echo(f"PROBLEM  {one_line(str(exc))}")
        workspace = Workspace(find_workspace(ctx.workspace_path))
        broken = True
    else:
        broken = False
    if repair:
        with workspace_lock(workspace.lock_path):
            done = doc.repair(workspace)
        for line in done.lines:
            click.echo(line)
        return
    click.echo(doc.versions())
    findings = doc.check(workspace)
    for finding in findings:
        click.echo(f"{'PROBLEM' if finding.problem else 'ok':<8} {one_line(finding.text)}")
    if broken or any(f.problem for f in findings):
        click.echo("Something is wrong: see the PROBLEM lines above.")
        sys.exit(1)
    click.echo("All is well.")


def main() -> None:
    try:
        cli(prog_name="curator")
    except SystemExit as done:
        if done.code == 130:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            # Interrupted: a download in flight may take its whole deadline and the thread
            # pool would wait for it at exit, so leave now; the lock is already released,
            # every transaction settled, and the extraction workers follow their parent.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(130)
        raise


if __name__ == "__main__":
    main()
