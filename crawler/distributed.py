"""Scale-out: several crawler processes share one crawl through Redis (scrapy-redis).

`nianbao crawl --redis redis://HOST:PORT/DB` in two (or more) processes, with the
same `--db`/`--archive`, makes them one crawl:

* **one queue, one dupe filter** (scrapy-redis's priority queue and fingerprint
  set), keyed per crawl: ``nianbao:<crawl key>:<spider>:…`` where the crawl key
  is ``NIANBAO_CRAWL_KEY`` (setting or environment) or else a hash of the
  database's absolute path — unrelated crawls on one Redis never mix. Every
  process seeds the same start URLs; the shared dupe filter drops the repeats,
  so each page is fetched once by whichever process pops it.
* **a membership list** (``…:workers``, a hash of worker → heartbeat and
  requests in flight). The first worker of a crawl (no live member) clears what
  a dead crawl left in Redis; the last one to leave deletes the crawl's keys, so
  tonight's crawl does not find yesterday's fingerprints. Nobody else flushes
  (``SCHEDULER_PERSIST`` stays on): one process finishing early must not wipe
  the queue the others are working from.
* **closing when the crawl is done, not when the local queue is**: an idle
  process stays open while the shared queue has requests or another live
  worker still has requests in flight (its pages may add more), and closes once
  everything has been quiet for ``NIANBAO_REDIS_IDLE_GRACE`` seconds. A worker
  whose heartbeat is older than ``NIANBAO_REDIS_WORKER_TIMEOUT`` (killed) is
  ignored. Nothing blocks the reactor: no BRPOP (``SCHEDULER_IDLE_BEFORE_CLOSE``
  stays 0).
* **politeness across processes**: the rule of one process (one request in
  flight per host, the next one DOWNLOAD_DELAY after the previous *answer*,
  crawler/politeness.py) holds for all of them together. Every download takes
  its host in Redis before it is sent (``nianbao:polite:<host>``, atomic Lua
  scripts on the Redis clock) and gives it back when its answer or failure
  arrives; the next send, in any process, waits for that plus the delay, and
  the request that waited longest goes first. A waiting request sleeps until
  the earliest time the host can be free (an answer restarts the delay, so at
  least the delay while it is on the wire) before it asks again. A hold is a
  lease renewed every second while its download lasts, so a killed worker
  frees its hosts when it is declared dead (``NIANBAO_REDIS_WORKER_TIMEOUT``).
  Reserving the send time instead let another process in 1 s after the
  *send*: 0.8 s after a 0.2 s answer, or during a slow one.
* **fair sharing**: a process only pops from the shared queue while its own
  backlog (requests popped but not yet on the wire) is small, so one process
  does not hoard a single portal's pages that another could fetch in turn.

Requests go through Redis pickled with their meta (``scrapy.utils.request``'s
``request_to_dict``: callbacks by name); the spiders' meta is plain data.

The archive side needs no coordination beyond SQLite's: both processes append
to their own WARC files (the name carries the pid; recovery leaves the files of
live writers alone) and insert `captures` rows into the one WAL database, and
extraction at the end runs under a file lock and claims each capture in the
transaction that writes its `documents` row, so no report is written twice.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import socket
import time
from pathlib import Path

from scrapy import signals
from scrapy.core.downloader import Downloader
from scrapy.exceptions import DontCloseSpider

logger = logging.getLogger(__name__)

DEFAULT_IDLE_GRACE = 3.0        # seconds the whole crawl must look finished before a process closes
DEFAULT_WORKER_TIMEOUT = 30.0   # a heartbeat older than this is a dead worker
DEFAULT_PREFETCH = 4            # local backlog (popped, not yet sent) above which we leave the queue to others
HEARTBEAT_INTERVAL = 1.0


def distributed_settings(redis_url: str, crawl_key: str | None = None) -> dict:
    """Scrapy settings that make this process one worker of a shared Redis crawl."""
    settings = {
        "REDIS_URL": redis_url,
        "SCHEDULER": "nianbao.crawler.distributed.SharedScheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.PriorityQueue",
        # The last worker to leave deletes the crawl's keys (see SharedScheduler.close);
        # scrapy-redis's own flush-on-close would wipe the queue under the others' feet.
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_FLUSH_ON_START": False,
        "SCHEDULER_IDLE_BEFORE_CLOSE": 0,   # never BRPOP on the reactor thread
        "DOWNLOADER": "nianbao.crawler.distributed.SharedPolitenessDownloader",
        "NIANBAO_REDIS_IDLE_GRACE": DEFAULT_IDLE_GRACE,
        "NIANBAO_REDIS_WORKER_TIMEOUT": DEFAULT_WORKER_TIMEOUT,
        "NIANBAO_REDIS_PREFETCH": DEFAULT_PREFETCH,
    }
    key = crawl_key or os.environ.get("NIANBAO_CRAWL_KEY")
    if key:
        settings["NIANBAO_CRAWL_KEY"] = key
    return settings


def crawl_key(settings) -> str:
    """The crawl's name in Redis: NIANBAO_CRAWL_KEY, else a hash of the database path."""
    key = settings.get("NIANBAO_CRAWL_KEY") or os.environ.get("NIANBAO_CRAWL_KEY")
    if not key:
        db = str(Path(settings.get("NIANBAO_DB") or "data/nianbao.db").resolve())
        key = "db-" + hashlib.sha1(db.encode("utf-8")).hexdigest()[:16]
    # scrapy-redis %-formats its keys; keep ours free of format characters
    return re.sub(r"[^A-Za-z0-9_.:-]", "_", key)


