"""trafilatura's selectors run as Python (curator.selectors): the same elements, in the
same order, as libxml2 selects with the XPath each one replaces, and the same text."""

from __future__ import annotations

import re

import pytest
import trafilatura
from conftest import CORPORA
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from trafilatura.utils import load_html

from curator import selectors
from curator.extract import _trafilatura, extract_page

_trafilatura()  # installs the selectors, as extraction does
NS = {"re": "http://exslt.org/regular-expressions"}

TREE = """<html><body>
<div class="xa" id="yb">1</div><div id="yb" class="xa">2</div>
<div id="">3</div><div class="">4</div><div role="Navigation">5</div>
<section><div class="Comment">6<h1>head</h1></div><div class="comment">7</div></section>
<article><div class="post">8</div><p class="post">9</p><div class="post">10</div></article>
<svg:div class="post">11</svg:div><!-- div class="post" --><?pi x?>
<main><div class="FullText big">12</div><ul id="comments"><li class="Comment">13</li></ul></main>
<div style="display: none" aria-hidden="true">14</div><div data-x="1">15</div>
</body></html>"""

EXPRESSIONS = [
    ".//*[re:test(@id|@class, '^x')]",
    ".//*[re:test(@class|@id, '^y')]",
    ".//*[starts-with(@id|@class, 'x')]",
    ".//*[@id|@class='xa']",
    ".//*[@id]",
    ".//*[@class='']",
    ".//*[contains(@id, '')]",
    ".//div[contains(translate(@role, 'N', 'n'), 'nav')]",
    ".//*[contains(translate(@role, 'NnN', 'n'), 'avigatio')]",
    ".//*[self::div or self::p][@class='post'][1]",
    ".//div[@class='post'][1]",
    "(.//*[self::div or self::p][@class='post'])[1]",
    ".//*[self::div][re:test(@class, '^comment')][not(.//h1)]",
    ".//*[self::div][re:test(@class, '^comment', 'i')]",
    ".//*[self::div or self::ul][re:test(@id, 'comment') or re:test(@class, 'comment', 'i')]"
    "[not(self::ul) or @id='comments']",
    ".//*[(self::div or self::li) and not(@class='Comment' or @class='comment')]",
    ".//*[@aria-hidden='true' and contains(@style, 'display: none')]",
    ".//*[re:test(@class, 'fulltext', 'i')]",
    ".//*",
    ".//section|.//div[@class='post']|.//*[re:test(@id|@class, '^x')]|.//h1",
    ".//main|.//*[self::li]",
    ".//*[self::svg:div]",
]


def parse(html: str) -> etree._Element:
    return load_html(html.encode())


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_each_construct_means_what_libxml2_takes_it_to_mean(expression: str) -> None:
    tree = parse(TREE)
    try:
        selector = selectors.compile_xpath(expression)
    except selectors.Unsupported:
        assert expression == ".//*[self::svg:div]"  # a prefixed name is left to libxml2
        return
    expected = etree.XPath(expression, namespaces=NS)(tree)
    assert selector(tree) == expected
    assert expected or expression.startswith(".//*[@class=''")  # each one selects something


@pytest.mark.parametrize(
    "expression",
    [
        ".//*[position() < 3]",
        ".//*[last()]",
        ".//div[2]",
        "(.//div)[2]",
        "(.//div)[1]|.//p",
        ".//div[1]|.//p",
        "//div",
        ".//div/p",
        ".//*[text()='x']",
        ".//*[count(.//p) > 1]",
        ".//*[@id!='x']",
        ".//*[re:replace(@id, 'a', 'g', 'b')]",
        ".//*[re:test(@id, 'a', 'x')]",
        ".//*[local-name()='div']",
        ".//*[self::div",  # cut short: refused, never an IndexError that breaks extraction
        ".//*[self::div or",
    ],
)
def test_what_it_cannot_evaluate_is_refused(expression: str) -> None:
    with pytest.raises(selectors.Unsupported):
        selectors.compile_xpath(expression)


def test_trafilatura_s_costly_selectors_are_replaced_and_the_rest_left_alone() -> None:
    kinds = {name: type(item).__name__ for name, item in selectors.current().items()}
    # If a trafilatura release writes these differently, extraction stays right but slower.
    for name in (
        "OVERALL_DISCARD_XPATH[0]",
        "OVERALL_DISCARD_XPATH[1]",
        "REMOVE_COMMENTS_AND_LISTS_XPATH[0]",
        "RAW_TREE_PRUNE_XPATH[0]",
        "BODY_XPATH[0]",
        "BASIC_CLEAN_XPATH",
    ):
        assert kinds[name] == "Selector", (name, trafilatura.__version__)
    assert set(kinds.values()) == {"Selector", "XPath"}  # a union with [1] stays an XPath
    assert selectors.install() == []  # installing again changes nothing


