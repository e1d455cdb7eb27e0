"""No regular expression in curator can backtrack exponentially on hostile text.

A quantifier inside a quantified group (``(a*)*``, ``(<!--.*?-->\\s*)*``) can try every
way of splitting its input; one feed of 3.5 KB held a run forever that way. Every pattern
written in the source, and every compiled pattern a module holds, is checked here.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest

try:  # the parser behind re.compile: re._parser since 3.11, sre_parse before
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse  # type: ignore[no-redef]

PACKAGE = Path(__file__).resolve().parent.parent / "curator"
_REPEATS = {sre_parse.MAX_REPEAT, sre_parse.MIN_REPEAT}
_RE_FUNCTIONS = {"compile", "match", "search", "sub", "subn", "fullmatch", "split", "findall",
                 "finditer"}  # fmt: skip


def _nested_repeat(items: object, inside: bool = False) -> bool:
    """Whether a parsed pattern has an unbounded repeat inside an unbounded repeat."""
    for op, arg in items:  # type: ignore[attr-defined]
        if op in _REPEATS:
            _low, high, sub = arg
            unbounded = high is sre_parse.MAXREPEAT or high > 1
            if unbounded and inside:
                return True
            if _nested_repeat(sub, inside or unbounded):
                return True
        elif op is sre_parse.SUBPATTERN:
            if _nested_repeat(arg[-1], inside):
                return True
        elif op is sre_parse.BRANCH:
            if any(_nested_repeat(branch, inside) for branch in arg[1]):
                return True
        elif op in (sre_parse.ASSERT, sre_parse.ASSERT_NOT) and _nested_repeat(arg[1], inside):
            return True
    return False


def _source_patterns() -> list[tuple[str, str | bytes]]:
    found = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "re"
                and node.func.attr in _RE_FUNCTIONS
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str | bytes)
            ):
                found.append((f"{path.name}:{node.lineno}", node.args[0].value))
    return found


def _module_patterns() -> list[tuple[str, re.Pattern]]:
    found = []
    for path in sorted(PACKAGE.glob("*.py")):
        if path.stem == "__main__":
            continue
        module = importlib.import_module(f"curator.{path.stem}")
        for name, value in vars(module).items():
            values = value if isinstance(value, tuple | list) else (value,)
            for item in values:
                for part in item if isinstance(item, tuple) else (item,):
                    if isinstance(part, re.Pattern):
                        found.append((f"{path.stem}.{name}", part))
    return found


def test_the_checker_finds_nested_quantifiers():
    for bad in (r"(a*)*", r"^\s*(<!--.*?-->\s*)*x", r"(?:ab+|c)+", r"(\n\s*)+"):
        assert _nested_repeat(sre_parse.parse(bad)), bad
    for good in (r"a*b+", r"(?:ab)+", r"[^\W_]+(?:['’][^\W_]+)?", r"(\d{4})-W(\d{2})"):
        assert not _nested_repeat(sre_parse.parse(good)), good


def test_the_source_has_patterns_to_check():
    assert len(_source_patterns()) > 20 and len(_module_patterns()) > 20


@pytest.mark.parametrize(("where", "pattern"), _source_patterns(), ids=lambda v: str(v)[:40])
def test_no_pattern_in_the_source_nests_quantifiers(where: str, pattern: str | bytes):
    assert not _nested_repeat(sre_parse.parse(pattern)), where


def test_no_compiled_pattern_nests_quantifiers():
    nested = [
        where
        for where, p in _module_patterns()
        if _nested_repeat(sre_parse.parse(p.pattern, p.flags))
    ]
    assert nested == []
