"""The network module against a hostile server on 127.0.0.1: every request is bounded."""

from __future__ import annotations

import email.utils
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from adversarial import (
    HostileServer,
    bomb_bytes,
    drip,
    endless,
    gzip_bomb,
    gzipped,
    hang_up,
    huge,
    invalid_gzip,
    redirect,
    refused_url,
    respond,
    truncated,
)

from curator import fetch
from curator.errors import FetchError
from curator.fetch import Fetcher, HTTPStatusError, Limits

SMALL = Limits(connect_timeout=2, read_timeout=2, deadline=1.5, max_bytes=1_000_000)
FEED = "https://feeds.example.org/feed.xml"  # the listed feed whose links are followed


@pytest.fixture
def hostile() -> Iterator[HostileServer]:
    with HostileServer() as server:
        yield server


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(SMALL) as f:
        yield f


def test_slow_drip_body_stops_at_the_total_deadline(hostile: HostileServer, fetcher: Fetcher):
    # each byte arrives well within the read timeout: only a total deadline stops this
    url = hostile.route("/drip", drip(interval=0.3))
    with pytest.raises(FetchError, match=r"too slow: no full response within 1.5 s"):
        fetcher.get(url)


def test_slow_drip_headers_stop_at_the_total_deadline(hostile: HostileServer, fetcher: Fetcher):
    url = hostile.route("/drip", drip(interval=0.3, headers_too=True))
    with pytest.raises(FetchError, match=r"too slow"):
        fetcher.get(url)


def test_read_timeout_when_the_server_goes_silent(hostile: HostileServer):
    url = hostile.route("/silent", drip(b"x" * 10, interval=5))
    slow = Limits(read_timeout=0.5, deadline=10)
    with Fetcher(slow) as f, pytest.raises(FetchError, match=r"timed out \(read\)"):
        f.get(url)


def test_endless_body_is_cut_at_the_byte_cap(hostile: HostileServer, fetcher: Fetcher):
    url = hostile.route("/endless", endless())
    with pytest.raises(FetchError, match=r"too large \(over 1,000 kB\)"):
        fetcher.get(url)


def test_huge_body_is_cut_at_the_byte_cap(hostile: HostileServer, fetcher: Fetcher):
    url = hostile.route("/huge", huge(50_000_000))
    with pytest.raises(FetchError, match=r"too large"):
        fetcher.get(url)


def test_per_call_cap_overrides_the_default(hostile: HostileServer, fetcher: Fetcher):
    url = hostile.route("/mid", huge(200_000))
    assert len(fetcher.get(url).body) == 200_000
    with pytest.raises(FetchError, match=r"too large \(over 100 kB\)"):
        fetcher.get(url, max_bytes=100_000)


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_compression_bomb_is_counted_after_decompression(
    hostile: HostileServer, fetcher: Fetcher, encoding: str
):
    # the compressed body is far under the cap; only its decompressed size is over it
    assert len(bomb_bytes(50_000_000, encoding)) < SMALL.max_bytes
    url = hostile.route("/bomb", gzip_bomb(50_000_000, encoding))
    with pytest.raises(FetchError, match=r"too large"):
        fetcher.get(url)


def test_honest_gzip_is_decoded(hostile: HostileServer, fetcher: Fetcher):
    body = b"<rss version='2.0'><channel><title>ok</title></channel></rss>" * 50
    url = hostile.route("/gz", gzipped(body))
    assert fetcher.get(url).body == body


def test_invalid_gzip_is_a_clear_error(hostile: HostileServer, fetcher: Fetcher):
    url = hostile.route("/bad", invalid_gzip())
    with pytest.raises(FetchError, match=r"invalid compressed body"):
        fetcher.get(url)


def test_unknown_content_encoding_is_refused(hostile: HostileServer, fetcher: Fetcher):
    url = hostile.route("/br", respond(b"xx", Content_Encoding="snappy-ish"))
    with pytest.raises(FetchError, match=r"unsupported content encoding"):
        fetcher.get(url)