def _replaced() -> list[selectors.Selector]:
    return [item for item in selectors.current().values() if isinstance(item, selectors.Selector)]


def _same_on(tree: etree._Element) -> None:
    for selector in _replaced():
        assert selector(tree) == selector.original(tree), selector  # type: ignore[misc]


def _literals() -> list[str]:
    """Words from the selectors' own strings and patterns, to build near misses from."""
    words = set()
    for selector in _replaced():
        for literal in re.findall(r"'([^']*)'", selector.path):
            words.update(w for w in re.split(r"[^\w-]+", literal) if w)
    return sorted(words)


WORDS = _literals()
TAGS = ["div", "section", "aside", "article", "main", "p", "span", "list", "item", "ol", "ul"]
TAGS += [
    "details",
    "h1",
    "header",
    "cite",
    "quote",
    "li",
    "a",
    "footer",
    "script",
    "svg",
    "template",
]
ATTRIBUTES = ["id", "class", "role", "style", "data-component", "aria-hidden", "itemprop"]
ATTRIBUTES += ["data-lp-replacement-content"]

value = st.one_of(
    st.sampled_from(WORDS),
    st.builds(
        lambda a, b, sep, upper: (a + sep + b).upper() if upper else a + sep + b,
        st.sampled_from(WORDS),
        st.sampled_from([*WORDS, "", "ad", "x"]),
        st.sampled_from(["", " ", "-", "_", "  "]),
        st.booleans(),
    ),
    st.sampled_from(["", "true", "display:none", "display: none", "hidden", " ad ", "main"]),
)
attributes = st.lists(st.tuples(st.sampled_from(ATTRIBUTES), value), max_size=3)
element = st.recursive(
    st.sampled_from(["text", "<!-- c -->", "<br>"]),
    lambda inner: st.builds(
        lambda tag, attrs, kids: "<{0}{1}>{2}</{0}>".format(
            tag,
            "".join(f' {k}="{v}"' for k, v in attrs),
            "".join(kids),
        ),
        st.sampled_from(TAGS),
        attributes,
        st.lists(inner, max_size=4),
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(element, min_size=1, max_size=5))
def test_generated_pages_select_alike(body: list[str]) -> None:
    _same_on(parse("<html><body>" + "".join(body) + "</body></html>"))


def _pages() -> list[str]:
    text = "The bridge over the river opened yesterday, and many people came to see it. "
    attrs = [
        'class="post-content"',
        'id="comments"',
        'class="share-buttons social"',
        'class="sidebar"',
        'id="main-content"',
        'class="article-body"',
        'role="navigation"',
        'style="display:none"',
        'class="teaser"',
        'class="caption"',
        'class="Comment"',
        'id="respond"',
    ]
    pages = [
        "<html><body><header>Site</header>"
        + "".join(f"<div {a}><p>{text * (n % 3 + 1)}</p></div>" for n, a in enumerate(attrs))
        + f"<article><h1>Bridge</h1><p>{text * 8}</p></article><footer>F</footer></body></html>",
        f"<html><body><main><section class='story'><p>{text * 6}</p></section>"
        "<ul class='comment-list'><li>first!</li></ul></main></body></html>",
    ]
    if (CORPORA / "webpages").is_dir():
        pages += [p.read_text("utf-8", "replace") for p in sorted((CORPORA / "webpages").iterdir())]
    return pages


def test_real_pages_select_alike() -> None:
    trees = [parse(page) for page in _pages()]
    for tree in trees:
        if tree is not None:  # trafilatura gives up on a page that parses to nothing
            _same_on(tree)
    assert sum(tree is not None for tree in trees) >= 2


def test_extraction_is_the_same_as_with_trafilatura_s_own_xpath() -> None:
    pages = [p.encode() for p in _pages()]

    def extract_all() -> list[object]:
        return [extract_page(p, "https://ex.org/a", "text/html", None, True) for p in pages]

    fast = extract_all()
    with selectors.stock():
        assert not _replaced()
        assert extract_all() == fast
    assert isinstance(selectors.current()["BODY_XPATH[0]"], selectors.Selector)
    assert sum(1 for page in fast if page.text) >= 2  # type: ignore[attr-defined]
