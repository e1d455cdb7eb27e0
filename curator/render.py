"""Render digests with Jinja2 (autoescape on) and write them atomically under output/.

Templates come from the workspace's ``templates/`` folder first, file by file, then from
the copy shipped with curator; a workspace with templates of its own renders in Jinja's
sandbox. Feed-derived strings are never marked safe: snippets are highlighted by escaping
each piece, links pass ``safe_link``, and mailto links are built from percent-encoded
parameters only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shlex
import shutil
import stat
import tempfile
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime
from functools import cache
from pathlib import Path
from urllib.parse import quote

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from curator import __version__
from curator.config import Workspace, plain_email
from curator.errors import ConfigError, CuratorError
from curator.files import atomic_write, private_dir
from curator.models import Suggestion
from curator.urls import safe_link

FORMATS = {"html": "index.html", "md": "digest.md", "json": "digest.json"}


def packaged_templates() -> Path:
    """The templates shipped with curator: inside the wheel, or the repo's top level."""
    inside = Path(__file__).parent / "templates"
    return inside if inside.is_dir() else Path(__file__).parent.parent / "templates"


def highlight(snippet: str, marks: list | tuple) -> Markup:
    """The snippet, escaped, with the marked spans wrapped in <mark>."""
    out = []
    pos = 0
    for start, end in _marks(snippet, marks):
        out.append(escape(snippet[pos:start]))
        out.append(Markup("<mark>") + escape(snippet[start:end]) + Markup("</mark>"))
        pos = end
    out.append(escape(snippet[pos:]))
    return Markup("").join(out)


_MD_SPECIALS = re.compile(r"([\\`*_{}\[\]()<>#|!~])")


def md_escape(text: str) -> str:
    """Text safe inside Markdown: one line, no accidental links, emphasis or HTML."""
    return _MD_SPECIALS.sub(r"\\\1", plain(text))


def _marks(snippet: str, marks: list | tuple) -> list[tuple[int, int]]:
    """Valid, non-overlapping marks in order, neighbours joined across plain spaces."""
    out: list[tuple[int, int]] = []
    for start, end in sorted(tuple(m) for m in marks):
        if start < (out[-1][1] if out else 0) or end > len(snippet) or start >= end:
            continue
        if out and not snippet[out[-1][1] : start].strip():
            out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def md_highlight(snippet: str, marks: list | tuple) -> str:
    """The snippet as one Markdown line with the matched spans in bold."""
    out, pos = [], 0
    snippet = _CONTROL.sub(" ", snippet)  # same length: the marks still fit
    for start, end in _marks(snippet, marks):
        out += [
            _MD_SPECIALS.sub(r"\\\1", snippet[pos:start]),
            "**" + md_escape(snippet[start:end]) + "**",
        ]
        pos = end
    out.append(_MD_SPECIALS.sub(r"\\\1", snippet[pos:]))
    return " ".join("".join(out).split())


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def plain(text: object) -> str:
    """Feed text for a terminal or an email body: one line, no control characters.

    A title carrying CR/LF or an ANSI escape must not forge lines or recolour a terminal.
    """
    return " ".join(_CONTROL.sub(" ", str(text)).split())


def plural(count: int, noun: str) -> str:
    """'1 feed', '2 feeds', '0 feeds' (for nouns that take an s)."""
    return f"{count} {noun if count == 1 else noun + 's'}"


def week_monday(week: str) -> date | None:
    """The Monday of an ISO week such as 2026-W48, or None for any other folder name."""
    match = re.fullmatch(r"(\d{4})-W(\d{2})", week)
    if not match:
        return None
    try:
        return date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        return None


def week_label(week: str) -> str:
    """'Week 48, 2026' for '2026-W48'; other names unchanged."""
    monday = week_monday(week)
    return f"Week {int(week[6:])}, {week[:4]}" if monday else week


def week_span(week: str) -> str:
    """The dates an ISO week covers: '23–29 Nov 2026' or '30 Nov – 6 Dec 2026'."""
    monday = week_monday(week)
    if not monday:
        return ""
    sunday = date.fromordinal(monday.toordinal() + 6)
    if monday.month == sunday.month:
        return f"{monday.day}–{sunday.day} {sunday:%b %Y}"
    if monday.year == sunday.year:
        return f"{monday.day} {monday:%b} – {sunday.day} {sunday:%b %Y}"
    return f"{monday.day} {monday:%b %Y} – {sunday.day} {sunday:%b %Y}"


