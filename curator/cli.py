"""The command line: each command parses its arguments and calls one function of the core.

Exit codes: 0 success (a digest was written, even if some feeds failed); 1 an error
(nothing could be produced); 2 a usage or configuration error; 75 another run holds the
workspace lock (try again later).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any

import click

from curator import __version__, pipeline, rank, render
from curator.config import Workspace, load_contacts, open_workspace
from curator.errors import CuratorError
from curator.lock import workspace_lock
from curator.models import Contact, Suggestion
from curator.names import resolve_contact
from curator.workspace_init import init_workspace

log = logging.getLogger("curator")

EXIT_CODES = """\b
Exit codes:
  0   success (a digest was written, even if some feeds failed)
  1   error: nothing could be produced
  2   usage or configuration error (the message names the file and field)
  75  another curator run is using this workspace; try again later"""


class Context:
    """What the group callback settles for every command."""

    def __init__(self, workspace: str | None, verbose: int, quiet: bool):
        self.workspace_path = workspace
        self.verbose = verbose
        self.quiet = quiet

    def workspace(self, **overrides: Any) -> Workspace:
        return open_workspace(self.workspace_path, **overrides)


def _handle_errors(fn: Callable) -> Callable:
    """Turn CuratorError into a one-line message and its exit code; no tracebacks."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except CuratorError as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(exc.exit_code)

    return wrapper


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
            store.finish_run(run_id, None, {"articles_new": report.articles_new})
    _summarise(ctx, report)
    if not ctx.quiet:
        click.echo(f"{report.articles_new} new articles from {report.feeds_ok} feeds")


@cli.command()
@click.option("--since", help="Window of articles to consider, e.g. 7d, 14d (default 7d).")
@click.option(
    "--per-contact",
    type=click.IntRange(1, 50),
    help="At most this many suggestions per person (default 3).",
)
@click.option("--no-fetch", is_flag=True, help="Use stored articles only; do not fetch.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "text"]),
    default="html",
    show_default=True,
    help="text also prints the digest to stdout.",
)
@click.pass_obj
@_handle_errors
def run(ctx: Context, since: str | None, per_contact: int | None, no_fetch: bool, fmt: str) -> None:
    """Fetch, match and write this week's digest to output/ (the weekly cron job).

    Prints the path of the digest. Feeds that fail are named on stderr and in the
    digest's health section; the run still succeeds if a digest was written.

    \b
    Example:
      curator run
      curator -q -w ~/curator run      # from cron: silent unless something failed
    """
    workspace = ctx.workspace(since=since, per_contact=per_contact)
    with workspace_lock(workspace.lock_path):
        report, digest = pipeline.run(workspace, progress=_progress(ctx), fetch_feeds=not no_fetch)
    _summarise(ctx, report)
    if fmt == "text":
        click.echo(render.render_digest(workspace, digest, "text"), nl=False)
    elif not ctx.quiet:
        click.echo(report.digest_path)


