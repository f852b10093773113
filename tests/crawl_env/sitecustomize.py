"""Test harness for crawl subprocesses (put this folder on PYTHONPATH).

NIANBAO_TEST_BLOCK_IMPORTS="scrapy_redis,redis": those packages cannot be imported,
as in a plain install without the extras.

NIANBAO_TEST_FAKE_DNS='{"name": "address" | ["first", "then", ...]}': a resolver
override. Names resolve to these addresses (a list: one per lookup, the last one
repeated: DNS rebinding). NIANBAO_TEST_ROUTE_TO_LOOPBACK="1.2.3.4,...": connections to
these (public) addresses reach 127.0.0.1 on the same port, so a portal served on
loopback can play a public host.
"""
import json
import os
import socket
import sys

_blocked = {m for m in os.environ.get("NIANBAO_TEST_BLOCK_IMPORTS", "").split(",") if m}
if _blocked:
    class _Blocker:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in _blocked:
                raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)", name=name)
            return None

    sys.meta_path.insert(0, _Blocker())

_fake = json.loads(os.environ.get("NIANBAO_TEST_FAKE_DNS") or "{}")
if _fake:
    _lookups: dict = {}
    _real_gethostbyname = socket.gethostbyname
    _real_getaddrinfo = socket.getaddrinfo

    def _address(name):
        answer = _fake.get(name)
        if answer is None:
            return None
        if isinstance(answer, list):
            n = _lookups.get(name, 0)
            _lookups[name] = n + 1
            return answer[min(n, len(answer) - 1)]
        return answer

    def gethostbyname(name):
        return _address(name) or _real_gethostbyname(name)

    def getaddrinfo(host, port, *args, **kwargs):
        address = _address(host) if isinstance(host, str) else None
        return _real_getaddrinfo(address or host, port, *args, **kwargs)

    socket.gethostbyname = gethostbyname
    socket.getaddrinfo = getaddrinfo

_routed = {a for a in os.environ.get("NIANBAO_TEST_ROUTE_TO_LOOPBACK", "").split(",") if a}
if _routed:
    def _route(address):
        if isinstance(address, tuple) and address and address[0] in _routed:
            return ("127.0.0.1", *address[1:])
        return address

    _connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex
    socket.socket.connect = lambda self, address: _connect(self, _route(address))
    socket.socket.connect_ex = lambda self, address: _connect_ex(self, _route(address))
