"""`curator init`: a new workspace with commented example files."""

from __future__ import annotations

from dataclasses import MISSING, fields
from pathlib import Path

from curator.config import CONTACTS_FILE, FEEDS_FILE, OUTPUT_DIR, SETTINGS_FILE, Settings
from curator.errors import CuratorError

EXAMPLE_FEEDS = """\
# The feeds you read. curator fetches each once per run, politely (conditional GET).
#
#   url:       http(s) address of an RSS or Atom feed, a file:// URL, or a path
#              relative to this folder
#   name:      optional label shown in the digest
#   tags:      optional list of words, for your own sorting
#   full_text: optional; true when the feed carries whole articles, so curator
#              does not fetch each page
feeds:
  - url: https://www.theguardian.com/environment/rss
    name: Guardian Environment
    tags: [climate]
  # - url: https://example.org/feed.xml
  #   name: Another feed
"""

EXAMPLE_CONTACTS = """\
# The people you care about and what each of them cares about.
# Everything here stays on this machine.
#
#   name:          required; how you refer to them on the command line
#   email:         optional; used only to prefill the "write to" link
#   interests:     required; phrases in their own words. An interest can also be
#                  {topic: climate tech, also: [cleantech], weight: 2}
#   avoid:         optional; topics they asked not to hear about
#   notes:         optional; private, for you: shown beside them in the digest,
#                  never put in a draft
#   said:          optional; things they told you, which a draft may quote to them,
#                  e.g. [I'm renovating a 1930s house]
#   cadence:       optional; how often you hope to be in touch, e.g. 30d, counted
#                  from your last contact of any kind (a share, `curator touched`),
#                  else from the day curator first saw them; overrides the group's
#   last_contact:  optional; the date you were last in touch, e.g. 2026-10-01
#   group:         optional; a group below, or a list of them; an address book's
#                  group (Friends, Work) that is not defined below is just a label.
#                  `curator contacts import` fills it in
#   max_per_month: optional; no more suggestions once this many were shared with
#                  them in 30 days (also per group, or in curator.yaml)
#
# Groups give their members a cadence (and a max_per_month) unless they set their own.
groups:
  family: {cadence: 14d}
  close friends: {cadence: 30d}
  colleagues: {cadence: 90d, max_per_month: 2}

contacts:
  - name: Zoe Example
    email: zoe@example.org
    interests:
      - heat pumps
      - retrofitting old houses
    avoid:
      - football
    notes: Met at the housing co-op meeting.
    group: close friends
"""


# One line of explanation per setting; a setting added to Settings without an entry here
# is still listed, just without the explanation.
SETTING_HELP = {
    "since": "how far back a digest looks for articles (7d, 2w, 36h)",
    "per_contact": "at most this many suggestions per person per digest",
    "min_score": "nothing scoring below this is suggested (raise it for fewer, surer picks)",
    "overdue_bar": "the minimum is scaled by this for someone overdue (an excuse to write)",
    "recent_bar": "...and by this for someone you were in touch with in the last recent_days",
    "recent_days": "days after a contact during which the minimum is raised by recent_bar",
    "default_cadence": "how often you hope to be in touch with people who set no cadence",
    "max_per_month": "no suggestions for someone sent this many in 30 days (0: no cap)",
    "coverage_weeks": "the digest lists interests no article matched in this many weeks",
    "max_entries_per_feed": "newest entries taken from one feed",
    "connect_timeout": "seconds to wait for a server to answer",
    "read_timeout": "seconds to wait between bytes",
    "deadline": "seconds one download may take in all",
    "max_feed_bytes": "largest feed accepted",
    "max_page_bytes": "largest article page accepted",
    "max_redirects": "redirects followed per request",
    "concurrency": "downloads at the same time",
    "per_host": "downloads at the same time from one site",
    "host_strikes": "downloads from one site that may time out before the rest is skipped",
    "extract_workers": "processes extracting article text (0: one per CPU core)",
    "extract_timeout": "seconds allowed to extract one page",
    "feed_budget": "CPU seconds one feed's parsing and page extraction may use in a run",
    "backoff_after": "failures in a row before a feed is tried less often",
    "backups": "copies of the database kept in .curator/backups, one per run (0: none)",
    "user_agent": "User-Agent header (empty: curator's own, naming curator)",
    "allow_private_hosts": "hosts on your network feeds may use, e.g. [nas.local, 192.168.1.20]",
    "meaning": "match by closeness in meaning too, not only by words (false: words only)",
    "meaning_model": "folder with model.onnx and tokenizer.json (empty: the bundled model)",
}


def example_settings() -> str:
    """curator.yaml with every setting commented out at its default value."""
    lines = [
        "# Settings for this workspace. Every line is commented out, so the defaults apply;",
        "# remove the # to change one. A CURATOR_<NAME> environment variable or a command-line",
        "# flag (e.g. `curator run --since 14d`) overrides this file.",
    ]
    for f in fields(Settings):
        if f.default is MISSING:  # a default_factory: no single value to show
            continue
        default = f.default if f.default != "" else '""'
        if f.default == ():
            default = "[]"
        line = f"# {f.name}: {default}"
        explain = SETTING_HELP.get(f.name)
        lines.append(f"{line:<34} # {explain}" if explain else line)
    return "\n".join(lines) + "\n"


def init_workspace(directory: Path) -> list[Path]:
    """Create the folder and the example files that are missing; return what was created.

    Existing files are never touched, so running it again is safe.
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
        created = []
        examples = (
            (FEEDS_FILE, EXAMPLE_FEEDS),
            (CONTACTS_FILE, EXAMPLE_CONTACTS),
            (SETTINGS_FILE, example_settings()),
        )
        for name, text in examples:
            path = directory / name
            try:
                # "x": create only; an existing file, even one made a moment ago, stays.
                with path.open("x", encoding="utf-8") as out:
                    out.write(text)
            except FileExistsError:
                continue
            created.append(path)
        (directory / OUTPUT_DIR).mkdir(mode=0o700, exist_ok=True)  # it will hold names
    except FileExistsError:
        raise CuratorError(f"{directory} exists and is not a folder") from None
    except OSError as exc:
        raise CuratorError(f"cannot create the workspace in {directory}: {exc.strerror}") from None
    return created