def test_truncated_body_and_hang_up_are_errors(hostile: HostileServer, fetcher: Fetcher):
    with pytest.raises(FetchError):
        fetcher.get(hostile.route("/cut", truncated(b"<rss>" * 100)))
    with pytest.raises(FetchError):
        fetcher.get(hostile.route("/bye", hang_up()))


def test_redirect_loop_is_detected(hostile: HostileServer, fetcher: Fetcher):
    hostile.route("/a", redirect("/b"))
    hostile.route("/b", redirect("/a"))
    with pytest.raises(FetchError, match=r"redirect loop at .*/a"):
        fetcher.get(hostile.url("/a"))
    assert hostile.hits("/a") == 1 and hostile.hits("/b") == 1


def test_redirect_chain_is_capped(hostile: HostileServer):
    for i in range(10):
        hostile.route(f"/r{i}", redirect(f"/r{i + 1}"))
    hostile.add("/r10", "end")
    with Fetcher(Limits(max_redirects=3)) as f:
        with pytest.raises(FetchError, match=r"more than 3 redirects"):
            f.get(hostile.url("/r0"))
        assert hostile.hits("/r4") == 0
    with Fetcher(Limits(max_redirects=10)) as f:
        assert f.get(hostile.url("/r0")).body == b"end"


def test_permanent_redirect_reports_the_new_address(hostile: HostileServer, fetcher: Fetcher):
    hostile.route("/old", redirect("/new", 301))
    hostile.route("/temp", redirect("/new", 302))
    hostile.add("/new", "here")
    assert fetcher.get(hostile.url("/old")).moved_to == hostile.url("/new")
    assert fetcher.get(hostile.url("/temp")).moved_to is None


@pytest.mark.parametrize("status", [403, 404, 500, 503])
def test_error_statuses_raise_with_the_status(
    hostile: HostileServer, fetcher: Fetcher, status: int
):
    url = hostile.route("/x", respond(b"no", status))
    with pytest.raises(HTTPStatusError, match=f"HTTP {status}") as info:
        fetcher.get(url)
    assert info.value.status == status


def test_429_carries_retry_after_in_seconds_or_as_a_date(hostile: HostileServer, fetcher: Fetcher):
    url = hostile.route("/slow", respond(b"", 429, Retry_After="120"))
    with pytest.raises(HTTPStatusError) as info:
        fetcher.get(url)
    assert info.value.status == 429 and info.value.retry_after == 120
    later = email.utils.formatdate(time.time() + 3600, usegmt=True)
    url = hostile.route("/date", respond(b"", 503, Retry_After=later))
    with pytest.raises(HTTPStatusError) as info:
        fetcher.get(url)
    assert 3500 < (info.value.retry_after or 0) <= 3600
    url = hostile.route("/junk", respond(b"", 429, Retry_After="soon-ish"))
    with pytest.raises(HTTPStatusError) as info:
        fetcher.get(url)
    assert info.value.retry_after is None


def test_refused_connection_is_a_clear_error(fetcher: Fetcher):
    with pytest.raises(FetchError, match=r"cannot connect"):
        fetcher.get(refused_url())


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "ftp://example.org/feed", "data:text/html,<b>x</b>", "gopher://x/"],
)
def test_only_http_and_https_are_followed(fetcher: Fetcher, url: str):
    with pytest.raises(FetchError, match=r"only http\(s\)"):
        fetcher.get(url)


def test_redirect_to_another_scheme_is_refused(hostile: HostileServer, fetcher: Fetcher):
    url = hostile.route("/x", redirect("file:///etc/passwd"))
    with pytest.raises(FetchError, match=r"only http\(s\)"):
        fetcher.get(url)


# -- private addresses ---------------------------------------------------------------------


