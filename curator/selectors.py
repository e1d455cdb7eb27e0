"""trafilatura's boilerplate selectors, evaluated in Python instead of by libxml2.

trafilatura picks what to cut and what to keep with XPath expressions such as
``.//*[self::div or self::section][re:test(@id, '^shar|social') or contains(@class, 'x')]``.
libxml2 runs each ``re:test`` through a callback into lxml, which builds a string object
for every attribute it tests: on the bench pages these selectors took about a third of
extraction. Most of them use only a small part of XPath, so this module parses that part
and runs it directly: it walks the elements with lxml's own tag filter and tests each
attribute's value with the same Python ``re`` that lxml's EXSLT functions call.

An expression outside that part is left to libxml2, unchanged; ``install`` says which it
replaced. tests/test_selectors.py checks that every replacement selects the same elements,
in the same order, as the XPath it stands for, on real and generated pages.

The part understood, with XPath 1.0's meaning:

- a path ``.//*`` or ``.//name``, or ``(.//...)[1]``, with predicates, the last of which
  may be ``[1]`` (the first such child of each parent);
- in a predicate: ``or``, ``and``, ``not(...)``, parentheses, ``self::name``,
  ``not(.//name)``, ``@a`` and ``@a|@b`` (the value of the first present in the element's
  own order, as a node-set's string value is its first node's), ``@a='text'``,
  ``contains(value, 'text')``, ``starts-with(value, 'text')``, ``re:test(value, 'pattern'
  [, 'flags'])``, where ``value`` is an attribute set or ``translate(attributes, 'from',
  'to')``.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from lxml import etree

# Where trafilatura keeps the selectors its text extraction uses: lists of them, and one
# on its own. Metadata's are left alone: few pages need them.
PLACES = (
    ("trafilatura.xpaths", "BODY_XPATH"),
    ("trafilatura.xpaths", "COMMENTS_XPATH"),
    ("trafilatura.xpaths", "COMMENTS_DISCARD_XPATH"),
    ("trafilatura.xpaths", "DISCARD_IMAGE_ELEMENTS"),
    ("trafilatura.xpaths", "OVERALL_DISCARD_XPATH"),
    ("trafilatura.xpaths", "PRECISION_DISCARD_XPATH"),
    ("trafilatura.xpaths", "RAW_TREE_PRUNE_XPATH"),
    ("trafilatura.xpaths", "REMOVE_COMMENTS_AND_LISTS_XPATH"),
    ("trafilatura.xpaths", "REMOVE_COMMENTS_XPATH"),
    ("trafilatura.xpaths", "TEASER_DISCARD_XPATH"),
    ("trafilatura.baseline", "BASIC_CLEAN_XPATH"),
)


class Unsupported(ValueError):
    """The expression uses XPath this module does not evaluate."""


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>'[^']*'|"[^"]*")
      | (?P<path>\.//)
      | (?P<self>self::(?P<selfname>[A-Za-z_][\w-]*))
      | (?P<name>re:test|[A-Za-z_][\w-]*)
      | (?P<number>\d+)
      | (?P<op>[()\[\]|,=@*])
    )""",
    re.VERBOSE,
)


def _tokens(source: str) -> list[tuple[str, str]]:
    out, pos, end = [], 0, len(source.rstrip())
    while pos < end:
        m = _TOKEN.match(source, pos)
        if not m:
            raise Unsupported(f"cannot read {source[pos : pos + 20]!r}")
        kind = next(k for k in ("string", "path", "self", "name", "number", "op") if m.group(k))
        text = m.group("selfname") if kind == "self" else m.group(kind)
        out.append((kind, text[1:-1] if kind == "string" else text))
        pos = m.end()
    return out


class Selector:
    """A compiled expression: call it on an element as one calls an lxml XPath."""

    def __init__(self, path: str, code: str, constants: dict[str, object]):
        self.path = path  # the XPath source it stands for
        self.original: object = None  # the XPath it replaced, once installed
        self.code = code  # the Python it became, for the curious and for tests
        namespace = dict(constants, Element=etree.Element)
        exec(compile(code, f"<selector {path[:40]!r}>", "exec"), namespace)
        self._select = namespace["select"]

    def __call__(self, tree: Any) -> list[Any]:
        return self._select(tree)

    def __repr__(self) -> str:
        return f"Selector({' '.join(self.path.split())!r})"


def _first_value(el: Any, names: tuple[str, ...]) -> str:
    """An attribute set's string value: the first present, in the element's own order."""
    found = None
    for name in names:
        value = el.get(name)
        if value is not None:
            if found is not None:  # two present: which comes first is the element's say
                return next(v for k, v in el.items() if k in names)
            found = value
    return found or ""


def _translation(source: str, target: str) -> dict[int, int | None]:
    table: dict[int, int | None] = {}
    for n, ch in enumerate(source):  # XPath: a repeated character keeps its first mapping
        table.setdefault(ord(ch), ord(target[n]) if n < len(target) else None)
    return table


