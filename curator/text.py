"""Normalisation and tokens: the common ground where interests meet articles.

Words are case- and accent-folded, split on anything that is not a letter or digit
(so "start-ups" is "start" + "ups", and hyphen/space variants are found by joining
neighbours in match), and reduced to a lemma with simplemma, a dictionary lemmatiser:
it folds "marathons" and "running" without the over-stemming of a suffix stripper
(Porter turns "organization" into "organ" and "university" into "univers").
Its dictionary also tells a real word from a misspelling (``known``), which keeps fuzzy
matching from turning one real word into another ("learning" is never "leaning").
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from array import array
from dataclasses import dataclass
from functools import lru_cache

import simplemma

WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)?", re.UNICODE)
_WORDS_AND_GAPS = re.compile(f"({WORD.pattern})", re.UNICODE)


def word_spans(text: str) -> array:
    """Where each WORD of ``text`` starts and ends, flat: word k is
    ``text[spans[2k]:spans[2k + 1]]``. The same words as ``WORD.finditer``, found
    without a Python object per word (a split keeps gaps and words, alternating)."""
    ends = array("i", itertools.accumulate(map(len, _WORDS_AND_GAPS.split(text))))
    return ends[:-1]  # the last gap's end is the text's end, not a word's


STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "yourselves",
        "s",
        "t",
        "don",
        "doesn",
        "didn",
        "isn",
        "wasn",
        "aren",
        "weren",
        "won",
        "wouldn",
        "shouldn",
        "couldn",
        "via",
        "per",
        "vs",
        "new",
    ]
)


def fold(word: str) -> str:
    """Lower-case, accent-free form of a word: 'Café' -> 'cafe', 'Straße' -> 'strasse'."""
    if word.isascii():  # most words: nothing to fold but the case
        return word.lower()
    word = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in word if not unicodedata.combining(ch)).replace("’", "'")


@lru_cache(maxsize=500_000)
def lemma(folded: str) -> str:
    """The dictionary form of a folded word ('marathons' -> 'marathon'); itself if unknown."""
    if folded.endswith("'s"):
        folded = folded[:-2]
    folded = folded.replace("'", "")
    if len(folded) < 3 or folded.isdigit():
        return folded
    try:
        result = simplemma.lemmatize(folded, lang="en")
    except Exception:
        return folded
    result = fold(result)
    # simplemma maps some words to a different part of speech's lemma with other letters
    # ("better" -> "good"); keep only folds that share a stem with the word.
    return result if result[:3] == folded[:3] else folded


def word_lemma(written: str) -> str:
    """The lemma of a word as written: 'EVs' -> 'ev' (an acronym's plural), 'Runs' -> 'run'."""
    folded = fold(written)
    if len(written) >= 3 and written[-1] == "s" and written[:-1].isupper():
        folded = folded[:-1]
    return lemma(folded)


@lru_cache(maxsize=200_000)
def known(folded: str) -> bool:
    """Is this a word of simplemma's English dictionary (a real word, not a typo)?"""
    try:
        return bool(simplemma.is_known(folded, lang="en"))
    except Exception:
        return False


# Derivational endings that keep a topic's meaning: "robot" / "robotics", "Russia" /
# "Russian", "bake" / "bakery", "Japan" / "Japanese", "nutrition" / "nutritional". Each rule
# is (end of the root replaced, ending added, shortest root, what the root must end with).
# Whole endings only, on roots long enough that the pair is rarely two different words:
# "apple" never becomes "applet", "ruby" never "rugby"; "-y" and "-al" need six and seven
# letters because part/party, sign/signal and form/formal mean different things.
DERIVATION_RULES: tuple[tuple[str, str, int, str], ...] = (
    *(("", end, 4, "") for end in ("s", "es", "ic", "ics", "ist", "ists", "ism")),
    # "-er" from five letters: form/former, care/career, flow/flower are different words
    *(("", end, 5, "") for end in ("er", "ers")),
    *(("", end, 4, "e") for end in ("r", "rs", "ry")),  # bake -> baker, bakery
    *(("", end, 4, "a") for end in ("n", "ns")),  # Russia -> Russian
    ("", "y", 6, ""),  # German -> Germany, photograph -> photography
    ("", "al", 7, ""),  # nutrition -> nutritional
    ("e", "al", 7, ""),  # culture -> cultural
    ("", "ese", 5, ""),  # Japan -> Japanese
    ("a", "ese", 5, ""),  # China -> Chinese
    ("y", "ian", 5, ""),  # Italy -> Italian
    ("a", "ian", 5, ""),  # Canada -> Canadian
)


def derived_forms(word: str) -> set[str]:
    """Words formed from this one by a derivational ending, or it from them."""
    out: set[str] = set()
    if not word.isalpha():
        return out
    for strip, add, shortest, root_end in DERIVATION_RULES:
        # word as the root
        if len(word) >= shortest and word.endswith(root_end) and word.endswith(strip):
            out.add(word[: len(word) - len(strip)] + add)
        # word as the derived form
        if word.endswith(add):
            root = word[: len(word) - len(add)] + strip
            if len(root) >= shortest and root.endswith(root_end):
                out.add(root)
    out.discard(word)
    return out


# British and American spellings of one word: both are dictionary words, so fuzzy
# matching (which never pairs two real words) would keep them apart.
_SPELLINGS = [
    (re.compile(r"(?<=\w{3})is(e|ed|es|ing|ation|ations|er|ers)$"), r"iz\1"),  # organise
    (re.compile(r"(?<=\w{3})ys(e|ed|es|ing)$"), r"yz\1"),  # analyse
    (re.compile(r"(?<=\w{2})our(s|ed|ing|ful|ite|ites|able)?$"), r"or\1"),  # colour
    (re.compile(r"(?<=\w{2})tre(s)?$"), r"ter\1"),  # centre, metre
    (re.compile(r"(?<=\w{2})([cf])ence(s)?$"), r"\1ense\2"),  # defence, licence
    (re.compile(r"(?<=\w{3})ll(ed|ing|er|ers)$"), r"l\1"),  # travelled, modelling
    (re.compile(r"(?<=\w{3})ogue(s)?$"), r"og\1"),  # catalogue
    (re.compile(r"(?<=\w{3})amme(s)?$"), r"am\1"),  # programme
]


# Any of the patterns: most words match none, and one search is cheaper than eight subs.
# When none matches the word, no substitution changes it, so none can enable a later one.
_ANY_SPELLING = re.compile("|".join(f"(?:{p.pattern})" for p, _ in _SPELLINGS))


def american(word: str) -> str:
    """The American spelling of a folded word ('organisation' -> 'organization')."""
    if not _ANY_SPELLING.search(word):
        return word
    for pattern, repl in _SPELLINGS:
        word = pattern.sub(repl, word)
    return word


@dataclass(frozen=True)
class Token:
    """A word of a text: its lemma, the surface form, and its character span."""

    lemma: str
    surface: str
    start: int
    end: int


def tokens(text: str) -> list[Token]:
    """Every word of a text with its lemma and character offsets."""
    return [
        Token(word_lemma(m.group()), m.group(), m.start(), m.end()) for m in WORD.finditer(text)
    ]


def lemmas(text: str) -> list[str]:
    """The lemmas of a text, in order: the form indexes are built from."""
    return [word_lemma(m.group()) for m in WORD.finditer(text)]


def is_acronym(word: str) -> bool:
    """'AI', 'NASA', 'COVID-19': written in capitals by the user, so matched exactly."""
    letters = [ch for ch in word if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters)


def content_words(phrase: str) -> list[tuple[str, str]]:
    """(lemma, written form) of the words of an interest that carry meaning."""
    words = [(word_lemma(m.group()), m.group()) for m in WORD.finditer(phrase)]
    # "IT security", "US politics": an acronym carries meaning even when "it" does not.
    kept = [w for w in words if w[0] not in STOPWORDS or is_acronym(w[1])]
    return kept or words
