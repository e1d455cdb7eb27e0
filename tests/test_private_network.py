"""What feeds may reach: the private-address rule, its one exemption, and its setting.

Two loopback servers play a feed's own server and "another local service" on the same
machine. Names that resolve to private addresses come from an injected resolver, and a
fence on the socket layer refuses (and records) any address other than 127.0.0.1, so
nothing else is ever dialled, even by a regression.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import httpcore
import pytest
from adversarial import HostileServer, redirect
from click.testing import CliRunner
from conftest import Server, page, rss

from curator import fetch
from curator.cli import cli
from curator.errors import FetchError
from curator.fetch import Fetcher, Limits
from curator.store import Store

SMALL = Limits(connect_timeout=2, read_timeout=2, deadline=3, max_bytes=1_000_000)
NAMES = {
    "localhost": ["127.0.0.1"],
    "intranet.test": ["10.0.0.7"],  # a name on the user's network
    "metadata.test": ["169.254.169.254"],
}


@pytest.fixture(autouse=True)
def fence(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Names resolve from NAMES; any address but 127.0.0.1 is recorded, never dialled."""
    dialled: list[str] = []
    real_connect = httpcore.SyncBackend.connect_tcp

    def connect(self, host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host != "127.0.0.1":
            dialled.append(f"{host}:{port}")
            raise httpcore.ConnectError(f"fenced: {host}")
        return real_connect(self, host, port, *args, **kwargs)

    def lookup(host: str, timeout: float | None = None) -> list[str]:
        if host in NAMES:
            return NAMES[host]
        try:
            return [str(ipaddress.ip_address(host.strip("[]")))]
        except ValueError:
            pass
        if host.isdigit():  # one number: an IPv4 address written as an integer
            return [str(ipaddress.IPv4Address(int(host)))]
        raise FetchError(f"cannot resolve {host}: no such name in this test")

    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", connect)
    monkeypatch.setattr(fetch, "resolve", lookup)
    yield dialled
    assert dialled == []


@pytest.fixture
def other() -> Iterator[HostileServer]:
    """Another local service on the same machine, on another port."""
    with HostileServer() as server:
        server.add("/secret", page("Admin", ["SECRET token=abc123 " * 20]))
        yield server


def port_of(base: str) -> str:
    return base.rsplit(":", 1)[1]


# -- the exemption: the feed's own scheme, host and port, while every hop stays there --


def test_a_link_to_another_port_on_the_feeds_host_is_refused(
    http_server: Server, other: HostileServer
):
    feed = http_server.url("/feed.xml")
    own = http_server.add("/article", "mine")
    with Fetcher(SMALL) as f:
        assert f.get(own, guard=True, allowed_origin=feed).body == b"mine"
        with pytest.raises(FetchError, match=r"refused: 127.0.0.1 resolves to a private"):
            f.get(other.url("/secret"), guard=True, allowed_origin=feed)
        # a redirect from the feed's own server to the other port is refused too
        http_server.routes["/go"] = (302, {"Location": other.url("/secret")}, b"")
        with pytest.raises(FetchError, match=r"refused"):
            f.get(http_server.url("/go"), guard=True, allowed_origin=feed)
        # and so is a redirect in the feed's own request
        with pytest.raises(FetchError, match=r"refused"):
            f.get(http_server.url("/go"))
    assert other.hits("/secret") == 0


def test_a_hop_from_another_host_back_to_the_feeds_origin_earns_no_exemption(
    http_server: Server, other: HostileServer
):
    feed = http_server.url("/feed.xml")
    own = http_server.add("/article", "mine")
    other.route("/bounce", redirect(own))
    bounce = f"http://localhost:{port_of(other.base)}/bounce"
    # localhost is allowed by the user; the redirect from it to 127.0.0.1 is not exempt
    with (
        Fetcher(SMALL, allow_private_hosts=["localhost"]) as f,
        pytest.raises(FetchError, match=r"refused: 127.0.0.1 resolves to a private"),
    ):
        f.get(bounce, guard=True, allowed_origin=feed)
    assert other.hits("/bounce") == 1 and http_server.hits("/article") == 0


@pytest.mark.parametrize(
    "link",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://2852039166/latest/meta-data/",  # the same address, as one number
        "http://metadata.test/computeMetadata/v1/",
    ],
)
def test_metadata_addresses_are_refused_even_when_allowed(link: str):
    allowed = ["169.254.169.254", "metadata.test", "2852039166"]
    with Fetcher(SMALL, allow_private_hosts=allowed) as f:
        assert f.allowed_hosts == frozenset({"metadata.test"})  # the address never gets in
        with pytest.raises(FetchError, match=r"cloud metadata address"):
            f.get(link, guard=True, allowed_origin="https://feeds.example.org/feed.xml")


