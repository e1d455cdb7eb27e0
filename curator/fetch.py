"""The only module that talks to the network: bounded, polite HTTP GETs and file reads.

Every request has a connect timeout, a read timeout and a total deadline (a server that
drips one byte at a time cannot hold a run), a cap on bytes counted after decompression
(gzip bombs), a cap on redirects, verified TLS, and a guard that keeps links found in feeds
away from private addresses.
"""

from __future__ import annotations

import http.cookiejar
import ipaddress
import mimetypes
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

import httpcore
import httpx

from curator import __version__
from curator.errors import FetchError

DEFAULT_USER_AGENT = (
    f"curator/{__version__} (personal feed reader; +https://pypi.org/project/curator/)"
)


@dataclass
class Response:
    """What a GET returned: final URL, status, headers and the decoded body bytes."""

    url: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    moved_to: str | None = None  # where a permanent redirect says the resource now lives

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        for part in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = part.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return value.strip().strip("\"'")
        return None


class HTTPStatusError(FetchError):
    """A response with an error status; carries the status and any Retry-After."""

    def __init__(
        self,
        message: str,
        status: int,
        retry_after: float | None = None,
        location: str | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.location = location


class TooSlow(FetchError):
    """A request that ran out of time; it counts against its host."""


@dataclass(frozen=True)
class Limits:
    """The bounds every request obeys."""

    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    deadline: float = 30.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    per_host: int = 2
    concurrency: int = 8
    host_strikes: int = 3  # requests to a host that may run out of time before it is skipped


def _ip(address: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        return ip.ipv4_mapped
    return ip


# Cloud metadata services (AWS, GCP and Azure; AWS over IPv6; ECS tasks; Alibaba): they
# hand out credentials to whatever asks, so no setting lets curator reach them.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200")
)


# Names that cloud providers resolve to their metadata service.
METADATA_NAMES = frozenset(
    {"metadata.google.internal", "metadata.goog", "instance-data", "instance-data.ec2.internal"}
)


def literal_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host is written as, in any spelling a resolver accepts (``127.1``,
    ``2130706433``, ``0x7f.0.0.1``, ``[::ffff:127.0.0.1]``), or None for a name."""
    host = host.strip().strip("[]").rstrip(".")
    try:
        return _ip(host)
    except ValueError:
        pass
    if host and all(c in "0123456789abcdefxABCDEFX." for c in host) and host[0].isdigit():
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def is_metadata(host: str) -> bool:
    """Whether a host (a name or an address) is a cloud metadata service."""
    ip = literal_ip(host)
    return ip in METADATA_ADDRESSES if ip else host_key(host) in METADATA_NAMES


def host_key(host: str) -> str:
    """A host as the private-address rule compares it: lower case, no brackets or final
    dot, and an IP address in its one canonical spelling."""
    ip = literal_ip(host)
    return str(ip) if ip else host.strip().lower().strip("[]").rstrip(".")


Origin = tuple[str, str, int]  # scheme, host, port: what a feed's exemption covers


def origin(url: str) -> Origin | None:
    """The scheme, host and port of an http(s) URL, default ports filled in; else None."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    return scheme, host_key(parts.hostname), port or (443 if scheme == "https" else 80)


def _blocked_address(address: str) -> bool:
    ip = _ip(address)
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


def is_private(address: str) -> bool:
    """Whether an address is loopback, private, link-local or otherwise not public."""
    return _blocked_address(address)


# getaddrinfo has no timeout of its own and a dead DNS server can hold it for half a
# minute or more, so each name is resolved on a daemon thread and waited for with a
# limit (daemon: a resolver that never answers must not hold the process at exit).
DNS_TIMEOUT = 10.0


def resolve(host: str, timeout: float | None = None) -> list[str]:
    """The addresses ``host`` resolves to, within ``timeout`` seconds (and the deadline)."""
    limit = _clamp(timeout or DNS_TIMEOUT, FetchError) or DNS_TIMEOUT
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["infos"] = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
        except BaseException as exc:  # handed to the waiting thread below
            box["error"] = exc

    worker = threading.Thread(target=work, name="curator-dns", daemon=True)
    worker.start()
    worker.join(limit)
    if worker.is_alive():  # counts against the host, as a server that never answers does
        raise TooSlow(f"cannot resolve {host}: no answer within {limit:.3g} s")
    error = box.get("error")
    if isinstance(error, OSError | UnicodeError):
        raise FetchError(f"cannot resolve {host}: {error}")
    if error is not None:
        raise error
    addresses = list(dict.fromkeys(str(info[4][0]) for info in box["infos"]))
    if not addresses:
        raise FetchError(f"cannot resolve {host}")
    return addresses


# Resolves a host name within a timeout: resolve itself, or a Fetcher's Addresses.
Lookup = Callable[[str, float | None], list[str]]


class Addresses:
    """Host names resolved once per Fetcher, that is once a run.

    A page on another site than its feed's was looked up on a new thread to check it,
    and again for every new connection to it. Kept here, the addresses dialled are the
    very ones checked. Only answers are kept: a name that failed to resolve, or did not
    resolve in time, is asked again by the next request that needs it.
    """

    def __init__(self) -> None:
        self._known: dict[str, list[str]] = {}

    def __call__(self, host: str, timeout: float | None = None) -> list[str]:
        key = host.lower()
        addresses = self._known.get(key)
        if addresses is None:
            addresses = self._known[key] = resolve(host, timeout)
        return addresses


# In every refusal by the private-address rule; the run counts them by it.
PRIVATE_REFUSAL = "resolves to a private address"


def _refuse_metadata(host: str, addresses: list[str]) -> None:
    for address in addresses:
        if is_metadata(address):
            raise FetchError(f"refused: {host} is a cloud metadata address ({address})")


def _refuse_private(host: str, addresses: list[str], allowed: frozenset[str] = frozenset()) -> None:
    _refuse_metadata(host, addresses)
    if host_key(host) in allowed:
        return
    for address in addresses:
        if _blocked_address(address):
            raise FetchError(
                f"refused: {host} {PRIVATE_REFUSAL} ({address}); to allow it, "
                f"add {host_key(host)} to allow_private_hosts in curator.yaml"
            )


def check_public(
    url: str,
    allowed_origin: Origin | None = None,
    lookup: Lookup = resolve,
    allowed_hosts: frozenset[str] = frozenset(),
) -> None:
    """Refuse a URL whose host resolves to a loopback, private, link-local or metadata address.

    ``allowed_origin`` (scheme, host and port of a feed the user listed) is exempt, so a
    user's own local feed and its pages still work, and so are ``allowed_hosts`` (the
    allow_private_hosts setting), except for metadata addresses. ``lookup`` resolves the
    host (a Fetcher's ``Addresses``, to resolve each host once).
    """
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        raise FetchError(f"no host in {url!r}")
    if allowed_origin is not None and origin(url) == allowed_origin:
        return
    _refuse_private(host, lookup(host, None), allowed_hosts)


# The request in progress on this thread: its total deadline and, when the private-address
# rule applies, the (host, port) exempt from it (None: none) and the hosts the user
# allows; no rule at all for a feed's own listed address. httpx
# has per-read timeouts only, so the network backend below clamps every connect, read
# and write to what is left of the deadline: a server dripping one byte at a time, in
# the headers or the body, is cut off on time.
_request = threading.local()


def _clamp(timeout: float | None, error: type[Exception]) -> float | None:
    deadline = getattr(_request, "deadline", None)
    if deadline is None:
        return timeout
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise error("total deadline passed")
    return remaining if timeout is None else min(timeout, remaining)


class _BoundedStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(
            ssl_context, server_hostname, _clamp(timeout, httpcore.ConnectTimeout)
        )
        return _BoundedStream(inner)

    def get_extra_info(self, info: str) -> object:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.SyncBackend):
    def __init__(self, lookup: Lookup = resolve):
        self._lookup = lookup

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        # Resolved here, within the limits, and the addresses dialled are the ones
        # checked: a name that looks public when checked and resolves privately when
        # connecting (DNS rebinding) still cannot reach the user's network.
        addresses = self._lookup(host, _clamp(timeout, httpcore.ConnectTimeout))
        _refuse_metadata(host, addresses)
        rule = getattr(_request, "guard", None)
        if rule is not None:
            exempt, allowed = rule
            if exempt != (host_key(host), port):
                _refuse_private(host, addresses, allowed)
        for i, address in enumerate(addresses):
            try:
                stream = super().connect_tcp(
                    address,
                    port,
                    _clamp(timeout, httpcore.ConnectTimeout),
                    local_address,
                    socket_options,
                )
                return _BoundedStream(stream)
            except httpcore.ConnectError:
                if i == len(addresses) - 1:
                    raise
        raise httpcore.ConnectError(f"no address for {host}")