def _redis(settings):
    from scrapy_redis.connection import get_redis_from_settings

    return get_redis_from_settings(settings)


def _sleep(seconds: float):
    """An awaitable that fires after `seconds` on the running reactor."""
    from twisted.internet import defer, reactor
    from scrapy.utils.defer import maybe_deferred_to_future

    d = defer.Deferred()
    reactor.callLater(seconds, d.callback, None)
    return maybe_deferred_to_future(d)


# -- scheduler: shared queue + dupe filter, membership, idle handling -----------------

# Every script first forgets the workers whose heartbeat stopped (killed, machine lost),
# putting back in the queue what they had popped but not downloaded.
# KEYS[1] workers hash, KEYS[2] queue (sorted set); ARGV[1..3]: now, timeout, in-flight key prefix.
_FORGET_DEAD = """
local now = tonumber(ARGV[1])
local timeout = tonumber(ARGV[2])
local moved = 0
for _, w in ipairs(redis.call('HKEYS', KEYS[1])) do
  local v = cjson.decode(redis.call('HGET', KEYS[1], w))
  if now - tonumber(v['t']) > timeout then
    local inflight = ARGV[3] .. w
    for _, req in ipairs(redis.call('HVALS', inflight)) do
      redis.call('ZADD', KEYS[2], 0, req)
      moved = moved + 1
    end
    redis.call('DEL', inflight)
    redis.call('HDEL', KEYS[1], w)
  end
end
"""

_REAP = _FORGET_DEAD + "return moved\n"

# Join (ARGV[4] worker id, ARGV[5] state; KEYS[3] dupe filter): if no live worker is
# left, what is in Redis belongs to a crawl that died: clear it. Then register. Atomic,
# so two workers starting together cannot both decide they are first.
_JOIN = _FORGET_DEAD + """
local fresh = 0
if redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[2], KEYS[3])
  fresh = 1
end
redis.call('HSET', KEYS[1], ARGV[4], ARGV[5])
return {fresh, moved}
"""

# Leave (ARGV[4] worker id): deregister; the last live worker out deletes the crawl's keys.
_LEAVE = """
redis.call('HDEL', KEYS[1], ARGV[4])
""" + _FORGET_DEAD + """
if redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('DEL', KEYS[1], KEYS[2], KEYS[3])
  return 1
end
return 0
"""


