"""Imported once by the extraction forkserver, before it forks workers.

The workers lemmatise every page's words (curator/tokens.py); loading the lemmatiser's
dictionary here, once, lets every worker start with it in memory shared with the others
instead of each loading its own copy (a third of a second and ~20 MB apiece).
"""

import trafilatura  # noqa: F401  (shared by the workers the same way)

from curator.extract import extract_page  # noqa: F401
from curator.text import lemma

lemma("warm")
