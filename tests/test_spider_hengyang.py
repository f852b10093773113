"""The Hengyang family spider: sub-column discovery from a report-column root
(tests/fixtures/pages/hengyang, saved pages), then a real crawl of the served portal."""
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from nianbao.spiders.family_hengyang import HengyangSpider, sub_columns
from nianbao.spiders.links import classify_list_links
from test_every_spider import check_family_crawl, crawl_family, rows

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages" / "hengyang"
BASE = "https://www.hengyang.gov.cn"
ROOT = "/xxgk/szfxxgkml/zfxxgkndbg/"


def _page(path):
    return (PAGES / path.lstrip("/")).read_text("utf-8")


def test_root_links_its_three_report_columns():
    found = [urlsplit(u).path for u, _ in sub_columns(_page(ROOT + "index.html"), BASE + ROOT + "index.html", ROOT)]
    assert found == [ROOT + "hysmhwzndbg/index.html", ROOT + "szfgzbmndbg/index.html", ROOT + "szfxxgk/index.html"]


def test_year_and_department_folders_are_sub_columns():
    y = ROOT + "szfxxgk/"
    years = {urlsplit(u).path for u, _ in sub_columns(_page(y + "index.html"), BASE + y + "index.html", ROOT)}
    assert {y + "2025nd/index.html", y + "2024nd/index.html"} <= years
    kinds = {urlsplit(u).path for u, _ in sub_columns(_page(y + "2025nd/index.html"), BASE + y + "2025nd/index.html", ROOT)}
    assert y + "2025nd/szfgzbmxxgkndbg/index.html" in kinds
    depts = {urlsplit(u).path for u, _ in sub_columns(_page(ROOT + "szfgzbmndbg/index.html"),
                                                      BASE + ROOT + "szfgzbmndbg/index.html", ROOT)}
    assert {ROOT + "szfgzbmndbg/szfb/index.html", ROOT + "szfgzbmndbg/snyw/index.html"} <= depts


def test_never_above_the_root_and_never_an_article_or_a_page():
    col = ROOT + "szfxxgk/2024nd/xsqzfxxgkndbg/"
    for path in (col + "index.html", col + "pages/2.html"):
        for u, _ in sub_columns(_page(path), BASE + path, col):
            assert urlsplit(u).path.startswith(col)
            assert "/pages/" not in u and "/i" not in u.rsplit("/", 1)[1]
    # started lower down, the city-wide menu is out of bounds
    assert sub_columns(_page(col + "index.html"), BASE + col + "index.html", col) == []


def test_year_folder_list_items_and_pagination():
    col = ROOT + "szfxxgk/2025nd/szfgzbmxxgkndbg/"
    links = classify_list_links(_page(col + "index.html"), BASE + col + "index.html", col)
    items = {urlsplit(l.url).path: l for l in links if l.kind == "item"}
    real = col + "20260115/i3849887.html"  # the real 衡阳市商务局 2025 report URL
    assert real in items and items[real].date == "2026-01-15"
    col = ROOT + "szfxxgk/2024nd/xsqzfxxgkndbg/"
    pages = {urlsplit(l.url).path for l in classify_list_links(_page(col + "index.html"), BASE + col + "index.html", col)
             if l.kind == "page"}
    assert col + "pages/2.html" in pages
    items = [l for l in classify_list_links(_page(col + "pages/2.html"), BASE + col + "pages/2.html", col) if l.kind == "item"]
    assert [urlsplit(l.url).path for l in items] == [col + "20250118/i3565200.html"]


def test_registered_with_the_generic_constructor():
    from nianbao.spiders.catalog import spider_class

    assert spider_class("hengyang") is HengyangSpider
    s = HengyangSpider(start_urls=[BASE + ROOT], sources=[("hengyang-city", BASE + ROOT + "szfxxgk/")])
    assert s.columns == [(BASE + ROOT, None), (BASE + ROOT + "szfxxgk/", "hengyang-city")]
    assert s.allowed_domains == ["www.hengyang.gov.cn"]


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    portal, manifest, db, out = crawl_family("hengyang", tmp_path_factory.mktemp("hengyang"))
    yield portal, manifest, db, out
    portal.stop()


def test_crawl_finds_every_report_and_nothing_else(crawled):
    portal, manifest, db, _ = crawled
    check_family_crawl(portal, manifest, db)


def test_crawl_stays_under_the_root_and_tags_the_source(crawled):
    portal, manifest, db, _ = crawled
    for path in portal.requests.paths():
        assert path.startswith(ROOT) or path == "/robots.txt", path
    assert {r["source"] for r in rows(db, "select distinct source from captures where kind != 'robots'")} == {"hengyang-fixture"}
    kinds = {r["kind"] for r in rows(db, "select kind from captures")}
    assert {"list", "detail"} <= kinds
