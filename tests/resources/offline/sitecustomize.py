"""Put on PYTHONPATH of a subprocess to forbid any network connection except to localhost.

Every refused attempt is appended to the file named by NET_BLOCK_LOG, so a test can assert
that the app never tried.
"""

import os
import socket

_ALLOWED = ("127.", "::1", "localhost", "0.0.0.0")
_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex


def _check(address: object) -> None:
    host = address[0] if isinstance(address, tuple) else str(address)
    if isinstance(host, str) and (host.startswith(_ALLOWED) or self_is_unix(address)):
        return
    log = os.environ.get("NET_BLOCK_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(f"{host}\n")
    raise OSError(f"network blocked by tests: {host}")


def self_is_unix(address: object) -> bool:
    return isinstance(address, (str, bytes))


def connect(self: socket.socket, address: object) -> None:
    _check(address)
    return _connect(self, address)


def connect_ex(self: socket.socket, address: object) -> int:
    _check(address)
    return _connect_ex(self, address)


socket.socket.connect = connect  # type: ignore[method-assign]
socket.socket.connect_ex = connect_ex  # type: ignore[method-assign]