@cache
def _verified_tls() -> ssl.SSLContext:
    """httpx's verified TLS context (certifi roots, hostname checks); built once, shared."""
    return httpx.create_ssl_context(verify=True, trust_env=False)


def _transport(limits: Limits, lookup: Lookup = resolve) -> httpx.HTTPTransport:
    """httpx's transport with verified TLS, on a pool that uses the bounded backend."""
    transport = httpx.HTTPTransport(verify=_verified_tls(), trust_env=False)
    # httpx does not take a network backend, so its pool is rebuilt with ours.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=_verified_tls(),
        max_connections=limits.concurrency,
        max_keepalive_connections=limits.concurrency,
        keepalive_expiry=5.0,
        http1=True,
        http2=False,
        network_backend=_Backend(lookup),
    )
    return transport


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


class _Decoder:
    """Streams gzip/deflate decompression with an output cap, so bombs stop early."""

    def __init__(self, encoding: str):
        encoding = encoding.strip().lower()
        if encoding in ("gzip", "x-gzip"):
            self.z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self.z = zlib.decompressobj()
            self.raw_deflate = True
        elif encoding in ("", "identity"):
            self.z = None
        else:
            raise FetchError(f"unsupported content encoding {encoding!r}")
        self.first = True

    def feed(self, chunk: bytes, room: int) -> bytes:
        if self.z is None:
            return chunk[: room + 1]
        try:
            if self.first and getattr(self, "raw_deflate", False):
                self.first = False
                try:
                    probe = zlib.decompressobj()
                    out = probe.decompress(chunk, room + 1)
                    self.z = probe
                    return out
                except zlib.error:
                    self.z = zlib.decompressobj(-zlib.MAX_WBITS)
            return self.z.decompress(self.z.unconsumed_tail + chunk, room + 1)
        except zlib.error as exc:
            raise FetchError(f"invalid compressed body ({exc})") from None


