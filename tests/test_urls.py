"""URL hygiene: canonical forms for de-duplication and the only links we render."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from curator.urls import canonical_url, is_tracking, safe_link

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-.0123456789", min_size=1, max_size=12)
values = st.text(max_size=12)
hosts = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\.[a-z]{2,6}){1,2}", fullmatch=True)
paths = st.lists(st.text(max_size=8), max_size=4).map(lambda parts: "/" + "/".join(parts))
tracking = st.sampled_from(
    ["utm_source", "utm_medium", "UTM_Campaign", "fbclid", "gclid", "mc_eid"]
)


@st.composite
def http_urls(draw: st.DrawFn) -> str:
    from urllib.parse import quote, urlencode

    scheme = draw(st.sampled_from(["http", "https", "HTTP", "HtTpS"]))
    host = draw(hosts)
    port = draw(st.sampled_from(["", ":80", ":443", ":8080"]))
    path = quote(draw(paths), safe="/")
    params = draw(st.lists(st.tuples(st.one_of(names, tracking), values), max_size=5))
    fragment = draw(st.sampled_from(["", "#top", "#:~:text=x"]))
    query = "?" + urlencode(params) if params else ""
    return f"{scheme}://{host}{port}{path}{query}{fragment}"


@SETTINGS
@given(st.one_of(st.text(), http_urls()))
@example("http://[::1")
@example("http://ex.org:99999/")
@example("https://EX.org./a?utm_source=x&b=1#frag")
def test_canonical_url_never_raises_and_is_idempotent(url: str):
    once = canonical_url(url)
    assert isinstance(once, str)
    assert canonical_url(once) == once


@SETTINGS
@given(http_urls())
def test_canonical_url_removes_tracking_fragment_and_default_port(url: str):
    canon = canonical_url(url)
    parts = urlsplit(canon)
    assert not any(is_tracking(k) for k, _ in parse_qsl(parts.query, keep_blank_values=True))
    assert parts.fragment == ""
    assert parts.scheme in ("http", "https")
    assert parts.netloc == parts.netloc.lower()
    assert (parts.scheme, parts.port) not in (("http", 80), ("https", 443))


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://Ex.org/a?utm_source=rss&utm_medium=feed", "https://ex.org/a"),
        ("https://ex.org:443/a#comments", "https://ex.org/a"),
        ("https://ex.org/a?id=3&fbclid=XYZ", "https://ex.org/a?id=3"),
        ("http://ex.org", "http://ex.org/"),
    ],
)
def test_same_article_same_canonical_url(a: str, b: str):
    assert canonical_url(a) == canonical_url(b)


def test_meaningful_query_and_path_case_are_kept():
    assert canonical_url("https://ex.org/Post?id=3&page=2") == "https://ex.org/Post?id=3&page=2"
    assert canonical_url("https://ex.org/a?id=3") != canonical_url("https://ex.org/a?id=4")


SCHEMES = ["javascript:", "JAVASCRIPT:", " javascript:", "data:", "vbscript:", "file:",
           "jav\tascript:", "java\nscript:", "\x00javascript:", "//", "http:", "https:/",
           "feed:", "blob:"]  # fmt: skip
prefixed = st.builds(lambda s, t: s + t, st.sampled_from(SCHEMES), st.text())


@SETTINGS
@given(st.one_of(st.text(), http_urls(), prefixed))
@example("javascript://ex.org/%0Aalert(1)")
@example("http://ex.org\\@evil.org/")
@example("https://ex.org/\u2028")
def test_safe_link_only_returns_http_links(url: str):
    link = safe_link(url)
    if link is None:
        return
    parts = urlsplit(link)
    assert parts.scheme.lower() in ("http", "https")
    assert parts.hostname
    assert not any(ord(c) < 32 or c == "\x7f" for c in link)
    assert link == link.strip()


@pytest.mark.parametrize(
    "url", ["https://ex.org/a", "http://ex.org:8080/a?b=c#d", "https://ex.org/ünï"]
)
def test_safe_link_keeps_ordinary_links(url: str):
    assert safe_link(url) == url


@pytest.mark.parametrize(
    "url", [None, "", "   ", 42, "javascript:alert(1)", "http://", "mailto:a@b"]
)
def test_safe_link_refuses(url: object):
    assert safe_link(url) is None  # type: ignore[arg-type]
