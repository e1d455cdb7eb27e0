"""Render digests with Jinja2 (autoescape on) and write them atomically under output/.

Templates come from the workspace's ``templates/`` folder first, file by file, then from
the copy shipped with curator. Feed-derived strings are never marked safe: snippets are
highlighted by escaping each piece, links pass ``safe_link``, and mailto links are built
from percent-encoded parameters only.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from functools import cache
from pathlib import Path
from urllib.parse import quote

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from curator import __version__
from curator.config import Workspace
from curator.files import atomic_write
from curator.models import Reason, Suggestion
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
    for start, end in sorted(tuple(m) for m in marks):
        if start < pos or end > len(snippet):
            continue
        out.append(escape(snippet[pos:start]))
        out.append(Markup("<mark>") + escape(snippet[start:end]) + Markup("</mark>"))
        pos = end
    out.append(escape(snippet[pos:]))
    return Markup("").join(out)


def md_escape(text: str) -> str:
    """Text safe inside Markdown: no accidental links, emphasis or HTML."""
    specials = "\\`*_{}[]()<>#|!~"
    return "".join("\\" + ch if ch in specials else ch for ch in " ".join(str(text).split()))


def md_highlight(snippet: str, marks: list | tuple) -> str:
    out, pos = [], 0
    for start, end in sorted(tuple(m) for m in marks):
        if start < pos or end > len(snippet):
            continue
        out += [md_escape(snippet[pos:start]), "**" + md_escape(snippet[start:end]) + "**"]
        pos = end
    out.append(md_escape(snippet[pos:]))
    return "".join(out)


def mailto(email: str, subject: str, body: str) -> str:
    """A mailto: URL whose every part is percent-encoded (no header injection)."""
    address = quote(email.strip(), safe="@") if email and "@" in email else ""
    return (
        f"mailto:{address}?subject={quote(' '.join(subject.split()), safe='')}"
        f"&body={quote(body, safe='')}"
    )


@cache
def _environment(workspace_templates: str | None) -> Environment:
    loaders = []
    if workspace_templates and Path(workspace_templates).is_dir():
        loaders.append(FileSystemLoader(workspace_templates))
    loaders.append(FileSystemLoader(str(packaged_templates())))
    env = Environment(
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
        date=_date,
    )
    env.globals.update(version=__version__, mailto=mailto)
    for name, key in (("style.css", "style"), ("copy.js", "script")):
        source = env.loader.get_source(env, name)[0]  # type: ignore[union-attr]
        env.globals[key] = Markup(source)  # our own file, never feed data
        digest = base64.b64encode(hashlib.sha256(source.encode()).digest()).decode()
        env.globals[f"{key}_hash"] = f"sha256-{digest}"
    return env


def environment(workspace: Workspace | None = None) -> Environment:
    """The Jinja environment for a workspace (its templates/ first, then curator's)."""
    return _environment(str(workspace.templates_dir) if workspace else None)


def _date(value: datetime | None, fmt: str = "%d %b %Y") -> str:
    return value.strftime(fmt) if value else ""


def drafter(workspace: Workspace | None) -> Callable[[Suggestion], str]:
    """A function that writes the editable share note for a suggestion."""
    template = environment(workspace).get_template("share.txt.j2")

    def draft(suggestion: Suggestion) -> str:
        reason = suggestion.reasons[0] if suggestion.reasons else None
        interest = reason.interest.split(" (as ")[0] if reason else ""
        return template.render(
            contact=suggestion.contact,
            article=suggestion.article,
            interest=interest,
            suggestion=suggestion,
        ).strip()

    return draft


def share_link(suggestion: Suggestion) -> str:
    return mailto(suggestion.contact.email, suggestion.article.title, suggestion.draft)


def reason_dict(reason: Reason) -> dict:
    return reason.as_dict()


def digest_data(digest) -> dict:
    """The JSON twin of a digest: the same people, articles and reasons as the page."""
    return {
        "curator": __version__,
        "week": digest.week,
        "generated_at": digest.generated_at.isoformat(timespec="seconds"),
        "articles_considered": digest.articles_considered,
        "people": [
            {
                "name": p.contact.name,
                "overdue": p.overdue,
                "days_since_last_contact": p.days_since,
                "suggestions": [suggestion_data(s) for s in p.suggestions],
            }
            for p in digest.people
        ],
        "failures": [
            {"kind": f.kind, "feed": f.feed, "url": f.url, "error": f.error}
            for f in digest.failures
        ],
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
        "reasons": [r.as_dict() for r in s.reasons],
        "draft": s.draft,
    }


def render_digest(workspace: Workspace | None, digest, fmt: str) -> str:
    """The digest as html, md, json or text."""
    if fmt == "json":
        return json.dumps(digest_data(digest), indent=2, ensure_ascii=False) + "\n"
    name = {"html": "digest.html.j2", "md": "digest.md.j2", "text": "digest.txt.j2"}[fmt]
    return (
        environment(workspace)
        .get_template(name)
        .render(digest=digest, share_link=share_link, by_article=digest.by_article())
    )


def write_digest(workspace: Workspace, digest, formats=("html", "md", "json")) -> Path:
    """Write the week's digest in each format, then the index; return the HTML path."""
    folder = workspace.output_dir / digest.week
    for fmt in formats:
        if fmt in FORMATS:
            atomic_write(folder / FORMATS[fmt], render_digest(workspace, digest, fmt))
    if "json" not in formats:
        atomic_write(folder / FORMATS["json"], render_digest(workspace, digest, "json"))
    write_index(workspace)
    return folder / FORMATS["html"]


def write_index(workspace: Workspace) -> Path:
    """output/index.html: every digest on disk, newest first, with counts."""
    weeks = []
    for data_file in sorted(workspace.output_dir.glob("*/digest.json"), reverse=True):
        try:
            data = json.loads(data_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        people = data.get("people", [])
        weeks.append(
            {
                "week": data_file.parent.name,
                "generated_at": data.get("generated_at", ""),
                "people": sum(1 for p in people if p.get("suggestions")),
                "suggestions": sum(len(p.get("suggestions", [])) for p in people),
                "overdue": sum(1 for p in people if p.get("overdue")),
                "failures": len(data.get("failures", [])),
            }
        )
    html = environment(workspace).get_template("index.html.j2").render(weeks=weeks)
    path = workspace.output_dir / "index.html"
    atomic_write(path, html)
    return path