def test_article_link_to_a_private_address_is_refused(hostile: HostileServer, fetcher: Fetcher):
    url = hostile.add("/admin", "secret")
    with pytest.raises(FetchError, match=r"refused: 127.0.0.1 resolves to a private address"):
        fetcher.get(url, guard=True, allowed_origin=FEED)
    assert hostile.hits("/admin") == 0
    # the feed's own host is exempt, so a user's local feed and its pages work
    assert fetcher.get(url, guard=True, allowed_origin=hostile.url("/feed.xml")).body == b"secret"


def test_redirect_from_an_article_link_to_a_private_host_is_refused(
    hostile: HostileServer, fetcher: Fetcher
):
    port = hostile.base.rsplit(":", 1)[1]
    hostile.add("/metadata", "token")
    url = hostile.route("/go", redirect(f"http://localhost:{port}/metadata"))
    with pytest.raises(FetchError, match=r"refused: localhost resolves to a private address"):
        fetcher.get(url, guard=True, allowed_origin=hostile.url("/feed.xml"))
    assert hostile.hits("/go") == 1 and hostile.hits("/metadata") == 0


def test_redirect_found_in_a_feed_to_a_private_host_is_refused_even_unguarded(
    hostile: HostileServer, fetcher: Fetcher
):
    # the feed's own host is trusted; where it redirects to is not
    port = hostile.base.rsplit(":", 1)[1]
    hostile.add("/internal", "x")
    url = hostile.route("/feed", redirect(f"http://localhost:{port}/internal"))
    with pytest.raises(FetchError, match=r"refused"):
        fetcher.get(url)
    assert hostile.hits("/internal") == 0


def test_the_address_dialled_is_checked_too(
    hostile: HostileServer, fetcher: Fetcher, monkeypatch: pytest.MonkeyPatch
):
    # DNS rebinding: the name looks public when checked, then resolves privately
    monkeypatch.setattr(fetch, "check_public", lambda *args: None)
    url = hostile.add("/admin", "secret")
    with pytest.raises(FetchError, match=r"refused: 127.0.0.1 resolves to a private address"):
        fetcher.get(url, guard=True, allowed_origin=FEED)
    assert hostile.hits("/admin") == 0


@pytest.mark.parametrize(
    "address",
    ["127.0.0.1", "10.1.2.3", "192.168.1.1", "172.16.0.9", "169.254.169.254", "::1",
     "fe80::1", "::ffff:127.0.0.1", "0.0.0.0", "100.64.0.1", "fd00::1", "224.0.0.1"],
)  # fmt: skip
def test_private_loopback_link_local_and_metadata_addresses_are_blocked(address: str):
    assert fetch._blocked_address(address)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1111", "1.1.1.1"])
def test_public_addresses_are_allowed(address: str):
    assert not fetch._blocked_address(address)


# -- files -----------------------------------------------------------------------------


def test_file_urls_only_under_the_root(tmp_path: Path, fetcher: Fetcher):
    root = tmp_path / "ws"
    root.mkdir()
    (root / "feed.xml").write_text("<rss/>")
    (tmp_path / "secret.txt").write_text("secret")
    assert fetcher.get((root / "feed.xml").as_uri(), file_root=root).body == b"<rss/>"
    with pytest.raises(FetchError, match=r"only followed for feeds you listed"):
        fetcher.get((root / "feed.xml").as_uri())
    with pytest.raises(FetchError, match=r"outside"):
        fetcher.get(f"file://{root}/../secret.txt", file_root=root)
    (root / "link").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(FetchError, match=r"outside"):
        fetcher.get((root / "link").as_uri(), file_root=root)


def test_file_over_the_cap_is_refused(tmp_path: Path):
    (tmp_path / "big.xml").write_bytes(b"x" * 2000)
    with Fetcher(Limits(max_bytes=1000)) as f, pytest.raises(FetchError, match=r"too large"):
        f.get((tmp_path / "big.xml").as_uri(), file_root=tmp_path)


# -- politeness and TLS ----------------------------------------------------------------


