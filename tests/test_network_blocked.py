"""Tests run with the network blocked except localhost (pytest-socket, configured in pyproject)."""

from __future__ import annotations

import socket

import pytest
from pytest_socket import SocketConnectBlockedError


def test_outside_connections_are_blocked() -> None:
    with pytest.raises(SocketConnectBlockedError), socket.create_connection(("93.184.216.34", 80), timeout=2):
        pass


def test_localhost_is_allowed() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    try:
        with socket.create_connection(server.getsockname(), timeout=2):
            pass
    finally:
        server.close()