# KEYS[1] queue (sorted set, scrapy-redis's PriorityQueue), KEYS[2] this worker's in-flight
# hash. Pops the first request and files it as in flight, keyed by the SHA-1 of its bytes.
_POP = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0)
if #r == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HSET', KEYS[2], redis.sha1hex(r[1]), r[1])
return r[1]
"""


# KEYS[1] dupe filter (set), KEYS[2] queue; ARGV: fingerprint ('' = dont_filter), score, request.
_PUSH = """
if ARGV[1] ~= '' and redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
return 1
"""


def encode_request(queue, request, spider) -> bytes:
    from nianbao.crawler.internals_redis import encode_request as encode

    return encode(queue, request, spider)


def decode_request(queue, data: bytes, spider):
    from nianbao.crawler.internals_redis import decode_request as decode

    return decode(queue, data, spider)


def _scheduler_base():
    from scrapy_redis.scheduler import Scheduler

    return Scheduler


class SharedScheduler(_scheduler_base()):
    """scrapy-redis's scheduler, plus per-crawl keys, membership and a cooperative close."""

    @classmethod
    def from_crawler(cls, crawler):
        inst = super().from_crawler(crawler)
        inst.crawler = crawler
        s = crawler.settings
        inst.idle_grace = s.getfloat("NIANBAO_REDIS_IDLE_GRACE", DEFAULT_IDLE_GRACE)
        inst.worker_timeout = s.getfloat("NIANBAO_REDIS_WORKER_TIMEOUT", DEFAULT_WORKER_TIMEOUT)
        inst.prefetch = s.getint("NIANBAO_REDIS_PREFETCH", DEFAULT_PREFETCH)
        inst.worker_id = f"{socket.gethostname()}:{os.getpid()}:{id(inst):x}"
        inst._quiet_since = None
        inst._beat = None
        inst._beats = 0
        # scrapy-redis 0.9 counts with the deprecated `spider=` argument: count here instead
        inst.stats, inst._stats = None, crawler.stats
        crawler.signals.connect(inst._spider_idle, signal=signals.spider_idle)
        return inst

    # keys -------------------------------------------------------------------------
    def open(self, spider):
        from scrapy_redis.dupefilter import RFPDupeFilter

        base = f"nianbao:{crawl_key(self.crawler.settings)}:{spider.name}"
        self.queue_key = base + ":requests"
        self.dupefilter_key = base + ":dupefilter"
        self.workers_key = base + ":workers"
        self.inflight_prefix = base + ":inflight:"
        self.inflight_key = self.inflight_prefix + self.worker_id
        self.df = RFPDupeFilter(self.server, key=self.dupefilter_key,
                                debug=self.crawler.settings.getbool("DUPEFILTER_DEBUG"))
        fresh, moved = self.server.eval(_JOIN, 3, self.workers_key, self.queue_key, self.dupefilter_key,
                                        *self._reap_args(), self.worker_id, self._state(busy=1))
        self._requeued(moved)
        logger.info("distributed crawl %s: worker %s %s", base, self.worker_id,
                    "starts the crawl" if fresh else "joins running workers")
        self._stats.set_value("nianbao/redis/key", base)
        result = super().open(spider)
        from scrapy_redis.queue import PriorityQueue

        if not isinstance(self.queue, PriorityQueue):  # _POP reads a sorted set
            raise ValueError("a distributed crawl needs SCHEDULER_QUEUE_CLASS = scrapy_redis.queue.PriorityQueue")
        self._pop = self.server.register_script(_POP)
        self._push = self.server.register_script(_PUSH)
        self._track_scrapes()
        from twisted.internet import task

        self._beat = task.LoopingCall(self._heartbeat)
        self._beat.start(HEARTBEAT_INTERVAL, now=False)
        return result

    def close(self, reason):
        if self._beat is not None and self._beat.running:
            self._beat.stop()
        try:
            self.server.delete(self.inflight_key)
            last = self.server.eval(_LEAVE, 3, self.workers_key, self.queue_key, self.dupefilter_key,
                                    *self._reap_args(), self.worker_id)
            logger.info("distributed crawl: worker %s leaves%s", self.worker_id,
                        " last: crawl keys deleted" if last else "")
        except Exception:
            logger.exception("could not leave the distributed crawl cleanly")
        return super().close(reason)  # persist=True: does not flush

    # liveness -----------------------------------------------------------------------
    def _in_flight(self) -> int:
        from nianbao.crawler.internals_scrapy import requests_in_flight

        return requests_in_flight(self.crawler)

    def _state(self, busy: int) -> str:
        return json.dumps({"t": time.time(), "busy": busy})

    def _reap_args(self) -> tuple:
        return time.time(), self.worker_timeout, self.inflight_prefix

    def _requeued(self, moved: int) -> None:
        if moved:
            logger.warning("distributed crawl: %d requests of a dead worker put back in the queue", moved)
            self._stats.inc_value("nianbao/redis/requeued_from_dead_workers", moved)

    def _reap(self) -> None:
        self._requeued(self.server.eval(_REAP, 2, self.workers_key, self.queue_key, *self._reap_args()))

    def _track_scrapes(self) -> None:
        """A popped request stays in Redis's in-flight set until the engine is done with it:
        its answer archived (downloader middlewares) and the requests its callback yields
        queued (the scraper), or its failure handled. Leaving the set when it left the
        downloader, before either, let a worker killed in between lose the page and its links.
        The scraper's `enqueue_scrape` Deferred fires exactly then, for answers and failures."""
        from nianbao.crawler.internals_scrapy import after_each_scrape

        after_each_scrape(self.crawler, self._done)

    def _done(self, passthrough, request, field=None):
        field = field or request.meta.pop("nianbao_inflight", None)
        if field:
            try:
                self.server.hdel(self.inflight_key, field)
            except Exception:  # a dead worker's entry is only requeued: a page fetched twice
                logger.exception("could not clear an in-flight request in Redis")
        return passthrough

    def _heartbeat(self):
        try:
            busy = self._in_flight()
            self.server.hset(self.workers_key, self.worker_id, self._state(busy))
            self._beats += 1
            if self._beats % 3 == 0:
                self._reap()
            if busy == 0:
                # Idle here: look again now rather than at the engine's 5 s heartbeat,
                # so requests another worker queued are picked up and a finished
                # crawl closes promptly.
                from nianbao.crawler.internals_scrapy import wake_engine

                wake_engine(self.crawler)
        except Exception:
            logger.exception("distributed heartbeat failed")

    def _others_busy(self) -> bool:
        now = time.time()
        for worker, raw in self.server.hgetall(self.workers_key).items():
            if worker == self.worker_id:
                continue
            v = json.loads(raw)
            if now - float(v["t"]) <= self.worker_timeout and int(v.get("busy", 0)) > 0:
                return True
        return False

    def _spider_idle(self, spider):
        self.server.hset(self.workers_key, self.worker_id, self._state(0))
        if len(self.queue) > 0 or self._others_busy():
            self._quiet_since = None
            raise DontCloseSpider("the shared crawl is not finished")
        now = time.monotonic()
        if self._quiet_since is None:
            self._quiet_since = now
        if now - self._quiet_since < self.idle_grace:
            raise DontCloseSpider("waiting to be sure the shared crawl is finished")
        # nothing queued, nobody busy for idle_grace seconds: let the engine close

    # sharing --------------------------------------------------------------------------
    def next_request(self):
        from nianbao.crawler.internals_scrapy import downloads_waiting

        backlog = downloads_waiting(self.crawler)
        if backlog >= max(self.prefetch, len(self.crawler.engine.downloader.slots)):
            return None  # plenty waiting here already: leave the rest to other workers
        # Until its answer is archived and its links are queued, the request lives only in
        # this process: Redis moves it from the queue to this worker's in-flight hash in one
        # step, so that if this process dies at any point, another one resumes it (a pop
        # and a separate HSET lost the request when the process died between the two).
        data = self._pop(keys=[self.queue.key, self.inflight_key])
        if data is None:
            return None
        request = decode_request(self.queue, data, self.spider)
        request.meta["nianbao_inflight"] = hashlib.sha1(data).hexdigest()  # its field there
        self._quiet_since = None
        self._stats.inc_value("scheduler/dequeued/redis")
        return request

    def enqueue_request(self, request):
        # a redirect or a retry of a popped request carries the original's in-flight entry:
        # cleared once the shared queue holds its successor
        field = request.meta.pop("nianbao_inflight", None)
        # the dupe filter's mark and the queue entry in one step: a process dying between
        # the two left a request marked seen that nobody would ever fetch
        fp = "" if request.dont_filter else self.df.request_fingerprint(request)
        added = bool(self._push(keys=[self.df.key, self.queue.key],
                                args=[fp, -request.priority, encode_request(self.queue, request, self.spider)]))
        if not added:
            self.df.log(request, self.spider)
        self._stats.inc_value("scheduler/enqueued/redis" if added else "scheduler/duplicates/redis")
        self._done(None, request, field)
        return added


