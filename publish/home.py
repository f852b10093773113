"""The home and database pages' guide: what the data is, reports first, then what people use.

Datasette lists tables alphabetically, FTS shadow tables and the archive index among them;
a reader who comes for the reports should see them first, then the views and saved queries
that answer common questions. Entries that a database does not have (views added by other
parts of Nianbao, e.g. report_figures or coverage) are left out.
"""
from __future__ import annotations

from .analysis import analysis_links

# (table or view, Chinese title, English title, Chinese hint)
GUIDE = (
    ("reports", "年度报告", "Reports", "每份报告一行；点开即可按原格式阅读统计表，每个数字都链接到存档原件。"),
    ("report_figures", "各报告主要数字", "Main figures per report", "每份报告一行，附可比指标和比率。"),
    ("coverage", "按时发布情况", "Who published, on time or late", "每个机关每年一行：按时、逾期或未发布。"),
    ("bodies", "发布机关", "Bodies", "每个政府机关一行，不论报告用哪个名称；可查看其历年报告。"),
    ("harmonized_values", "可比指标", "Comparable figures", "收到申请、公开、不予公开、复议、诉讼等跨格式可比的数字。"),
    ("metric_values", "全部统计数字", "Every figure", "统计表中的每个数字，附代码、中文标签和单位。"),
    ("checks", "一致性检查", "Consistency checks", "各报告的数字是否符合统计表的求和关系。"),
    ("metric_codes", "指标代码词典", "Code dictionary", "每个指标代码的官方行列标签和中英文含义。"),
    ("documents", "抓取到的文件", "Documents looked at", "每个网页或附件，及为何被判断为（或不为）报告。"),
    ("captures", "存档索引", "Archive index", "收到的每个响应，可打开其存档副本。"),
)


async def home_vars(datasette, database: str | None, actor=None) -> dict:
    """{"nianbao_home": [{"database", "reports", "entries", "queries"}]} for the guide partial."""
    names = [database] if database else [n for n, db in datasette.databases.items()
                                         if not db.is_memory and n != "_internal"]
    out = []
    for name in names:
        db = datasette.get_database(name)
        present = set(await db.table_names()) | set(await db.view_names())
        if "reports" not in present:
            continue
        count = (await db.execute("SELECT count(*) FROM reports")).first()[0]
        entries = [{"name": t, "zh": zh, "en": en, "hint": hint, "href": datasette.urls.table(name, t)}
                   for t, zh, en, hint in GUIDE if t in present]
        queries = [{"name": q["name"], "title": q.get("title") or q["name"],
                    "href": datasette.urls.query(name, q["name"])}
                   for q in (await datasette.get_canned_queries(name, actor)).values()] if not database else []
        # (the database page lists the saved queries itself)
        analysis = analysis_links(datasette, name) if "coverage" in present else []
        out.append({"database": name, "reports": count, "entries": entries, "queries": queries,
                    "analysis": analysis, "href": datasette.urls.database(name)})
    return {"nianbao_home": out}