def mailto(email: str, subject: str, body: str) -> str:
    """A mailto: URL whose every part is percent-encoded (no header injection).

    Anything but one plain address (two joined by a comma, say) is left out, so the
    link never names a recipient the user did not write.
    """
    address = quote(email.strip(), safe="@") if email and plain_email(email.strip()) else ""
    return (
        f"mailto:{address}?subject={quote(' '.join(subject.split()), safe='')}"
        f"&body={quote(body, safe='')}"
    )


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's sandbox, whose refusals read as a curator error rather than a traceback."""

    def unsafe_undefined(self, obj: object, attribute: str) -> object:
        raise ConfigError(
            f"a template in templates/ reaches for {attribute!r} of {type(obj).__name__}, "
            f"which templates may not use; remove it from the template"
        )


@cache
def _environment(workspace_templates: str | None) -> Environment:
    loaders = []
    if workspace_templates and Path(workspace_templates).is_dir():
        loaders.append(FileSystemLoader(workspace_templates))
    loaders.append(FileSystemLoader(str(packaged_templates())))
    # A workspace's templates may come from someone else: sandboxed, they can format what
    # they are given but not reach Python (no attributes behind _, no mutating calls).
    # Curator's own templates alone run unsandboxed, at less than half the cost.
    kind = _Sandbox if len(loaders) > 1 else Environment
    env = kind(
        loader=ChoiceLoader(loaders),
        autoescape=select_autoescape(
            enabled_extensions=("html", "html.j2", "xml"), default_for_string=True, default=False
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        safe_link=safe_link,
        highlight=highlight,
        md=md_escape,
        md_highlight=md_highlight,
        md_code=md_code,
        date=_date,
        plain=plain,
        week_label=week_label,
        week_span=week_span,
    )
    from curator.pipeline import limit_words, load_words

    env.globals.update(
        version=__version__,
        mailto=mailto,
        load_words=load_words,
        limit_words=limit_words,
        summary_only=SUMMARY_ONLY,
    )
    for name, key in (("style.css", "style"), ("copy.js", "script")):
        source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
        env.globals[key] = Markup(source)  # our own file, never feed data
        digest = base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()
        env.globals[f"{key}_hash"] = f"sha256-{digest}"
    return env


def environment(workspace: Workspace | None = None) -> Environment:
    """The Jinja environment for a workspace (its templates/ first, then curator's)."""
    return _environment(str(workspace.templates_dir) if workspace else None)


# What a suggestion built from the feed's own text says of itself, in every format.
SUMMARY_ONLY = "from the feed's summary; the page could not be read"


def _date(value: datetime | None, fmt: str = "%d %b %Y") -> str:
    return value.strftime(fmt) if value else ""


def drafter(workspace: Workspace | None) -> Callable[[Suggestion], str]:
    """A function that writes the editable share note for a suggestion."""
    template = environment(workspace).get_template("share.txt.j2")

    def draft(suggestion: Suggestion) -> str:
        reason = suggestion.reasons[0] if suggestion.reasons else None
        interest = reason.interest.split(" (as ")[0] if reason else ""
        # A draft is meant to be sent: the template never sees the private notes, only
        # what the person said (contacts.yaml `said:`), which may be quoted back to them.
        contact = replace(suggestion.contact, notes="")
        said = relevant_note("\n".join(contact.said), suggestion.article.title, interest)
        return template.render(
            contact=contact,
            article=suggestion.article,
            interest=interest,
            said=said,
            note=said,  # the name older workspace templates use
            suggestion=replace(suggestion, contact=contact),
            from_summary=suggestion.article.summary_only,  # the page could not be read
        ).strip()

    return draft


def relevant_note(notes: str, title: str, interest: str) -> str:
    """The short sentence of ``notes`` (what a contact said) that shares a word with the
    article, or "".

    A quote reads naturally in a draft only when it is about the same thing ("renovating a
    flat" under a piece on flats); "met at the co-op" would not, so it is left out.
    """
    import re

    from curator.text import STOPWORDS, content_words

    def meaning(text: str) -> set[str]:
        return {w for w, _ in content_words(text) if w not in STOPWORDS and len(w) > 2}

    about = meaning(f"{title} {interest}")
    for sentence in re.split(r"(?<=[.!?;])\s+|\n+", notes or ""):
        sentence = " ".join(sentence.split()).rstrip(".!;")
        if 0 < len(sentence) <= 80 and about & meaning(sentence):
            first = sentence.split()[0]
            pronoun = first == "I" or first.startswith(("I'", "I’"))
            lower = not pronoun and first[1:] == first[1:].lower()
            return sentence[0].lower() + sentence[1:] if lower else sentence
    return ""


_SHELL_UNSAFE = re.compile(r"[\s\x00-\x1f\x7f-\x9f<>\"`\\^{|}]")


def record_commands(suggestion: Suggestion) -> dict[str, str]:
    """The `curator shared` and `curator dismiss` commands that close the loop on a
    suggestion, quoted for a POSIX shell; none when the link is not a web address, which
    those commands refuse."""
    url = safe_link(suggestion.article.url)
    if not url:
        return {}
    # Characters a shell, a terminal or Markdown could take for something else are
    # percent-encoded: the command still names the same article (see canonical_url).
    url = _SHELL_UNSAFE.sub(lambda m: quote(m[0], safe=""), url)
    name = shlex.quote(plain(suggestion.contact.name))
    return {
        action: f"curator {action} {name} {shlex.quote(url)}" for action in ("shared", "dismiss")
    }


def md_code(text: str) -> str:
    """``text`` as a Markdown code span, fenced by more backticks than it contains."""
    text = plain(text)
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def share_link(suggestion: Suggestion) -> str:
    """mailto: with the contact's address, the title as subject and the draft as body."""
    return mailto(suggestion.contact.email, suggestion.article.title, suggestion.draft)


def digest_data(digest) -> dict:
    """The JSON twin of a digest: the same people, articles and reasons as the page."""
    return {
        "curator": __version__,
        "week": digest.week,
        "generated_at": digest.generated_at.isoformat(timespec="seconds"),
        "articles_considered": digest.articles_considered,
        "feeds": digest.feeds,
        "feeds_fetched": digest.fetched,
        "people": [
            {
                "name": p.contact.name,
                "overdue": p.overdue,
                "days_since_last_contact": p.days_since,
                "cadence_days": p.contact.cadence_days,
                "sent_last_30_days": p.sent_recently,
                "max_per_month": p.contact.max_per_month,
                "suggestions": [suggestion_data(s) for s in p.suggestions],
            }
            for p in digest.people
        ],
        "snoozed": [
            {"name": contact.name, "until": f"{until:%Y-%m-%d}" if until else None}
            for contact, until in digest.snoozed
        ],
        "articles": [
            {
                "url": article.url,
                "title": article.title,
                "feed": article.feed,
                "people": [
                    {"name": s.contact.name, "interests": list(s.interests)} for s in suggestions
                ],
            }
            for article, suggestions in digest.by_article()
        ],
        "failures": [
            {"kind": f.kind, "feed": f.feed, "url": f.url, "error": f.error}
            for f in digest.failures
        ],
        "coverage": {
            "weeks": digest.coverage_weeks,
            "uncovered": [
                {"name": g.contact.name, "interests": list(g.missing)}
                # the interests that look worded unlike the articles, and what they say
                | ({"reword": [r.as_dict() for r in g.reword]} if g.reword else {})
                for g in digest.coverage_gaps
            ],
        },
    }


def suggestion_data(s: Suggestion) -> dict:
    a = s.article
    return {
        "url": a.url,
        "title": a.title,
        "feed": a.feed,
        "score": round(s.score, 3),
        "published": a.published.isoformat(timespec="seconds") if a.published else None,
        "reading_minutes": a.reading_minutes,
        "source": a.source,  # "feed": the feed's own text, not the page's
        "summary_only": a.summary_only,  # ... because the page could not be read
        "reasons": [r.as_dict() for r in s.reasons],
        "draft": s.draft,
        "share_link": share_link(s),
    }


def anchors(digest) -> dict[str, str]:
    """A fragment id per person (from their position, never from their name)."""
    return {p.contact.key: f"person-{n}" for n, p in enumerate(digest.people, 1)}


def render_digest(workspace: Workspace | None, digest, fmt: str) -> str:
    """The digest as html, md, json or text."""
    if fmt == "json":
        return json.dumps(digest_data(digest), indent=2, ensure_ascii=False) + "\n"
    name = {"html": "digest.html.j2", "md": "digest.md.j2", "text": "digest.txt.j2"}[fmt]
    return (
        environment(workspace)
        .get_template(name)
        .render(
            digest=digest,
            share_link=share_link,
            record_commands=record_commands,
            by_article=digest.by_article(),
            anchors=anchors(digest),
        )
    )


def write_digest(workspace: Workspace, digest, formats=("html", "md", "json")) -> Path:
    """Write the week's digest in each format, then the index; return the HTML path.

    All or nothing: the files go into a new folder beside output/<week>/, which then takes
    its place, and the index is rewritten; if any step fails, the previous digest and
    index stay as they were and the new folder is removed.
    """
    pages = {FORMATS[f]: render_digest(workspace, digest, f) for f in formats if f in FORMATS}
    if FORMATS["json"] not in pages:
        pages[FORMATS["json"]] = render_digest(workspace, digest, "json")
    folder = week_folder(workspace, digest.week, create=False)
    for stale in folder.parent.glob(f".{digest.week}.*"):  # left by a killed run
        if stale.is_dir() and not stale.is_symlink():
            shutil.rmtree(stale, ignore_errors=True)
    staged = Path(tempfile.mkdtemp(prefix=f".{digest.week}.", dir=folder.parent))
    retired = staged.with_name(staged.name + ".old")
    swapped = False
    try:
        if folder.is_dir():
            # a format this run does not write stays; a rewritten file keeps its mode
            os.chmod(staged, stat.S_IMODE(folder.stat().st_mode))
            for old in folder.iterdir():
                if old.is_file() and not old.is_symlink():
                    shutil.copy2(old, staged / old.name)
        for name, text in pages.items():
            atomic_write(staged / name, text)
        if folder.is_dir():
            os.rename(folder, retired)
        os.rename(staged, folder)
        swapped = True
        write_index(workspace)
    except BaseException as exc:
        if swapped:
            os.rename(folder, staged)
        if os.path.lexists(retired):
            os.rename(retired, folder)
        if isinstance(exc, OSError) and exc.strerror:
            raise CuratorError(
                f"could not write the digest {folder}: {exc.strerror}; the previous digest "
                f"and index are unchanged"
            ) from exc
        raise
    finally:
        shutil.rmtree(staged, ignore_errors=True)
        shutil.rmtree(retired, ignore_errors=True)
    return folder / FORMATS["html"]


def week_folder(workspace: Workspace, week: str, create: bool = True) -> Path:
    """output/<week>/, made private; a name that would leave output/ is refused."""
    if week in ("", ".", "..") or any(c in week for c in "/\\\0") or week.startswith("."):
        raise CuratorError(f"{week!r} is not a digest week name")
    private_dir(workspace.output_dir, tighten=False)
    if not create:
        folder = workspace.output_dir / week
        if folder.is_symlink() or folder.exists():  # the same refusals as for a new folder
            private_dir(folder, tighten=False)
        return folder
    return private_dir(workspace.output_dir / week, tighten=False)


def write_index(workspace: Workspace) -> Path:
    """output/index.html: every digest on disk, newest first, with counts."""
    weeks = []
    for data_file in sorted(workspace.output_dir.glob("*/digest.json"), reverse=True):
        if not (data_file.parent / FORMATS["html"]).is_file() or data_file.parent.is_symlink():
            continue  # nothing to link to, or a folder curator did not make
        if data_file.parent.name.startswith("."):
            continue  # a week's folder being written or replaced
        try:
            data = json.loads(data_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        # a hand-edited or truncated digest.json must not break the index of the others
        people = data.get("people") if isinstance(data, dict) else None
        if not isinstance(people, list) or not all(isinstance(p, dict) for p in people):
            continue
        failures = data.get("failures")
        weeks.append(
            {
                "week": data_file.parent.name,
                "generated_at": data.get("generated_at", ""),
                "people": sum(1 for p in people if p.get("suggestions")),
                "suggestions": sum(len(p.get("suggestions") or []) for p in people),
                "overdue": sum(1 for p in people if p.get("overdue")),
                "failures": len(failures) if isinstance(failures, list) else 0,
            }
        )
    html = environment(workspace).get_template("index.html.j2").render(weeks=weeks)
    path = private_dir(workspace.output_dir, tighten=False) / "index.html"
    atomic_write(path, html)
    return path