# -- downloader: one request per second per host across all processes ------------------

# A host's shared slot is a hash ``nianbao:polite:<host>`` on the Redis clock:
#   holder, lease  the request on the wire to that host and until when its hold is valid
#   done, next     when the last answer (or failure) arrived, and done + that worker's delay
#   turn, turn_until  the request that has waited longest: the next send is its own,
#                  if it comes back by turn_until
# A request may be sent when nobody holds the host and it is past both `next` and
# `done` + its own delay; it then holds the host until its answer arrives. So across
# processes, as in one: one request at a time per host, each sent DOWNLOAD_DELAY
# after the previous answer, first come first served. The hold is a lease, renewed
# while its download lasts, so a worker killed mid-download holds the host only
# until its lease runs out (and a waiter killed keeps its turn only TURN_GRACE).
_POLITE_HASH = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
if redis.call('TYPE', KEYS[1]).ok ~= 'hash' then redis.call('DEL', KEYS[1]) end
"""
TURN_GRACE = 1.0   # seconds a waiter may be late (busy reactor) and keep its turn

# ARGV: token, delay, lease, turn grace. Returns {1, ''} held now (2: taken over from a
# lapsed hold, with its token), or {0, seconds to wait before asking again}.
_ACQUIRE = _POLITE_HASH + """
local token, delay, lease = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local v = redis.call('HMGET', KEYS[1], 'holder', 'lease', 'done', 'next', 'turn', 'turn_until')
local held_until = tonumber(v[2] or '0')
local turn_until = tonumber(v[6] or '0')
local other_turn = v[5] and v[5] ~= token and turn_until >= now
local wait
if v[1] and v[1] ~= token and held_until > now then
  -- on the wire from someone else: its answer restarts the delay, so nothing can be
  -- sent before `delay` from now; ask again then (or when its lease runs out)
  wait = math.min(delay, held_until - now)
