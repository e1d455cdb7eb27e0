"""`curator init`: a new workspace with commented example files."""

from __future__ import annotations

from pathlib import Path

from curator.config import CONTACTS_FILE, FEEDS_FILE

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
#   notes:         optional; anything you want to remember
#   cadence:       optional; how often you hope to be in touch, e.g. 30d
#   last_contact:  optional; the date you were last in touch, e.g. 2026-10-01
contacts:
  - name: Zoe Example
    email: zoe@example.org
    interests:
      - heat pumps
      - retrofitting old houses
    avoid:
      - football
    notes: Met at the housing co-op meeting.
    cadence: 30d
"""


def init_workspace(directory: Path) -> list[Path]:
    """Create the folder and example files that are missing; return what was created."""
    directory.mkdir(parents=True, exist_ok=True)
    created = []
    for name, text in ((FEEDS_FILE, EXAMPLE_FEEDS), (CONTACTS_FILE, EXAMPLE_CONTACTS)):
        path = directory / name
        if not path.exists():
            path.write_text(text, encoding="utf-8")
            created.append(path)
    (directory / "output").mkdir(exist_ok=True)
    return created
