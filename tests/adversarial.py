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
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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


if __name__ == "__main__":  # a server full of failures, for manual runs
    with HostileServer() as srv:
        srv.route("/drip.xml", drip())
        srv.route("/endless.xml", endless("application/rss+xml"))
        srv.route("/huge.xml", huge(content_type="application/rss+xml"))
        srv.route("/bomb.xml", gzip_bomb())
        srv.route("/badgzip.xml", invalid_gzip())
        srv.route("/loop.xml", redirect("/loop2.xml"))
        srv.route("/loop2.xml", redirect("/loop.xml"))
        print(srv.base, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