def test_an_allowed_private_host_is_reached(http_server: Server, other: HostileServer):
    with Fetcher(SMALL, allow_private_hosts=["LOCALHOST."]) as f:
        url = f"http://localhost:{port_of(other.base)}/secret"
        assert b"SECRET" in f.get(url, guard=True, allowed_origin=http_server.url("/f.xml")).body
        with pytest.raises(FetchError, match=r"add 10.0.0.7 to allow_private_hosts"):
            f.get("http://10.0.0.7/", guard=True, allowed_origin=http_server.url("/f.xml"))


def test_cookies_are_never_sent_back(http_server: Server):
    feed = http_server.add("/feed.xml", rss([]), **{"Set-Cookie": "sid=tracker; Path=/"})
    article = http_server.add("/article", "text")
    with Fetcher(SMALL) as f:
        f.get(feed)
        f.get(article, guard=True, allowed_origin=feed)
        f.get(feed)
    assert [h.get("Cookie") for _, h in http_server.requests] == [None, None, None]


# -- whole runs ---------------------------------------------------------------------


def run(workspace: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["-w", str(workspace), *args])
    return result.exit_code, result.stderr


def items(*links: str) -> list[dict[str, str]]:
    when = format_datetime(datetime.now(UTC) - timedelta(hours=1))
    return [
        {"title": f"Story {i}", "link": link, "description": f"Snippet {i}", "pubDate": when}
        for i, link in enumerate(links)
    ]


@pytest.fixture
def ws(workspace: Path) -> Path:
    (workspace / "contacts.yaml").write_text("contacts: []\n")
    (workspace / "curator.yaml").write_text("extract_workers: 1\n")
    return workspace


def test_a_file_feed_exempts_nothing(ws: Path, http_server: Server, other: HostileServer):
    article = http_server.add("/article", page("Local", ["A local page. " * 30]))
    port = port_of(http_server.base)
    links = [
        article,
        "http://169.254.169.254/latest/meta-data/",
        "http://intranet.test/wiki",
        f"http://[::1]:{port}/article",
        f"http://localhost:{port_of(other.base)}/secret",
    ]
    (ws / "feed.xml").write_text(rss(items(*links)))
    (ws / "feeds.yaml").write_text("feeds:\n  - url: feed.xml\n")
    code, stderr = run(ws, "fetch")
    assert code == 0
    assert http_server.hits("/article") == 0 and other.hits("/secret") == 0
    assert "5 article pages could not be read" in stderr
    assert "4 of them are on private addresses" in stderr  # the fifth is the metadata one


def test_pages_on_another_local_service_keep_their_snippet_and_the_run_says_why(
    ws: Path, http_server: Server, other: HostileServer
):
    article = http_server.add("/article", page("Mine", ["My own page. " * 30]))
    secret = other.url("/secret")
    feed = http_server.add(
        "/feed.xml", rss(items(article, secret)), content_type="application/rss+xml"
    )
    (ws / "feeds.yaml").write_text(f"feeds:\n  - url: {feed}\n")
    code, stderr = run(ws, "fetch")
    assert code == 0
    assert http_server.hits("/article") == 1 and other.hits("/secret") == 0
    assert "1 of them are on private addresses (such as 127.0.0.1)" in stderr
    assert "allow_private_hosts in curator.yaml" in stderr
    with Store(ws / ".curator" / "curator.db") as store:
        texts = [r[0] for r in store.db.execute("SELECT text FROM articles")]
    assert not any("SECRET" in t for t in texts)


def test_a_moved_feeds_new_address_is_checked_like_a_link(ws: Path, http_server: Server):
    feed = http_server.add("/old.xml", rss(items()), content_type="application/rss+xml")
    (ws / "feeds.yaml").write_text(f"feeds:\n  - url: {feed}\n")
    with Store(ws / ".curator" / "curator.db") as store:
        # a name that resolved publicly when the redirect was followed, privately now
        store.feed_moved(store.feed_state(feed).id, "http://intranet.test/feed.xml")
    _, stderr = run(ws, "fetch")
    assert "refused: intranet.test resolves to a private address (10.0.0.7)" in stderr
    assert http_server.hits("/old.xml") == 0


def test_a_feed_moved_on_its_own_server_still_works(ws: Path, http_server: Server):
    http_server.routes["/old.xml"] = (301, {"Location": "/new.xml"}, b"")
    http_server.add("/new.xml", rss(items()), content_type="application/rss+xml")
    (ws / "feeds.yaml").write_text(f"feeds:\n  - url: {http_server.url('/old.xml')}\n")
    assert run(ws, "fetch")[0] == 0
    code, stderr = run(ws, "fetch")
    assert code == 0 and "failed" not in stderr
    assert http_server.hits("/old.xml") == 1 and http_server.hits("/new.xml") == 2


