"""A loopback HTTP server that misbehaves the way strangers' feeds and pages do.

Each behaviour is a small factory returning a route (a callable given the request
handler), so a test names exactly the trap it sets:

    with HostileServer() as server:
        server.route("/drip", drip(b"<rss/>", interval=0.5))
        fetcher.get(server.url("/drip"))

Every loop here is bounded in bytes and seconds and stops by itself when the client goes
away, so a failing test can never leave a runaway server behind. It listens on 127.0.0.1
only. Run it directly (``python tests/adversarial.py``) to get a server full of failures
for manual runs and measurements.
"""

from __future__ import annotations

import gzip
import os
import threading
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

Route = Callable[[BaseHTTPRequestHandler], None]
GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError, OSError)


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up mid-trap is the point; no tracebacks on stderr


class HostileServer:
    """A threaded HTTP/1.1 server on 127.0.0.1:0 whose routes tests set."""

    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self.httpd = _QuietServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self._thread: threading.Thread | None = None

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, behaviour: Route) -> str:
        self.routes[path] = behaviour
        return self.url(path)

    def add(
        self,
        path: str,
        body: bytes | str,
        status: int = 200,
        content_type: str = "text/html; charset=utf-8",
        **headers: str,
    ) -> str:
        return self.route(path, respond(body, status, content_type, **headers))

    def hits(self, path: str) -> int:
        with self._lock:
            return self.requests.count(path)

    def start(self) -> HostileServer:
        self._thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 30  # a client that goes silent does not pin a server thread forever

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with server._lock:
                    server.requests.append(self.path)
                behaviour = server.routes.get(self.path)
                try:
                    if behaviour is None:
                        respond(b"not here", 404)(self)
                    else:
                        behaviour(self)
                except GONE:
                    self.close_connection = True

        return Handler


# -- behaviours --------------------------------------------------------------------------


def _head(h: BaseHTTPRequestHandler, status: int, headers: dict[str, str]) -> None:
    h.send_response(status)
    for key, value in headers.items():
        h.send_header(key, value)
    h.end_headers()


