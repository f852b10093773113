"""The 100,000-report database of the search and size benches, built once and cached.

    .venv/bin/python bench/corpus100k.py [--reports 100000] [--out /tmp/nianbao-bench/reports100k.db]

Report texts (~4,100 characters each) are generated, not copied: an order-3 character
Markov chain trained on the demo portal's seed reports writes a pool of sentences (so
the text has the seeds' vocabulary and character statistics, not their sentences), and
each report is ~4,100 characters of sentences drawn from it, with its body's name and
year mixed in. Bodies are made-up place names x real kinds of office (3,000 bodies),
years 2008-2024, templates by year, 20 figures per report with real metric codes.

Everything is written by the project's own code: extraction's writer
(`extract.pipeline._write`, the one `nianbao extract` uses: reports row, version, figures,
search index) fed with analyses made in worker processes, as extraction does.
"""
from __future__ import annotations

import argparse
import os
import random
import sqlite3
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "tools" / "demo_portal" / "seeds"
CACHE = Path(os.environ.get("NIANBAO_BENCH_CACHE", "/tmp/nianbao-bench"))
VERSION = "v4"  # bump when the generator or the schema changes: the cache is rebuilt
TEXT_CHARS = 4100

_PLACES_A = "安宝北昌长城崇大德东丰福广桂海汉和河衡红华怀黄吉建江金锦荆静九开乐丽临龙隆洛茂梅明南宁平浦青清庆泉仁瑞三沙山上韶石寿顺松泰天通万温武西仙湘新兴宣阳永余玉原云漳振中舟株遵"
_PLACES_B = ["市", "县", "区"]
_OFFICES = ["人民政府", "人民政府办公室", "发展和改革委员会", "教育局", "公安局", "民政局", "司法局", "财政局",
            "人力资源和社会保障局", "自然资源局", "生态环境局", "住房和城乡建设局", "交通运输局", "水利局",
            "农业农村局", "商务局", "文化和旅游局", "卫生健康委员会", "应急管理局", "审计局", "市场监督管理局",
            "统计局", "医疗保障局", "信访局", "政务服务中心", "城市管理局", "林业局", "税务局", "退役军人事务局",
            "体育局"]


def bodies(n: int = 3000, seed: int = 7) -> list[str]:
    rnd = random.Random(seed)
    places = sorted({rnd.choice(_PLACES_A) + rnd.choice(_PLACES_A) + rnd.choice(_PLACES_B) for _ in range(4000)})
    out = set()
    while len(out) < n:
        out.add(rnd.choice(places) + rnd.choice(_OFFICES))
    return sorted(out)


def sentence_pool(n: int = 30000, seed: int = 11) -> list[str]:
    """Sentences written by a character Markov chain over the seeds (order 3)."""
    text = "".join(p.read_text("utf-8") for p in sorted(SEEDS.glob("*.txt")))
    text = " ".join(text.split())
    chain: dict[str, list[str]] = {}
    for i in range(len(text) - 3):
        chain.setdefault(text[i:i + 3], []).append(text[i + 3])
    starts = [k for k in chain if k[0] not in "，。；：、,. "]
    rnd = random.Random(seed)
    pool = []
    while len(pool) < n:
        state = rnd.choice(starts)
        out = list(state)
        for _ in range(rnd.randint(25, 90)):
            nxt = chain.get(state)
            if not nxt:
                break
            ch = rnd.choice(nxt)
            out.append(ch)
            state = state[1:] + ch
            if ch == "。" and len(out) > 20:
                break
        s = "".join(out).strip()
        if not s.endswith("。"):
            s += "。"
        pool.append(s)
    return pool


_POOL: list[str] = []
_BODIES: list[str] = []


def _init() -> None:
    global _POOL, _BODIES
    _POOL = sentence_pool()
    _BODIES = bodies()