def _summarise(ctx: Context, report: Any) -> None:
    """Name each failing feed once on stderr (even under --quiet: cron should mail it)."""
    feeds = [f for f in report.failures if f.kind == "feed"]
    pages = [f for f in report.failures if f.kind == "page"]
    if feeds:
        click.echo(f"{len(feeds)} of {report.feeds_total} feeds failed:", err=True)
        for f in feeds:
            click.echo(f"  {f.feed or f.url}: {f.error}", err=True)
    if pages and not ctx.quiet:
        click.echo(
            f"{len(pages)} article pages could not be read; their feed text was "
            f"used instead (see -v)",
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

    NAME may be a full name, a unique first name, or close to one.

    \b
    Example:
      curator suggest zoe
      curator suggest "Zoe Park" --format json --limit 5
    """
    workspace = ctx.workspace(since=since)
    contact = _contact(workspace, name)
    suggestions = pipeline.suggest(workspace, contact, limit=limit)
    if fmt == "json":
        click.echo(
            json.dumps(
                [render.suggestion_data(s) for s in suggestions], indent=2, ensure_ascii=False
            )
        )
        return
    if not suggestions:
        click.echo(f"Nothing for {contact.name} this week.")
        return
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


def _format_suggestion(n: int, s: Suggestion, markdown: bool) -> str:
    a = s.article
    if markdown:
        lines = [f"{n}. [{render.md_escape(a.title)}](<{a.url}>) (score {s.score:.1f})"]
        lines += [
            f"   - {render.md_escape(r.interest)}, in the {r.where}: "
            f"{render.md_highlight(r.snippet, r.marks)}"
            for r in s.reasons
        ]
        return "\n".join(lines)
    lines = [f"{n}. {a.title}  (score {s.score:.1f})", f"   {a.url}"]
    for r in s.reasons:
        words = ", ".join(
            b if sim == 100 else f"{b} ({sim}% like {a_})" for a_, b, sim in r.matched
        )
        if r.count:
            lines.append(f"   - {r.interest}: {words} in the {r.where}, {r.count}x")
        else:  # no word of it occurs: found by closeness in meaning
            lines.append(f"   - {r.interest}: in the {r.where}")
        lines.append(f"     “{r.snippet}”")
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
    your last contact with them (see cadence in contacts.yaml).

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
    what = f"{done.title!r}" if done.title else done.url
    if not ctx.quiet:
        click.echo(f"Recorded: {what} {verb} {done.contact.name} on {done.on:%Y-%m-%d}.")
        if not done.known:
            click.echo("(not among the stored articles; remembered by its URL)", err=True)


@cli.command("history")
@click.argument("name")
@click.pass_obj
@_handle_errors
def history_(ctx: Context, name: str) -> None:
    """List what you shared with NAME and what you dismissed, newest first.

    \b
    Example:
      curator history zoe
    """
    from curator import history

    contact, items = history.history(ctx.workspace(), name)
    click.echo(history.format_history(contact, items), nl=False)


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

    \b
    Example:
      curator forget "Zoe Park"
      curator forget zoe --yes
    """
    from curator import contacts_io

    workspace = ctx.workspace()
    contact = _contact(workspace, name)
    if not yes:
        click.confirm(
            f"Forget {contact.name} everywhere (contacts.yaml, history, past digests)?",
            abort=True,
        )
    with workspace_lock(workspace.lock_path):
        report = contacts_io.forget(workspace, contact)
    if not ctx.quiet:
        rewritten = len(report.digests_rewritten)
        click.echo(
            f"Forgot {contact.name}: removed from contacts.yaml, {report.rows_deleted} database "
            f"rows deleted, {rewritten} digest{'s' if rewritten != 1 else ''} rewritten."
        )
    if report.in_articles:
        click.echo(
            f"Note: {report.in_articles} stored articles from your feeds mention their name "
            f"in their own text (digests listing them show it too); that is the news, not "
            f"data about them.",
            err=True,
        )
    for path in report.leftovers if not report.in_articles else []:
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
    """Everyone in contacts.yaml with their interests, cadence and last contact.

    \b
    Example:
      curator contacts list
    """
    from curator import contacts_io
    from curator.store import Store

    workspace = ctx.workspace()
    people = load_contacts(workspace)
    if not people:
        click.echo("Nobody yet: add people to contacts.yaml or run: curator contacts import FILE")
        return
    last: dict[str, Any] = {}
    if workspace.db_path.exists():
        with Store(workspace.db_path) as store:
            last = {k: v for k, v in pipeline.last_contacts(store, people).items() if v}
    for line in contacts_io.contact_lines(people, last):
        click.echo(line)


@contacts.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
@_handle_errors
def contacts_import(ctx: Context, file: Path) -> None:
    """Add people from a vCard (.vcf), LinkedIn Connections.csv or Google Contacts CSV.

    vCard CATEGORIES become interests and NOTE becomes notes. People already listed
    (same email, else same name) are not added twice; only what their entry lacks is
    filled in. Your comments in contacts.yaml stay.

    \b
    Example:
      curator contacts import contacts.vcf
      curator contacts import ~/Downloads/Connections.csv
    """
    from curator import contacts_io

    report = contacts_io.import_contacts(ctx.workspace(), file)
    if not ctx.quiet:
        click.echo(
            f"{report.source}: read {report.read}, added {len(report.added)}, "
            f"updated {len(report.updated)}, unchanged {report.unchanged}; "
            f"contacts.yaml lists {report.total} people."
        )
        if report.without_interests:
            click.echo(
                f"{report.without_interests} new people have no interests yet; add a few "
                f"in their own words to contacts.yaml, or they will never get a suggestion."
            )
    warning = contacts_io.depth_warning(report.total)
    if warning:
        click.echo(warning, err=True)


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

    \b
    Example:
      curator feeds add https://example.org/feed.xml --name "Example"
    """
    from curator import opml
    from curator.models import Feed

    report = opml.add_feeds(ctx.workspace(), [Feed(url=url, name=name)])
    if report.skipped:
        raise CuratorError(f"{url!r} is not a feed address; give an http(s) URL or a file path")
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
        click.echo(f"Added {len(report.added)} feeds; {len(report.present)} were already listed.")
    for url in report.skipped:
        click.echo(f"Skipped {url!r}: not an http(s) feed address", err=True)


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

    Those topics need a new feed (or a rewording in contacts.yaml).

    \b
    Example:
      curator coverage --weeks 8
    """
    from curator import coverage as cov

    workspace = ctx.workspace()
    weeks = weeks or max(1, workspace.settings.coverage_weeks)  # the digest's section uses the same
    articles, gaps = cov.coverage(workspace, weeks)
    click.echo(cov.format_coverage(articles, gaps, weeks), nl=False)


def main() -> None:
    cli(prog_name="curator")


if __name__ == "__main__":
    main()