class _Parser:
    """Reads the supported XPath and writes the Python that evaluates it, as text: one
    loop with every test inline runs two to three times faster than nested closures."""

    def __init__(self, source: str):
        self.source = source
        self.toks = _tokens(source)
        self.i = 0
        self.constants: dict[str, object] = {"_first_value": _first_value}

    def constant(self, value: object) -> str:
        name = f"K{len(self.constants)}"
        self.constants[name] = value
        return name

    # -- token helpers
    def peek(self, offset: int = 0) -> tuple[str, str]:
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else ("end", "")

    def take(self, kind: str, text: str | None = None) -> str:
        k, t = self.peek()
        if k != kind or (text is not None and t != text):
            raise Unsupported(f"expected {text or kind}, found {t or 'the end'}")
        self.i += 1
        return t

    def at(self, kind: str, text: str | None = None) -> bool:
        k, t = self.peek()
        return k == kind and (text is None or t == text)

    # -- grammar
    def selector(self) -> Selector:
        branches = [self.branch()]
        while self.at("op", "|"):
            self.take("op", "|")
            branches.append(self.branch())
        self.take("end")
        if len(branches) > 1:
            return self.union(branches)
        tags, tests, per_parent, first_only = branches[0]
        walk = f"tree.iterdescendants(*{tags!r})" if tags else "tree.iterdescendants(Element)"
        keep = " and ".join(f"({t})" for t in tests) or "True"
        lines = ["def select(tree):", "    found = []"]
        if per_parent:
            lines.append("    parents = set()  # holds the proxies, so identity holds")
        lines += [f"    for el in {walk}:", "        get = el.get", f"        if {keep}:"]
        if per_parent:  # a final [1]: the first such child of each parent
            lines += [
                "            parent = el.getparent()",
                "            if parent in parents:",
                "                continue",
                "            parents.add(parent)",
            ]
        lines.append("            found.append(el)")
        if first_only:
            lines.append("            break")
        lines.append("    return found")
        return self.done(lines)

    def union(self, branches: list[tuple[tuple[str, ...], list[str], bool, bool]]) -> Selector:
        """``a|b|...``: every element that one of them selects, once, in document order,
        found in one walk. Only for branches without [1], whose results do not depend on
        what else the walk has seen."""
        if any(per_parent or first_only for _, _, per_parent, first_only in branches):
            raise Unsupported("[1] in a union")
        conditions = []
        for tags, tests, _, _ in branches:
            names = [f"el.tag == {tags[0]!r}"] if tags else []
            conditions.append(" and ".join(names + [f"({t})" for t in tests]) or "True")
        named = [tags for tags, *_ in branches]
        walk = "Element" if not all(named) else ", ".join(repr(n) for t in named for n in t)
        keep = " or ".join(f"({c})" for c in conditions)
        lines = [
            "def select(tree):",
            "    found = []",
            f"    for el in tree.iterdescendants({walk}):",
            "        get = el.get",
            f"        if {keep}:",
            "            found.append(el)",
            "    return found",
        ]
        return self.done(lines)

    def done(self, lines: list[str]) -> Selector:
        return Selector(self.source, "\n".join(lines) + "\n", self.constants)

    def branch(self) -> tuple[tuple[str, ...], list[str], bool, bool]:
        first_only = self.at("op", "(")
        if first_only:
            self.take("op", "(")
        tags, tests, per_parent = self.step()
        if first_only:
            for text in (")", "[", "1", "]"):
                self.take("number" if text == "1" else "op", text)
        return tags, tests, per_parent, first_only

    def step(self) -> tuple[tuple[str, ...], list[str], bool]:
        self.take("path")
        tags: tuple[str, ...] = ()
        if self.at("op", "*"):
            self.take("op", "*")
        else:
            tags = (self.take("name"),)
        tests: list[str] = []
        per_parent = False
        while self.at("op", "[") and not per_parent:
            self.take("op", "[")
            if self.at("number"):
                self.take("number", "1")
                per_parent = True
            elif not tags and not tests and self.only_names():
                tags = self.names()  # the walk itself keeps only these names
            else:
                tests.append(self.either())
            self.take("op", "]")
        return tags, tests, per_parent

    def only_names(self) -> bool:
        """Whether the predicate ahead is ``self::a or self::b ...`` and nothing else."""
        n = 0
        while self.peek(n)[0] == "self":
            if self.peek(n + 1) != ("name", "or"):
                return self.peek(n + 1) == ("op", "]")
            n += 2
        return False

    def names(self) -> tuple[str, ...]:
        out = [self.take("self")]
        while self.at("name", "or"):
            self.take("name")
            out.append(self.take("self"))
        return tuple(out)

    def either(self) -> str:
        return self.joined("or", self.both)

    def both(self) -> str:
        return self.joined("and", self.unary)

    def joined(self, word: str, operand: Callable[[], str]) -> str:
        """``operand word operand ...`` as Python: parenthesised, joined by ``word``."""
        parts = [operand()]
        while self.at("name", word):
            self.take("name", word)
            parts.append(operand())
        return f" {word} ".join(f"({p})" for p in parts) if len(parts) > 1 else parts[0]

    def unary(self) -> str:
        if self.at("name", "not") and self.peek(1) == ("op", "("):
            self.take("name")
            self.take("op", "(")
            if self.at("path"):
                self.take("path")
                inner = f"next(el.iterdescendants({self.take('name')!r}), None) is not None"
            else:
                inner = self.either()
            self.take("op", ")")
            return f"not ({inner})"
        if self.at("op", "("):
            self.take("op", "(")
            inner = self.either()
            self.take("op", ")")
            return inner
        if self.at("self"):
            return f"el.tag == {self.take('self')!r}"
        if self.at("op", "@"):
            names = self.attributes()
            if self.at("op", "="):
                self.take("op", "=")
                text = self.take("string")
                return " or ".join(f"get({n!r}) == {text!r}" for n in names)
            return " or ".join(f"get({n!r}) is not None" for n in names)
        return self.function()

    def attributes(self) -> tuple[str, ...]:
        names = []
        while True:
            self.take("op", "@")
            names.append(self.take("name"))
            if not (self.at("op", "|") and self.peek(1) == ("op", "@")):
                return tuple(names)
            self.take("op", "|")

    def value(self) -> str:
        if self.at("name", "translate"):
            self.take("name")
            self.take("op", "(")
            inner = self.attribute_value()
            table = _translation(self.after_comma(), self.after_comma())
            self.take("op", ")")
            return f"{inner}.translate({self.constant(table)})"
        return self.attribute_value()

    def attribute_value(self) -> str:
        names = self.attributes()
        if len(names) == 1:
            return f"(get({names[0]!r}) or '')"
        return f"_first_value(el, {names!r})"

    def after_comma(self) -> str:
        self.take("op", ",")
        return self.take("string")

    def function(self) -> str:
        name = self.take("name")
        self.take("op", "(")
        value = self.value()
        text = self.after_comma()
        if name == "re:test":
            flags = self.after_comma() if self.at("op", ",") else ""
            if set(flags) - {"i", "g"}:
                raise Unsupported(f"re:test flags {flags!r}")
            # lxml's EXSLT re:test: re.search with re.UNICODE, and IGNORECASE for "i"
            pattern = re.compile(text, re.UNICODE | (re.IGNORECASE if "i" in flags else 0))
            out = f"{self.constant(pattern.search)}({value}) is not None"
        elif name == "contains":
            out = f"{text!r} in {value}"
        elif name == "starts-with":
            out = f"{value}.startswith({text!r})"
        else:
            raise Unsupported(f"function {name}()")
        self.take("op", ")")
        return out