else
  local at = math.max(tonumber(v[4] or '0'), tonumber(v[3] or '0') + delay)
  if at > now then
    wait = at - now
  elseif other_turn then
    -- free, but it is the turn of one that waited before us: it is due back now
    wait = math.min(delay, turn_until - now)
  end
end
if wait then
  if not other_turn then
    redis.call('HSET', KEYS[1], 'turn', token, 'turn_until', string.format('%.6f', now + wait + tonumber(ARGV[4])))
  end
  return {0, string.format('%.6f', math.max(wait, 0.001))}
end
redis.call('HSET', KEYS[1], 'holder', token, 'lease', string.format('%.6f', now + lease))
if v[5] == token then redis.call('HDEL', KEYS[1], 'turn', 'turn_until') end
redis.call('PEXPIRE', KEYS[1], math.ceil((lease + 60) * 1000))
if v[1] and v[1] ~= token then return {2, v[1]} end
return {1, ''}
"""

# ARGV: token, delay. The answer (or failure) arrived: free the host, restart its delay.
_RELEASE = _POLITE_HASH + """
local token, delay = ARGV[1], tonumber(ARGV[2])
local v = redis.call('HMGET', KEYS[1], 'holder', 'next')
if v[1] == token then redis.call('HDEL', KEYS[1], 'holder', 'lease') end
local nxt = now + delay
if tonumber(v[2] or '0') > nxt then nxt = tonumber(v[2]) end
redis.call('HSET', KEYS[1], 'done', string.format('%.6f', now), 'next', string.format('%.6f', nxt))
if redis.call('HEXISTS', KEYS[1], 'lease') == 0 then
  redis.call('PEXPIRE', KEYS[1], math.ceil((nxt - now + 60) * 1000))
end
return 1
"""

# ARGV[1]: seconds. A 429/503/412 back-off: nobody sends to the host before now + seconds.
_HOLD_OFF = _POLITE_HASH + """
local nxt = now + tonumber(ARGV[1])
if tonumber(redis.call('HGET', KEYS[1], 'next') or '0') < nxt then
  redis.call('HSET', KEYS[1], 'next', string.format('%.6f', nxt))
end
local ttl = math.ceil((tonumber(ARGV[1]) + 60) * 1000)
if redis.call('PTTL', KEYS[1]) < ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
return 1
"""

# KEYS: hosts held here; ARGV[1] lease, ARGV[1 + i] the token holding KEYS[i].
_RENEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local lease = tonumber(ARGV[1])
local n = 0
for i, k in ipairs(KEYS) do
  if redis.call('TYPE', k).ok == 'hash' and redis.call('HGET', k, 'holder') == ARGV[i + 1] then
    redis.call('HSET', k, 'lease', string.format('%.6f', now + lease))
    redis.call('PEXPIRE', k, math.ceil((lease + 60) * 1000))
    n = n + 1
  end
end
return n
"""