class Fetcher:
    """A shared HTTP client with per-host politeness; thread-safe."""

    def __init__(
        self,
        limits: Limits | None = None,
        user_agent: str = "",
        allow_private_hosts: Iterable[str] = (),
    ):
        self.limits = limits or Limits()
        self.user_agent = user_agent or DEFAULT_USER_AGENT
        # hosts on the user's network that links may reach; never a metadata address
        self.allowed_hosts = frozenset(
            host_key(h) for h in allow_private_hosts if not is_metadata(h)
        )
        self._hosts: dict[str, threading.Semaphore] = {}
        self._hosts_lock = threading.Lock()
        self._strikes: dict[str, int] = {}  # requests per host that ran out of time
        self.requests = 0
        self.addresses = Addresses()  # each host resolved once a run
        self.client = httpx.Client(
            transport=_transport(self.limits, self.addresses),
            verify=True,
            follow_redirects=False,
            trust_env=False,
            cookies=_no_cookies(),
            timeout=httpx.Timeout(self.limits.read_timeout, connect=self.limits.connect_timeout),
            headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip, deflate"},
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _host_slot(self, host: str) -> threading.Semaphore:
        with self._hosts_lock:
            if host not in self._hosts:
                self._hosts[host] = threading.Semaphore(self.limits.per_host)
            return self._hosts[host]

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = "*/*",
        max_bytes: int | None = None,
        guard: bool = False,
        allowed_origin: str | None = None,
        file_root: Path | None = None,
    ) -> Response:
        """GET a URL within the limits; raise FetchError (or HTTPStatusError) on failure.

        ``guard`` applies the private-address check to the URL and each redirect; without
        it the URL itself (a feed the user listed) is trusted, and only its redirects are
        checked. ``allowed_origin`` (a listed feed's URL) exempts that feed's scheme, host
        and port, for as long as every hop stays there. ``file_root`` permits file://
        URLs, which must lie under that folder.
        """
        max_bytes = max_bytes or self.limits.max_bytes
        try:
            scheme = urlsplit(url).scheme.lower()
        except ValueError as exc:
            raise FetchError(f"bad address: {exc}") from None
        if scheme == "file":
            if file_root is None:
                raise FetchError("file:// links are only followed for feeds you listed")
            return read_file(url, max_bytes, file_root)
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        deadline = time.monotonic() + self.limits.deadline
        _request.deadline = deadline
        try:
            return self._follow(url, headers, deadline, max_bytes, guard, allowed_origin)
        except (ValueError, UnicodeError, OSError, httpx.InvalidURL, httpx.HTTPError) as exc:
            # a malformed link or Location header must be one more failed request,
            # never an exception that stops the run
            raise FetchError(f"bad address: {_short(exc)}") from None
        finally:
            _request.deadline = _request.guard = None

    def _follow(
        self,
        url: str,
        headers: dict[str, str],
        deadline: float,
        max_bytes: int,
        guard: bool,
        allowed_origin: str | None,
    ) -> Response:
        seen: list[str] = []
        moved_to: str | None = None
        permanent = True  # every hop so far was a permanent redirect
        # The one origin exempt from the private-address rule: the listed feed's, and
        # only while every hop stays on it (a redirect from elsewhere earns nothing).
        exempt = origin(allowed_origin) if allowed_origin else (None if guard else origin(url))
        for _hop in range(self.limits.max_redirects + 1):
            if urlsplit(url).scheme.lower() not in ("http", "https"):
                raise FetchError(f"refused: only http(s) links are followed, not {url[:80]!r}")
            if exempt is not None and origin(url) != exempt:
                exempt = None
            if guard or seen:
                host = (urlsplit(url).hostname or "").lower()
                self._check_strikes(host)
                try:
                    check_public(url, exempt, self.addresses, self.allowed_hosts)
                except TooSlow:
                    self._strike(host)
                    raise
                _request.guard = (exempt[1:] if exempt else None, self.allowed_hosts)
            seen.append(url)
            response = self._get_once(url, headers, deadline, max_bytes)
            if response.status in (301, 302, 303, 307, 308) and "location" in response.headers:
                target = urljoin(url, response.headers["location"].strip())
                if target in seen:
                    raise FetchError(f"redirect loop at {target}")
                permanent = permanent and response.status in (301, 308)
                if permanent:
                    moved_to = target
                url = target
                continue
            response.moved_to = moved_to
            if response.status == 304:
                return response
            if response.status >= 400:
                raise HTTPStatusError(
                    f"HTTP {response.status}",
                    response.status,
                    retry_after=_retry_after(response.headers.get("retry-after")),
                )
            if response.status >= 300:
                raise FetchError(f"HTTP {response.status} without a usable Location")
            return response
        raise FetchError(f"more than {self.limits.max_redirects} redirects")

    def _get_once(
        self, url: str, headers: dict[str, str], deadline: float, max_bytes: int
    ) -> Response:
        host = (urlsplit(url).hostname or "").lower()
        self._check_strikes(host)
        with self._host_slot(host):
            self._check_strikes(host)  # it may have struck out while this one waited
            try:
                return self._transfer(url, headers, deadline, max_bytes)
            except TooSlow:
                self._strike(host)
                raise

    def _strike(self, host: str) -> None:
        with self._hosts_lock:
            self._strikes[host] = self._strikes.get(host, 0) + 1

    def _check_strikes(self, host: str) -> None:
        # A tarpit host with 200 new articles would otherwise cost 200 deadlines in turn.
        if self._strikes.get(host, 0) >= self.limits.host_strikes:
            raise FetchError(
                f"skipped: {host} ran out of time {self.limits.host_strikes} times in this run"
            )

    def _transfer(
        self, url: str, headers: dict[str, str], deadline: float, max_bytes: int
    ) -> Response:
        if deadline - time.monotonic() <= 0:
            raise TooSlow(f"gave up after {self.limits.deadline:g} s")
        self.requests += 1
        try:
            with self.client.stream("GET", url, headers=headers) as r:
                out = Response(
                    url=str(r.url),
                    status=r.status_code,
                    headers={k.lower(): v for k, v in r.headers.items()},
                )
                if r.status_code != 200:
                    return out
                decoder = _Decoder(r.headers.get("content-encoding", ""))
                parts: list[bytes] = []
                size = 0
                # iter_raw() without a size yields each read as it arrives; with a
                # size it would buffer, and a drip would never reach the checks below.
                for chunk in r.iter_raw():
                    data = decoder.feed(chunk, max_bytes - size)
                    size += len(data)
                    if size > max_bytes:
                        raise FetchError(f"too large (over {max_bytes // 1000:,} kB)")
                    parts.append(data)
                    if time.monotonic() > deadline:
                        raise TooSlow(
                            f"too slow: no full response within {self.limits.deadline:g} s"
                        )
                out.body = b"".join(parts)
                return out
        except httpx.TimeoutException as exc:
            if time.monotonic() >= deadline - 0.01:
                raise TooSlow(
                    f"too slow: no full response within {self.limits.deadline:g} s"
                ) from None
            kind = "connect" if isinstance(exc, httpx.ConnectTimeout) else "read"
            raise TooSlow(f"timed out ({kind})") from None
        except httpx.ConnectError as exc:
            raise FetchError(f"cannot connect: {_short(exc)}") from None
        except httpx.HTTPError as exc:
            raise FetchError(f"{type(exc).__name__}: {_short(exc)}") from None


def _no_cookies() -> http.cookiejar.CookieJar:
    """A cookie jar that keeps nothing: a cookie one site sets is never sent back."""
    return http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))


def _short(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text.splitlines()[0][:200]


def read_file(url: str, max_bytes: int, root: Path) -> Response:
    """Read a file:// URL, which must lie under ``root``, with the same byte cap."""
    parts = urlsplit(url)
    path = Path(url2pathname(unquote(parts.path))).resolve()
    if not path.is_relative_to(root.resolve()):
        raise FetchError(f"refused: {path} is outside {root}")
    try:
        with path.open("rb") as fh:
            body = fh.read(max_bytes + 1)
    except OSError as exc:
        raise FetchError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(body) > max_bytes:
        raise FetchError(f"too large (over {max_bytes // 1000:,} kB)")
    kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    if path.suffix.lower() in (".rss", ".atom", ".xml"):
        kind = "application/xml"
    return Response(url=path.as_uri(), status=200, body=body, headers={"content-type": kind})
