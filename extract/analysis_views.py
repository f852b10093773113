"""The analysis views: `report_figures` (one row per report with its figures and rates),
`figure_values` (the same, one row per report and figure, for picking a figure by name),
`coverage` (one row per expected body and year) and `corrections`.

They are views, not tables, so they always agree with the tables they read; they are
(re)created by the bodies pass at the end of every extraction, `report_figures` from the
harmonized names of the spec loaded in that run (one column per name).

Rates (all NULL when the denominator is missing or 0, and NULL when the numerator is
missing: a missing figure is never read as 0):
- share_granted / share_partly_granted / share_refused = figure / requests_answered
  (the processing results; requests received also counts requests still open at year end)
- review_per_100_requests / litigation_per_100_requests = 100 * figure / requests_received
- review_correction_rate = review_corrected / review_total;
  litigation_correction_rate = litigation_corrected / litigation_total
Deadlines: reports on 2019 and later are due 31 January of the following year (2019
Regulations, art. 50); earlier ones 31 March (2008 Regulations, art. 32).
"""
from __future__ import annotations

RATES = {
    "share_granted": ("requests_granted", "requests_answered", 1),
    "share_partly_granted": ("requests_partly_granted", "requests_answered", 1),
    "share_refused": ("requests_refused", "requests_answered", 1),
    "review_per_100_requests": ("review_total", "requests_received", 100),
    "litigation_per_100_requests": ("litigation_total", "requests_received", 100),
    "review_correction_rate": ("review_corrected", "review_total", 1),
    "litigation_correction_rate": ("litigation_corrected", "litigation_total", 1),
}
VIEWS = ("figure_values", "report_figures", "coverage", "corrections")

DEADLINE_SQL = "(case when {y} >= 2019 then ({y} + 1) || '-01-31' else ({y} + 1) || '-03-31' end)"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def report_figures_sql(names: list[tuple[int, str]]) -> str:
    pivot = ",\n       ".join(f"max(case when h.name = {nid} then h.value end) as {_quote(name)}" for nid, name in names)
    known = {name for _, name in names}
    figure_cols = ", ".join(f"f.{_quote(name)}" for _, name in names)
    rates = []
    for rate, (num, den, scale) in RATES.items():
        if num in known and den in known:
            rates.append(f"case when f.{_quote(den)} > 0 then round({scale} * 1.0 * f.{_quote(num)} / f.{_quote(den)}, 4) "
                         f"end as {rate}")
        else:
            rates.append(f"null as {rate}")
    return f"""select r.id as report_id, r.body_id, b.name as body, b.level, b.region, r.year, r.template, r.published,
       {figure_cols or 'null as no_figures'},
       {", ".join(rates)},
       coalesce(f.approximate, 0) as approximate, f.approximate_figures,
       coalesce(r.checks_failed, 0) as checks_failed,
       (select group_concat(c.rule, '; ') from checks c where c.report_id = r.id and c.ok = 0) as failed_rules,
       r.title, r.url
from reports r
left join bodies b on b.id = r.body_id
left join (select h.report_id,
       {pivot + ',' if pivot else ''}
       max(h.approximate) as approximate,
       group_concat(case when h.approximate then n.name end, ', ') as approximate_figures
    from harmonized h join harmonized_names n on n.id = h.name group by h.report_id) f on f.report_id = r.id"""


COVERAGE_SQL = f"""with recursive
expected as (
    select b.id as body_id, b.name as body, b.level, b.region,
           coalesce(b.first_year,
                    -- a registry body whose column was crawled but gave no report: expected
                    -- from the first year any report of this database covers
                    case when b.source_id in (select source from captures where source is not null)
                         then (select min(year) from reports) end) as first_year
    from bodies b),
years(year) as (
    select min(first_year) from expected where first_year is not null
    union all select year + 1 from years where year < cast(strftime('%Y', 'now') as integer)),
firsts as (
    select r.body_id, r.year, r.id as report_id, r.published,
           row_number() over (partition by r.body_id, r.year
                              order by r.published is null, r.published, r.id) as n,
           count(*) over (partition by r.body_id, r.year) as reports
    from reports r where r.body_id is not null and r.year is not null),
grid as (
    select e.body_id, e.body, e.level, e.region, y.year, {DEADLINE_SQL.format(y='y.year')} as deadline
    from expected e join years y on y.year >= e.first_year)
select g.body_id, g.body, g.level, g.region,
       cast(g.year as integer) as year,  -- integer affinity: ?year=2022 and facets match
       case when f.report_id is null then case when date('now') > g.deadline then 'missing' else 'not_yet_due' end
            when f.published is null then 'undated'
            when f.published > g.deadline then 'late'
            else 'on_time' end as status,
       f.published, g.deadline,
       case when f.published > g.deadline then cast(julianday(f.published) - julianday(g.deadline) as integer)
            when f.published is not null then 0 end as days_late,
       f.report_id,
       coalesce(f.reports, 0) as reports,
       (select count(*) from documents d join reports r2 on r2.id = d.corrects_report_id
        where r2.body_id = g.body_id and r2.year = g.year) as corrections
from grid g left join firsts f on f.body_id = g.body_id and f.year = g.year and f.n = 1"""

def figure_values_sql(names: list[str]) -> str:
    """report_figures in long form (one row per report and figure or rate), so that a
    query or chart picks the figure with a parameter (`figure = :figure`)."""
    parts = []
    for name in names:
        inputs = [name] if name not in RATES else [RATES[name][0], RATES[name][1]]
        approx = " or ".join(f"instr(',' || replace(coalesce(approximate_figures, ''), ' ', '') || ',', ',{i},') > 0"
                             for i in inputs)
        parts.append(f"select report_id, body_id, body, level, region, year, template, published, '{name}' as figure, "
                     f"{_quote(name)} as value, case when {approx} then 1 else 0 end as approximate, checks_failed "
                     f"from report_figures")
    return "\nunion all\n".join(parts)


CORRECTIONS_SQL = """select d.id as document_id, d.corrects_report_id as report_id, r.body_id, b.name as body, r.year,
       d.title, d.url, d.capture_id, r.title as report_title, r.url as report_url
from documents d join reports r on r.id = d.corrects_report_id left join bodies b on b.id = r.body_id"""


def create_views(db) -> None:
    names = [(nid, name) for nid, name in db.execute("SELECT id, name FROM harmonized_names ORDER BY id")]
    for view in VIEWS:
        db.execute(f"DROP VIEW IF EXISTS {view}")
    db.execute(f"CREATE VIEW report_figures AS {report_figures_sql(names)}")
    db.execute(f"CREATE VIEW figure_values AS {figure_values_sql([n for _, n in names] + list(RATES))}")
    db.execute(f"CREATE VIEW coverage AS {COVERAGE_SQL}")
    db.execute(f"CREATE VIEW corrections AS {CORRECTIONS_SQL}")