def respond(
    body: bytes | str = b"",
    status: int = 200,
    content_type: str = "text/html; charset=utf-8",
    **headers: str,
) -> Route:
    """An ordinary response; header names use underscores for dashes (Retry_After=...)."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    extra = {k.replace("_", "-"): v for k, v in headers.items()}

    def behaviour(h: BaseHTTPRequestHandler) -> None:
        _head(
            h,
            status,
            {"Content-Type": content_type, **extra, "Content-Length": str(len(data))},
        )
        h.wfile.write(data)

    return behaviour


def drip(
    body: bytes = b"<rss version='2.0'><channel>" + b" " * 10_000,
    interval: float = 0.5,
    headers_too: bool = False,
    limit: float = 30.0,
) -> Route:
    """One byte every ``interval`` seconds (of the body, or of the headers too)."""

    def behaviour(h: BaseHTTPRequestHandler) -> None:
        stop = time.monotonic() + limit
        if headers_too:
            raw = (
                b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                b"X-Padding: " + b"x" * 2000 + b"\r\n\r\n"
            )
            h.close_connection = True
            for i in range(len(raw)):
                if time.monotonic() > stop:
                    return
                h.wfile.write(raw[i : i + 1])
                h.wfile.flush()
                time.sleep(interval)
            return
        _head(h, 200, {"Content-Type": "application/rss+xml", "Content-Length": str(len(body))})
        h.wfile.flush()
        for i in range(len(body)):
            if time.monotonic() > stop:
                h.close_connection = True
                return
            h.wfile.write(body[i : i + 1])
            h.wfile.flush()
            time.sleep(interval)

    return behaviour


def endless(content_type: str = "text/html", limit: float = 30.0) -> Route:
    """A chunked body that never ends (until the client leaves or ``limit`` seconds pass)."""
    block = b"<p>" + b"all work and no play " * 3000 + b"</p>\n"

    def behaviour(h: BaseHTTPRequestHandler) -> None:
        _head(h, 200, {"Content-Type": content_type, "Transfer-Encoding": "chunked"})
        stop = time.monotonic() + limit
        h.close_connection = True
        while time.monotonic() < stop:
            h.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))

    return behaviour


def huge(size: int = 50_000_000, content_type: str = "text/html") -> Route:
    """A body of ``size`` bytes with an honest Content-Length, streamed."""
    block = b"<p>" + b"0123456789" * 6000 + b"</p>\n"

    def behaviour(h: BaseHTTPRequestHandler) -> None:
        _head(h, 200, {"Content-Type": content_type, "Content-Length": str(size)})
        sent = 0
        while sent < size:
            part = block[: size - sent]
            h.wfile.write(part)
            sent += len(part)

    return behaviour


@cache
def bomb_bytes(size: int = 200_000_000, encoding: str = "gzip") -> bytes:
    """``size`` bytes of nothing, compressed to about a thousandth of that."""
    if encoding == "gzip":
        z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    else:
        z = zlib.compressobj(9)
    block = b"\0" * 1_000_000
    out = [z.compress(block) for _ in range(size // len(block))]
    out.append(z.flush())
    return b"".join(out)


def gzip_bomb(size: int = 200_000_000, encoding: str = "gzip") -> Route:
    """A small compressed body that inflates to ``size`` bytes."""
    data = bomb_bytes(size, encoding)
    return respond(data, 200, "text/html", Content_Encoding=encoding)


def invalid_gzip() -> Route:
    """A body labelled gzip that is not."""
    return respond(os.urandom(4000), 200, "application/rss+xml", Content_Encoding="gzip")


def gzipped(body: bytes, content_type: str = "application/rss+xml") -> Route:
    """An honest gzip-encoded response."""
    return respond(gzip.compress(body), 200, content_type, Content_Encoding="gzip")


def redirect(to: str, status: int = 302) -> Route:
    """A redirect to ``to`` (a path on this server or a full URL)."""
    return respond(b"", status, "text/plain", Location=to)


def truncated(body: bytes, content_type: str = "application/rss+xml") -> Route:
    """Promises more bytes than it sends, then hangs up."""

    def behaviour(h: BaseHTTPRequestHandler) -> None:
        _head(h, 200, {"Content-Type": content_type, "Content-Length": str(len(body) * 2)})
        h.wfile.write(body)
        h.wfile.flush()
        h.close_connection = True

    return behaviour


def hang_up() -> Route:
    """Closes the connection without a response."""

    def behaviour(h: BaseHTTPRequestHandler) -> None:
        h.close_connection = True

    return behaviour


def refused_url() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed.xml"


# -- a whole workspace of traps ------------------------------------------------------------

ARTICLE = (
    "<!doctype html><html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
    + "<p>Tomatoes grow well in a small urban garden with six hours of sun each day.</p>" * 8
    + "</article></body></html>"
)

XSS_PAGE = (
    "<!doctype html><html><body><article><h1>Balcony</h1>"
    + "<p>Urban gardening on a balcony needs deep pots <script>alert(2)</script>.</p>" * 8
    + "<p><a href='javascript:alert(3)'>click</a><img src=x onerror=alert(4)></p>"
    + "</article></body></html>"
)

CONTACTS = """\
contacts:
  - name: Ada Gardener
    interests: [growing tomatoes, urban gardening, balcony]
