"""No network in tests: sockets may reach loopback and AF_UNIX only.

The test session imports this file, and puts its folder first on PYTHONPATH so that every Python subprocess
(the CLI, torchrun workers, build jobs) loads it at start-up as ``sitecustomize``. A connection or name lookup
elsewhere raises :class:`NetworkBlocked` (not an ``OSError``, so no library can mistake it for a flaky network
and carry on). Fetching is the install step's job (``scripts/install.sh``), never a test's.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import sys

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class NetworkBlocked(RuntimeError):
    """A test tried to reach a network."""


def _local_names() -> set[str]:
    names = set(LOOPBACK_NAMES)
    with contextlib.suppress(OSError):  # the machine's own name resolves locally; torch.distributed asks for it
        names.add(socket.gethostname().lower())
    return names


def _is_local(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]").split("%", 1)[0].lower()
    if host in ("", *_local_names()):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified  # 0.0.0.0 / :: mean this host


def _check(family, address) -> None:
    if family == getattr(socket, "AF_UNIX", object()) or not isinstance(address, tuple):
        return
    if not _is_local(address[0]):
        raise NetworkBlocked(f"network access is blocked in tests: connection to {address!r}")


def install() -> None:
    """Guard this process (idempotent)."""
    if getattr(socket.socket, "_audio_omni_guarded", False):
        return
    connect, connect_ex, sendto, getaddrinfo = (
        socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto, socket.getaddrinfo)

    def guarded_connect(self, address):
        _check(self.family, address)
        return connect(self, address)

    def guarded_connect_ex(self, address):
        _check(self.family, address)
        return connect_ex(self, address)

    def guarded_sendto(self, data, *args):
        _check(self.family, args[-1])
        return sendto(self, data, *args)

    def guarded_getaddrinfo(host, *args, **kwargs):
        if not _is_local(host):
            raise NetworkBlocked(f"network access is blocked in tests: name lookup of {host!r}")
        return getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = guarded_connect
    socket.socket.connect_ex = guarded_connect_ex
    socket.socket.sendto = guarded_sendto
    socket.getaddrinfo = guarded_getaddrinfo
    socket.socket._audio_omni_guarded = True


def _chain_next_sitecustomize() -> None:
    """Run the sitecustomize this file shadows (a distribution's), if there is one further down the path."""
    here = os.path.dirname(os.path.abspath(__file__))
    for entry in sys.path:
        candidate = os.path.join(entry or os.getcwd(), "sitecustomize.py")
        if os.path.abspath(entry or os.getcwd()) != here and os.path.isfile(candidate):
            with open(candidate, encoding="utf-8") as f:
                exec(compile(f.read(), candidate, "exec"), {"__name__": "sitecustomize", "__file__": candidate})
            return


if os.environ.get("AUDIO_OMNI_NETWORK_GUARD") == "1":
    install()
    if __name__ == "sitecustomize":
        _chain_next_sitecustomize()