class SharedPolitenessDownloader(Downloader):
    """Scrapy's downloader, plus `host_held`: each download takes its host's shared slot in
    Redis (called by the download handlers' host gate, crawler/politeness.py).

    The slot is held from the send until the answer (or the failure) arrives, and
    the next download to that host, in any process, starts no sooner than the
    local slot's delay (DOWNLOAD_DELAY, raised by AutoThrottle or back-off) after
    that: the per-host rule of one process (crawler/politeness.py), kept across
    every process of every crawl that uses the same Redis. A hold is a lease of
    NIANBAO_REDIS_WORKER_TIMEOUT seconds renewed every second while the download
    lasts: a killed worker blocks its hosts no longer than it takes to be declared
    dead, when its popped requests are put back in the queue.
    """

    def __init__(self, crawler):
        super().__init__(crawler)
        self._server = _redis(crawler.settings)
        self._acquire = self._server.register_script(_ACQUIRE)
        self._release = self._server.register_script(_RELEASE)
        self._renew = self._server.register_script(_RENEW)
        self._hold_off = self._server.register_script(_HOLD_OFF)
        self._stats = crawler.stats
        timeout = crawler.settings.getfloat("NIANBAO_REDIS_WORKER_TIMEOUT", DEFAULT_WORKER_TIMEOUT)
        self._lease = max(timeout, 3 * HEARTBEAT_INTERVAL)
        self._token_prefix = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}:"
        self._tokens = 0
        self._held: dict[str, tuple[str, float]] = {}   # Redis key -> (token, delay)
        self._renewal = None

    @contextlib.asynccontextmanager
    async def host_held(self, request, slot):
        """Hold the request's host in Redis for the body of the `async with`: wait for it,
        then free it when the body ends, the host's delay starting then, in every process.
        The download handlers' host gate (crawler/politeness.py) calls it for every download,
        once the host's local turn has come (so nothing else of this process is on the way)."""
        delay = slot.download_delay()
        key = f"nianbao:polite:{self.get_slot_key(request)}"
        self._tokens += 1
        token = self._token_prefix + str(self._tokens)
        waited = False
        while True:
            got, info = self._acquire(keys=[key], args=[token, delay, self._lease, TURN_GRACE])
            if got:
                break
            if not waited:
                waited = True
                self._stats.inc_value("nianbao/redis/polite_waits")
            await _sleep(float(info))
        if got == 2:
            logger.warning("host %s: the request holding it in Redis (%s) lost its lease, its worker is "
                           "gone; going on", key.removeprefix("nianbao:polite:"), info.decode())
            self._stats.inc_value("nianbao/redis/polite_leases_lapsed")
        self._held[key] = (token, delay)
        self._start_renewal()
        try:
            yield
        finally:
            # the answer or the failure is in: the host's delay starts now, in every process
            # (AutoThrottle may have raised the slot's delay on this answer)
            self._held.pop(key, None)
            self._free(key, token, max(delay, slot.download_delay()))

    def hold_off(self, request, seconds: float) -> None:
        """The host answered 429/503/412: no process sends to it for `seconds` (the back-off
        BackoffRetryMiddleware chose), not only this one."""
        try:
            self._hold_off(keys=[f"nianbao:polite:{self.get_slot_key(request)}"], args=[seconds])
        except Exception:  # this process still backs off on its own
            logger.exception("could not share a back-off in Redis")

    def _free(self, key: str, token: str, delay: float) -> None:
        try:
            self._release(keys=[key], args=[token, delay])
        except Exception:  # the response is still good; the hold lapses with its lease
            logger.exception("could not free host %s in Redis", key)

    def _start_renewal(self) -> None:
        if self._renewal is None:
            from twisted.internet import task

            self._renewal = task.LoopingCall(self._renew_holds)
            self._renewal.start(HEARTBEAT_INTERVAL, now=False)

    def _renew_holds(self) -> None:
        held = list(self._held.items())
        if not held:
            return
        try:
            self._renew(keys=[k for k, _ in held], args=[self._lease, *(t for _, (t, _) in held)])
        except Exception:
            logger.exception("could not renew the hosts held in Redis")

    def close(self) -> None:
        if self._renewal is not None and self._renewal.running:
            self._renewal.stop()
        for key, (token, delay) in list(self._held.items()):  # nothing is in flight any more
            self._free(key, token, delay)
        self._held.clear()
        super().close()