"""

# Small limits so that every trap springs within a second or two.
SETTINGS = """\
connect_timeout: 2
read_timeout: 2
deadline: 2
max_feed_bytes: 2000000
max_page_bytes: 1000000
max_entries_per_feed: 50
extract_workers: 1
per_contact: 10
"""


def _rss_items(items: list[tuple[str, str, str]]) -> bytes:
    from email.utils import format_datetime
    from xml.sax.saxutils import escape

    when = format_datetime(datetime.now(UTC) - timedelta(hours=2))
    parts = [
        f"<item><title>{escape(t)}</title><link>{escape(link)}</link>"
        f"<description>{escape(d)}</description><pubDate>{when}</pubDate></item>"
        for t, link, d in items
    ]
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        + "".join(parts)
        + "</channel></rss>"
    ).encode()


def hostile_workspace(server: HostileServer, root: Path) -> dict[str, str]:
    """Write feeds.yaml, contacts.yaml and curator.yaml for a site full of traps.

    Returns {feed name: a fragment of the error the run must report for it}.
    """
    port = server.base.rsplit(":", 1)[1]
    rss_type = "application/rss+xml"
    good = [
        ("Growing tomatoes in a small garden", server.url("/a/tomatoes.html"), "Feed text."),
        # the same article again, with tracking parameters: one row, not two
        (
            "Growing tomatoes in a small garden",
            server.url("/a/tomatoes.html?utm_source=rss&utm_medium=feed"),
            "Feed text.",
        ),
        ("A PDF labelled as a page", server.url("/a/paper.html"), "Urban gardening summary."),
        ("An image labelled as a page", server.url("/a/image.html"), "Urban gardening photo."),
        ("A page that drips", server.url("/a/drip.html"), "Urban gardening, slowly."),
        ("A page that is a bomb", server.url("/a/bomb.html"), "Urban gardening, compressed."),
        ("A link to the intranet", f"http://localhost:{port}/a/secret.html", "Garden secrets."),
        (
            "<script>alert('title')</script> Urban gardening on a balcony",
            server.url("/a/xss.html"),
            "Garden <b>x</b>",
        ),
        ("Evil link", "javascript:alert(1)", "never taken"),
    ]
    server.route("/good.xml", respond(_rss_items(good), content_type=rss_type))
    server.route("/a/tomatoes.html", respond(ARTICLE.format(title="Growing tomatoes")))
    server.route("/a/xss.html", respond(XSS_PAGE))
    server.route("/a/paper.html", respond(b"%PDF-1.7\n" + b"\x00" * 2000))
    server.route("/a/image.html", respond(b"\x89PNG\r\n\x1a\n" + b"\x00" * 2000))
    server.route("/a/drip.html", drip(ARTICLE.encode(), interval=0.3))
    server.route("/a/bomb.html", gzip_bomb(50_000_000))
    server.route("/a/secret.html", respond(ARTICLE.format(title="secret")))
    many = [
        (f"Garden note {i}", server.url(f"/many/{i}"), f"Urban gardening note {i}.")
        for i in range(3000)
    ]
    server.route("/many.xml", respond(_rss_items(many), content_type=rss_type))
    traps = {
        "Drip": ("/drip.xml", drip(interval=0.3), "too slow"),
        "Endless": ("/endless.xml", endless(rss_type), "too large"),
        "Huge": ("/huge.xml", huge(20_000_000, rss_type), "too large"),
        "Bomb": ("/bomb.xml", gzip_bomb(50_000_000), "too large"),
        "Bad gzip": ("/badgzip.xml", invalid_gzip(), "invalid compressed body"),
        "Loop": ("/loop.xml", redirect("/loop2.xml"), "redirect loop"),
        "Missing": ("/missing.xml", respond(b"", 404), "HTTP 404"),
        "Broken": ("/broken.xml", respond(b"", 500), "HTTP 500"),
        "Busy": ("/busy.xml", respond(b"", 429, Retry_After="3600"), "HTTP 429"),
        "Gone": ("/gone.xml", respond(b"", 410), "HTTP 410"),
        "Web page": ("/page.xml", respond(ARTICLE.format(title="x")), "not a feed"),
        "Laughs": ("/laughs.xml", respond(LAUGHS, content_type=rss_type), ""),
    }
    server.route("/loop2.xml", redirect("/loop.xml"))
    feeds = [("Good", server.url("/good.xml")), ("Many", server.url("/many.xml"))]
    for name, (path, behaviour, _) in traps.items():
        feeds.append((name, server.route(path, behaviour)))
    feeds.append(("Refused", refused_url()))
    (root / "feeds.yaml").write_text(
        "feeds:\n" + "".join(f'  - url: "{url}"\n    name: {name}\n' for name, url in feeds)
    )
    (root / "contacts.yaml").write_text(CONTACTS)
    (root / "curator.yaml").write_text(SETTINGS)
    expected = {name: fragment for name, (_, _, fragment) in traps.items() if fragment}
    expected["Refused"] = "cannot connect"
    return expected


def laughs(title: str, link: str) -> bytes:
    """A billion-laughs feed: nine levels of entities that expand to 10**9 "lol"s."""
    return (
        b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>"""
        + title.encode()
        + b"""</title>
<item><title>Laughs &lol9;</title><link>"""
        + link.encode()
        + b"""</link>
<description>Body &lol9;</description></item></channel></rss>"""
    )


LAUGHS = laughs("Laughs", "/a/laughs.html")


if __name__ == "__main__":  # python tests/adversarial.py WORKSPACE [SECONDS]
    import sys

    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    with HostileServer() as srv:
        hostile_workspace(srv, target)
        print(f"serving traps at {srv.base} for workspace {target}", flush=True)
        time.sleep(float(sys.argv[2]) if len(sys.argv) > 2 else 600)