def test_user_agent_names_the_tool_and_conditional_get(hostile: HostileServer, fetcher: Fetcher):
    seen: dict[str, str] = {}

    def record(h):
        seen.update(h.headers)
        respond(b"ok")(h)

    url = hostile.route("/ua", record)
    fetcher.get(url, etag='"v1"', last_modified="Mon, 01 Jan 2024 00:00:00 GMT")
    assert seen["User-Agent"].startswith("curator/")
    assert seen["If-None-Match"] == '"v1"'
    assert seen["If-Modified-Since"] == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert "gzip" in seen["Accept-Encoding"]


def test_tls_is_verified_in_the_client():
    with Fetcher() as f:
        context = f.client._transport._pool._ssl_context
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname


def test_self_signed_certificate_is_refused_with_no_unverified_fallback(tmp_path: Path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    made = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        capture_output=True,
    )  # fmt: skip
    if made.returncode != 0:
        pytest.skip("openssl could not make a certificate")
    server = HostileServer()
    server.add("/feed.xml", "<rss/>")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    httpd: ThreadingHTTPServer = server.httpd
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        url = server.url("/feed.xml").replace("http://", "https://")
        refused = pytest.raises(FetchError, match=r"CERTIFICATE_VERIFY_FAILED|certificate")
        with Fetcher(SMALL) as f, refused:
            f.get(url)
        assert server.hits("/feed.xml") == 0
    finally:
        server.stop()


def test_trafilatura_downloader_is_never_used():
    # trafilatura's downloader has an unverified-TLS fallback; curator must not use it
    package = Path(fetch.__file__).parent
    for source in package.glob("*.py"):
        text = source.read_text()
        assert "fetch_url" not in text and "trafilatura.downloads" not in text, source.name
        if source.name != "fetch.py":
            assert "import httpx" not in text, f"{source.name} talks to the network"


@pytest.mark.parametrize(
    "location",
    ["http://[::1", "http://ex ample.org:99999/", "http://\udcff.org/", "http://:80/", "https://"],
)
def test_malformed_redirects_are_a_fetch_error(
    hostile: HostileServer, fetcher: Fetcher, location: str
):
    def behaviour(h):
        h.send_response(302)
        h.send_header("Location", location.encode("utf-8", "surrogateescape").decode("latin-1"))
        h.send_header("Content-Length", "0")
        h.end_headers()

    url = hostile.route("/bad-location", behaviour)
    with pytest.raises(FetchError):
        fetcher.get(url)


@pytest.mark.parametrize("url", ["http://[::1", "http://a..b/", "http:///x", "http://.../"])
def test_malformed_links_are_a_fetch_error(fetcher: Fetcher, url: str):
    with pytest.raises(FetchError):
        fetcher.get(url, guard=True, allowed_origin=FEED)


def test_a_dns_server_that_never_answers_is_cut_off_by_the_deadline(
    monkeypatch: pytest.MonkeyPatch,
):
    real = fetch.socket.getaddrinfo

    def silent_dns(host, *args, **kwargs):
        if host == "slow-dns.example.org":
            time.sleep(5)  # as a resolver whose server is down
        return real(host, *args, **kwargs)

    monkeypatch.setattr(fetch.socket, "getaddrinfo", silent_dns)
    # "no answer within 0.49 s" (what was left of the 0.5 s deadline): our limit ended the
    # wait, not the resolver's 5 s
    silent = pytest.raises(FetchError, match=r"no answer within 0\.\d+ s")
    with Fetcher(Limits(deadline=0.5)) as f, silent:
        f.get("https://slow-dns.example.org/feed.xml")
    with Fetcher(Limits(deadline=0.5)) as f, pytest.raises(FetchError, match=r"no answer within"):
        f.get("https://slow-dns.example.org/a", guard=True, allowed_origin=FEED)


