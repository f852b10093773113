"""The sources registry: the shipped sources.json and validate()."""
import copy
import json

import pytest

from nianbao.spiders.registry import find, load_sources, validate

HENGYANG_COLUMN = "https://www.hengyang.gov.cn/xxgk/szfxxgkml/zfxxgkndbg/hysmhwzndbg/index.html"


@pytest.fixture(scope="module")
def sources():
    return load_sources()


def good():
    return [
        {"id": "a-city", "name": "甲市人民政府", "level": "city", "region": "某省甲市",
         "portal": "https://www.a.gov.cn/", "parent": None, "spider": "column",
         "columns": [{"url": "https://www.a.gov.cn/xxgk/ndbg/", "evidence": "https://www.a.gov.cn/xxgk/ndbg/t1.html",
                      "verified": True}]},
        {"id": "a-dept", "name": "甲市财政局", "level": "department", "region": "某省甲市",
         "portal": "https://www.a.gov.cn/", "parent": "a-city", "spider": "column",
         "columns": [{"url": "https://www.a.gov.cn/czj/ndbg/", "evidence": "inferred from the city's column",
                      "verified": False}]},
    ]


def test_shipped_registry_validates_clean(sources):
    assert validate(sources) == []


def test_shipped_registry_is_big_enough(sources):
    assert len(sources) >= 30


def test_hengyang_city_and_its_column(sources):
    hy = find("hengyang-city", sources)
    assert hy is not None
    assert hy["name"] == "衡阳市人民政府"
    assert hy["portal"].startswith("https://www.hengyang.gov.cn")
    assert HENGYANG_COLUMN in [c["url"] for c in hy["columns"]]
    assert find("hengyang-city")["id"] == "hengyang-city"  # default: the shipped registry


def test_hengyang_counties_and_departments(sources):
    children = [s for s in sources if s.get("parent") == "hengyang-city"]
    assert any(s["level"] == "department" for s in children)
    names = " ".join(s["name"] for s in sources)
    for county in ("衡阳县", "衡南县", "衡山县", "衡东县", "祁东县", "耒阳市", "常宁市",
                   "雁峰区", "珠晖区", "石鼓区", "蒸湘区", "南岳区"):
        assert county in names, county


@pytest.mark.parametrize("needle", ["衡阳", "蒸湘区", "城陵矶", "宝鸡", "衡阳市人民政府"])
def test_seed_bodies_present(sources, needle):
    # the bodies of the five seed documents of nianbao/demo_portal
    names = [s["name"] for s in sources]
    if needle == "衡阳":
        assert any("衡阳" in n and "高新" in n for n in names)
    elif needle == "宝鸡":
        assert any("宝鸡" in n and "高新" in n for n in names)
    else:
        assert any(needle in n for n in names)


def test_every_column_has_evidence_and_a_verdict(sources):
    for s in sources:
        assert s["columns"], s["id"]
        for c in s["columns"]:
            assert c["evidence"].strip(), (s["id"], c["url"])
            assert isinstance(c["verified"], bool)


def test_ids_are_what_the_cli_uses(sources):
    pairs = [(s["id"], c["url"]) for s in sources for c in s["columns"]]
    assert len(pairs) == len(set(pairs))
    assert all(u.startswith(("http://", "https://")) for _, u in pairs)


def test_good_data_is_clean():
    assert validate(good()) == []


def _problems(mutate):
    data = copy.deepcopy(good())
    mutate(data)
    return validate(data)


def test_catches_duplicate_id():
    def m(d):
        d[1]["id"] = "a-city"
    assert any("duplicate id" in p for p in _problems(m))


def test_catches_unknown_parent():
    def m(d):
        d[1]["parent"] = "nowhere"
    assert any("unknown parent" in p for p in _problems(m))


def test_catches_non_http_urls():
    def m(d):
        d[0]["columns"][0]["url"] = "ftp://www.a.gov.cn/xxgk/ndbg/"
    assert any("not an http(s) URL" in p for p in _problems(m))

    def m2(d):
        d[0]["portal"] = "www.a.gov.cn"
    assert any("portal is not an http(s) URL" in p for p in _problems(m2))


def test_catches_missing_evidence():
    def m(d):
        d[0]["columns"][0]["evidence"] = "  "
    assert any("no evidence" in p for p in _problems(m))

    def m2(d):
        del d[1]["columns"][0]["evidence"]
    assert any("no evidence" in p for p in _problems(m2))


def test_catches_column_off_the_portal_host():
    def m(d):
        d[1]["columns"][0]["url"] = "https://czj.a.gov.cn/ndbg/"
    assert any("not on the portal's host" in p for p in _problems(m))


def test_list_api_is_checked():
    api = {"url": "https://www.a.gov.cn/irs/front/list", "method": "POST",
           "body": {"tenantId": 71, "pageNo": 1}, "fields": {"title": "f_1"}}

    def ok(d):
        d[0]["spider"] = "trs"
        d[0]["columns"][0]["list_api"] = dict(api)
    assert _problems(ok) == []

    def bad(d):
        ok(d)
        d[0]["columns"][0]["list_api"].update(url="https://search.b.gov.cn/irs/front/list", method="PUT",
                                              body={"tenantId": 71}, extra=1)
    found = " | ".join(_problems(bad))
    for words in ("not on the portal's host", "GET or POST", "no page number 'pageNo'", "unknown key 'extra'"):
        assert words in found, (words, found)

    def wrong_spider(d):
        ok(d)
        d[0]["spider"] = "hanweb"
    assert any("read by the trs spider only" in p for p in _problems(wrong_spider))


def test_catches_other_problems():
    def m(d):
        d[0]["id"] = "甲市"
        d[1]["parent"] = "甲市"
        d[1]["level"] = "ministry"
        d[1]["columns"] = []
    ps = _problems(m)
    assert any("ascii slug" in p for p in ps)
    assert any("unknown level" in p for p in ps)
    assert any("no columns" in p for p in ps)

    def loop(d):
        d[0]["parent"] = "a-dept"
    assert any("loops" in p for p in _problems(loop))

    def shared(d):
        d[1]["columns"][0]["url"] = d[0]["columns"][0]["url"]
    assert any("also listed by" in p for p in _problems(shared))


def test_load_sources_from_a_path(tmp_path):
    p = tmp_path / "s.json"
    p.write_text(json.dumps(good(), ensure_ascii=False), encoding="utf-8")
    assert [s["id"] for s in load_sources(p)] == ["a-city", "a-dept"]
    assert find("a-dept", load_sources(p))["parent"] == "a-city"
    assert find("nope", load_sources(p)) is None