def report_fields(i: int) -> dict:
    """The fields of report i (deterministic)."""
    rnd = random.Random(i)
    body = _BODIES[i % len(_BODIES)]
    year = 2008 + (i * 7919) % 17
    parts, n = [f"{body}{year}年政府信息公开工作年度报告"], 0
    while n < TEXT_CHARS:
        s = rnd.choice(_POOL)
        if rnd.random() < 0.05:
            s = f"{year}年，{body}{s}"
        if rnd.random() < 0.08:
            s += f"共计{rnd.randint(1, 5000)}件。"
        parts.append(s)
        n += len(s)
    text = "".join(parts)[:TEXT_CHARS]
    template = "gk2008" if year < 2019 else ("gk2019" if year < 2021 else "gk2021")
    return {"i": i, "body": body, "year": year, "title": f"{body}{year}年政府信息公开工作年度报告",
            "text": text, "template": template, "published": f"{year + 1}-03-{1 + i % 28:02d}"}


def _analysis(i: int, codes: list[str]):
    from nianbao.extract.document import Analysis, Facts
    from nianbao.extract.model import Check, Metric, Statistics
    from nianbao.extract.pipeline import Outcome
    from nianbao.fts import segment_report

    f = report_fields(i)
    rnd = random.Random(-i)
    metrics = [Metric(code=c, value=rnd.randint(0, 3000), unit="件", raw="", method="table",
                      source={"grid": 1, "grid_row": rnd.randint(0, 30), "grid_col": rnd.randint(0, 8)})
               for c in rnd.sample(codes, min(20, len(codes)))]
    for m in metrics:
        m.raw = str(m.value)
    stats = Statistics(template=f["template"], metrics=metrics,
                       checks=[Check(rule="table3.balance[total]", ok=True, detail="")])
    facts = Facts(True, f["title"], f["body"], f["year"], f["published"], "title names an annual report")
    a = Analysis({"kind": "html", "text": f["text"], "ocr": False, "encoding": "utf-8"}, stats, facts)
    return f, Outcome(a, None, segment_report(f["title"], f["body"], f["text"]))


def _batch(args):
    start, stop, codes = args
    return [_analysis(i, codes) for i in range(start, stop)]


def build(path: Path, n: int, workers: int = 2) -> Path:
    from nianbao.db import connect
    from nianbao.extract import pipeline
    from nianbao.fts import optimize

    tmp = path.with_suffix(".building")
    for p in (tmp, Path(str(tmp) + "-wal"), Path(str(tmp) + "-shm")):
        p.unlink(missing_ok=True)
    db = connect(tmp)
    db.execute("PRAGMA synchronous=OFF")
    ids = pipeline._dictionary_ids(db)
    codes = sorted(ids["metrics"])
    counts = {"documents": 0, "reports_new": 0, "reports_updated": 0, "errors": 0}
    t0 = time.time()
    step = 500
    with ProcessPoolExecutor(workers, initializer=_init) as ex:
        for batch in ex.map(_batch, [(s, min(s + step, n), codes) for s in range(0, n, step)]):
            for f, out in batch:
                url = f"http://bench.invalid/{f['i']}.html"
                cid = db.execute("INSERT INTO captures (url, fetched_at, status, content_type, sha256, kind) "
                                 "VALUES (?, ?, 200, 'text/html', ?, 'detail')",
                                 [url, f"{f['year'] + 1}-04-01T00:00:00Z", f"{f['i']:064x}"]).lastrowid
                cap = {"id": cid, "url": url, "kind": "detail", "content_type": "text/html",
                       "sha256": f"{f['i']:064x}", "fetched_at": f"{f['year'] + 1}-04-01T00:00:00Z",
                       "referer": None, "link_text": None, "filename": None, "content_length": 0}
                pipeline._write(db, pipeline.LIVE, cap, out, False, counts)
            done = counts["documents"]
            if done % 10000 < step:
                print(f"  {done:,} reports, {time.time() - t0:.0f} s", file=sys.stderr, flush=True)
    optimize(db)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    conn = sqlite3.connect(tmp)
    conn.execute("VACUUM")
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    tmp.rename(path)
    print(f"  built {n:,} reports in {time.time() - t0:.0f} s: {path} ({path.stat().st_size / 1e9:.2f} GB)",
          file=sys.stderr)
    return path


def database(n: int = 100_000, out: Path | None = None) -> Path:
    """The cached database of n reports (built the first time)."""
    path = out or CACHE / f"reports{n // 1000}k-{VERSION}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        print(f"building {path} (once; cached for the next runs)", file=sys.stderr)
        build(path, n)
    return path


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reports", type=int, default=100_000)
    ap.add_argument("--out", type=Path)
    a, _ = ap.parse_known_args()
    print(database(a.reports, a.out))
