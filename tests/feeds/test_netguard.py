"""The SSRF guard: private and special addresses refused after resolution, allow-list honoured."""

from __future__ import annotations

import socket
import threading

import httpx
import pytest

from monitor.netguard import BlockedAddressError, check_ip, check_url, guarded_client


@pytest.mark.parametrize(
    "address",
    ["10.0.0.1", "172.16.5.4", "192.168.1.1", "127.0.0.2", "169.254.169.254", "100.64.0.1", "0.0.0.0",
     "224.0.0.1", "::1", "fd00::1", "fe80::1", "::ffff:10.0.0.1", "198.18.0.1", "240.0.0.1"],
)
def test_special_addresses_are_refused(make_settings, address: str) -> None:
    with pytest.raises(BlockedAddressError):
        check_ip(address, make_settings(allowed_networks=[]))


def test_public_address_and_allow_list(make_settings) -> None:
    check_ip("93.184.216.34", make_settings(allowed_networks=[]))
    settings = make_settings(allowed_networks=["127.0.0.1/32"])
    check_ip("127.0.0.1", settings)
    with pytest.raises(BlockedAddressError, match=r"loopback"):
        check_ip("127.0.0.2", settings)


def test_check_url_uses_resolution_and_refuses_any_private_answer(make_settings) -> None:
    settings = make_settings(allowed_networks=["127.0.0.1/32"])
    asked: list[tuple[str, int]] = []

    def resolver(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return ["93.184.216.34", "10.0.0.1"]

    with pytest.raises(BlockedAddressError, match=r"10.0.0.1"):
        check_url("https://news.example.com/feed", settings, resolver)
    assert asked == [("news.example.com", 443)]
    check_url("http://news.example.com/feed", settings, lambda h, p: ["93.184.216.34"])
    with pytest.raises(BlockedAddressError, match=r"http and https"):
        check_url("file:///etc/passwd", settings)
    with pytest.raises(BlockedAddressError, match=r"metadata"):
        check_url("http://169.254.169.254/latest/meta-data", settings)


def test_guarded_client_refuses_before_connecting(make_settings, feed_server) -> None:
    feed_server.add("/f", b"hello")
    settings = make_settings(allowed_networks=["127.0.0.1/32"])
    # The resolver says the host is 10.0.0.1: refused before any connection is made.
    with guarded_client(settings, resolver=lambda h, p: ["10.0.0.1"]) as client, \
            pytest.raises(BlockedAddressError, match=r"10.0.0.1"):
        client.get(f"http://feeds.test:{feed_server.port}/f")
    assert feed_server.hits == []
    with guarded_client(settings) as client:
        assert client.get(feed_server.url("/f")).text == "hello"
        # A redirect hop to a refused address is checked too.
        feed_server.add("/r", redirect_to=f"http://127.0.0.2:{feed_server.port}/f")
        with pytest.raises(BlockedAddressError):
            client.get(feed_server.url("/r"), follow_redirects=True)


def test_guarded_client_checks_the_connected_peer(make_settings, feed_server) -> None:
    # DNS said "public" (the stand-in resolver), but the connection really reached 127.0.0.1,
    # which is not allowed here: the peer check catches the rebinding.
    feed_server.add("/f", b"hello")
    settings = make_settings(allowed_networks=[])
    transport = httpx.HTTPTransport()
    with guarded_client(settings, resolver=lambda h, p: ["93.184.216.34"], transport=transport) as client:
        request_url = feed_server.url("/f").replace("127.0.0.1", "localhost")
        with pytest.raises(BlockedAddressError, match=r"127.0.0.1|::1"):
            client.get(request_url)


def test_nothing_is_sent_to_a_refused_address_reached_after_the_check(make_settings) -> None:
    # DNS (the stand-in resolver) says "public", but the connection itself resolves the name
    # again and reaches 127.0.0.1, which is not allowed: the connection is refused right after
    # connect, before a byte of the request (its body could be an alert) is written.
    received: list[bytes] = []
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    server.settimeout(5)
    port = server.getsockname()[1]

    def serve() -> None:
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            conn.settimeout(2)
            try:
                while chunk := conn.recv(4096):
                    received.append(chunk)
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    settings = make_settings(allowed_networks=[])
    try:
        with guarded_client(settings, resolver=lambda h, p: ["93.184.216.34"]) as client, \
                pytest.raises(BlockedAddressError, match=r"127.0.0.1|::1"):
            client.post(f"http://localhost:{port}/hook", content=b'{"alert":"secret"}')
    finally:
        thread.join(timeout=5)
        server.close()
    assert b"".join(received) == b""