def test_a_host_is_resolved_once_a_run_and_a_failed_name_again(
    hostile: HostileServer, monkeypatch: pytest.MonkeyPatch
):
    real = fetch.socket.getaddrinfo
    asked: list[str] = []
    down = {"flaky.example.org"}

    def counting(host, *args, **kwargs):
        asked.append(host)
        if host in down:
            raise fetch.socket.gaierror(fetch.socket.EAI_AGAIN, "temporary failure")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(fetch.socket, "getaddrinfo", counting)
    port = hostile.base.rsplit(":", 1)[1]
    hostile.add("/a", "x")
    with Fetcher() as f:
        for _ in range(3):  # checked, refused, and the answer kept for the next page
            with pytest.raises(FetchError, match=r"refused: localhost resolves to a private"):
                f.get(f"http://localhost:{port}/a", guard=True, allowed_origin=FEED)
        for _ in range(2):  # a failure is not kept: the name may resolve later in the run
            with pytest.raises(FetchError, match=r"cannot resolve flaky\.example\.org"):
                f.get("http://flaky.example.org/a", guard=True, allowed_origin=FEED)
    assert asked.count("localhost") == 1
    assert asked.count("flaky.example.org") == 2
    with Fetcher() as f, pytest.raises(FetchError, match=r"refused"):  # a new run asks anew
        f.get(f"http://localhost:{port}/a", guard=True, allowed_origin=FEED)
    assert asked.count("localhost") == 2


def test_a_name_that_never_resolves_is_skipped_like_a_slow_host(
    monkeypatch: pytest.MonkeyPatch,
):
    # 200 new pages on a site whose name server is down must not cost 200 waits
    real = fetch.socket.getaddrinfo
    asked: list[str] = []

    def silent_dns(host, *args, **kwargs):
        if host == "slow-dns.example.org":
            asked.append(host)
            time.sleep(2)  # as a resolver whose server is down
        return real(host, *args, **kwargs)

    monkeypatch.setattr(fetch.socket, "getaddrinfo", silent_dns)
    with Fetcher(Limits(deadline=0.3, host_strikes=2)) as f:
        for n in range(2):
            with pytest.raises(FetchError, match=r"no answer within"):
                f.get(f"https://slow-dns.example.org/{n}", guard=True, allowed_origin=FEED)
        for n in range(2, 5):
            with pytest.raises(FetchError, match=r"skipped: slow-dns\.example\.org ran out"):
                f.get(f"https://slow-dns.example.org/{n}", guard=True, allowed_origin=FEED)
    assert len(asked) == 2


def test_how_many_times_a_site_may_run_out_of_time_is_a_setting(workspace: Path):
    from curator.config import open_workspace
    from curator.pipeline import fetcher_for

    (workspace / "curator.yaml").write_text("host_strikes: 1\n", encoding="utf-8")
    with fetcher_for(open_workspace(str(workspace))) as f:
        assert f.limits.host_strikes == 1
    (workspace / "curator.yaml").write_text("", encoding="utf-8")
    with fetcher_for(open_workspace(str(workspace))) as f:
        assert f.limits.host_strikes == 3


def test_a_host_that_keeps_running_out_of_time_is_skipped_for_the_rest_of_the_run(
    hostile: HostileServer,
):
    # a tarpit with 200 new articles must not cost 200 deadlines one after another
    for i in range(4):
        hostile.route(f"/slow{i}", drip(interval=0.3))
    hostile.add("/fine", "ok")
    with Fetcher(Limits(deadline=0.5, host_strikes=2)) as f:
        for i in range(2):
            with pytest.raises(FetchError, match=r"too slow"):
                f.get(hostile.url(f"/slow{i}"))
        for path in ("/slow2", "/slow3", "/fine"):
            with pytest.raises(FetchError, match=r"skipped: 127.0.0.1 ran out of time 2 times"):
                f.get(hostile.url(path))
        assert hostile.hits("/slow2") == hostile.hits("/slow3") == hostile.hits("/fine") == 0
        # other hosts are not affected
        port = hostile.base.rsplit(":", 1)[1]
        assert f.get(f"http://localhost:{port}/fine").body == b"ok"
