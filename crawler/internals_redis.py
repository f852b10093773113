"""Every use of scrapy-redis beyond its documented settings, in one place (pinned in
pyproject.toml; tests/test_internals.py fails when it moves).

The shared scheduler (crawler/distributed.py) pops and pushes requests with its own Lua
scripts (atomic pop-to-in-flight, dupe mark plus push), so it needs the bytes scrapy-redis
stores for a request. scrapy-redis has no public call for that; its queues'
`_encode_request`/`_decode_request` are private. This does the same with public pieces:
Scrapy's `Request.to_dict` / `scrapy.utils.request.request_from_dict` and the queue's
`serializer` (the constructor argument every scrapy-redis queue keeps as an attribute).
"""
from __future__ import annotations

from scrapy.utils.request import request_from_dict


def encode_request(queue, request, spider) -> bytes:
    return queue.serializer.dumps(request.to_dict(spider=spider))


def decode_request(queue, data: bytes, spider):
    return request_from_dict(queue.serializer.loads(data), spider=spider)