def compile_xpath(source: str) -> Selector:
    """The Selector for an XPath source; raises Unsupported for what it cannot evaluate."""
    return _Parser(source).selector()


def _slots() -> Iterator[tuple[Any, Any, object, str]]:
    """(holder, key, selector, name) for each of PLACES that exists in this trafilatura."""
    for module_name, name in PLACES:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        value = getattr(module, name, None)
        if isinstance(value, list):
            for n, item in enumerate(value):
                yield value, n, item, f"{name}[{n}]"
        elif value is not None:
            yield module, name, value, name


def _put(holder: Any, key: Any, value: object) -> None:
    if isinstance(holder, list):
        holder[key] = value
    else:
        setattr(holder, key, value)


def current() -> dict[str, object]:
    """What trafilatura uses now in each of PLACES: a Selector, or its own XPath."""
    return {name: item for _, _, item, name in _slots()}


def install() -> list[str]:
    """Replace, in place, each of trafilatura's selectors (PLACES) that this module can
    evaluate; return the names of those replaced (``LIST[i]`` or ``NAME``). The prefix
    ``re`` is taken to be EXSLT's regular expressions, as trafilatura binds it.
    Installing twice changes nothing more."""
    replaced = []
    for holder, key, item, name in _slots():
        source = getattr(item, "path", None)
        if not isinstance(item, etree.XPath) or not isinstance(source, str):
            continue
        try:
            selector = compile_xpath(source)
        except Unsupported:
            continue
        selector.original = item
        _put(holder, key, selector)
        replaced.append(name)
    return replaced


@contextmanager
def stock() -> Iterator[None]:
    """Within the block, trafilatura's own XPath again (to compare, in tests and the bench)."""
    swapped = []
    for holder, key, item, _ in _slots():
        if isinstance(item, Selector) and item.original is not None:
            _put(holder, key, item.original)
            swapped.append((holder, key, item))
    try:
        yield
    finally:
        for holder, key, item in swapped:
            _put(holder, key, item)