# -- adding feeds ---------------------------------------------------------------------


def test_opml_import_refuses_private_metadata_and_workspace_addresses(ws: Path, tmp_path: Path):
    outlines = [
        "http://169.254.169.254/latest/meta-data/",
        "http://192.168.1.1/admin",
        "http://2130706433/",
        "http://[::ffff:10.0.0.1]/",
        "http://localhost:8080/feed",
        "http://nas.local/feed",
        f"file://{ws}/.curator/curator.db",
        f"file://{ws}/contacts.yaml",
        "https://example.org/feed.xml",
    ]
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<opml version="2.0"><body>'
        + "".join(f'<outline text="x" xmlUrl="{u}"/>' for u in outlines)
        + "</body></opml>"
    )
    result = CliRunner().invoke(cli, ["-w", str(ws), "feeds", "import", str(opml)])
    assert result.exit_code == 0
    assert result.stdout == "Added 1 feed; 0 were already listed.\n"
    feeds_yaml = (ws / "feeds.yaml").read_text()
    assert "example.org" in feeds_yaml
    assert not any(u in feeds_yaml for u in outlines[:-1])
    assert result.stderr.count("Refused ") == 8
    assert "169.254.169.254 is a cloud metadata address" in result.stderr
    assert "2130706433 is on your own machine or network; to use it, add 127.0.0.1" in (
        result.stderr
    )
    assert ".curator/curator.db is a file of this workspace, not a feed" in result.stderr


def test_feeds_add_refuses_a_private_address_unless_allowed(ws: Path):
    result = CliRunner().invoke(cli, ["-w", str(ws), "feeds", "add", "http://192.168.1.20/rss"])
    assert result.exit_code == 2
    assert result.stderr == (
        "Error: refused http://192.168.1.20/rss: 192.168.1.20 is on your own machine or "
        "network; to use it, add 192.168.1.20 to allow_private_hosts in curator.yaml\n"
    )
    (ws / "curator.yaml").write_text("allow_private_hosts: [nas.local, 192.168.1.20]\n")
    for url in ("http://192.168.1.20/rss", "http://nas.local/feed"):
        assert CliRunner().invoke(cli, ["-w", str(ws), "feeds", "add", url]).exit_code == 0
    metadata = "http://169.254.169.254/feed"
    result = CliRunner().invoke(cli, ["-w", str(ws), "feeds", "add", metadata])
    assert result.exit_code == 2 and "cloud metadata address" in result.stderr


def test_a_metadata_address_in_the_setting_is_refused_with_a_message(ws: Path):
    (ws / "curator.yaml").write_text("allow_private_hosts: [169.254.169.254, nas.local]\n")
    (ws / "feeds.yaml").write_text("feeds: []\n")
    result = CliRunner().invoke(cli, ["-w", str(ws), "feeds", "list"])
    assert result.exit_code == 0
    assert "169.254.169.254 is a cloud metadata address; curator never fetches it" in (
        result.stderr
    )


def test_the_setting_is_documented_where_users_look(workspace: Path):
    CliRunner().invoke(cli, ["init", str(workspace)])
    assert "# allow_private_hosts: []" in (workspace / "curator.yaml").read_text()
    help_text = CliRunner().invoke(cli, ["feeds", "add", "--help"]).stdout
    assert "allow_private_hosts" in help_text
    readme = Path(__file__).resolve().parent.parent / "README.md"
    assert "allow_private_hosts" in readme.read_text()


def test_the_setting_settles_like_every_other(workspace: Path, monkeypatch: pytest.MonkeyPatch):
    from curator.config import load_settings
    from curator.errors import ConfigError

    (workspace / "curator.yaml").write_text("allow_private_hosts: [nas.local, 10]\n")
    assert load_settings(workspace).allow_private_hosts == ("nas.local", "10")
    monkeypatch.setenv("CURATOR_ALLOW_PRIVATE_HOSTS", "reader.lan, 192.168.1.20")
    assert load_settings(workspace).allow_private_hosts == ("reader.lan", "192.168.1.20")
    monkeypatch.delenv("CURATOR_ALLOW_PRIVATE_HOSTS")
    (workspace / "curator.yaml").write_text("allow_private_hosts: {a: b}\n")
    with pytest.raises(ConfigError, match=r"expected a list of host names or addresses"):
        load_settings(workspace)
