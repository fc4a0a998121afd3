"""The revenue forecast: deals by expected close month and forecast category, and what changed since a
snapshot of the pipeline taken a week earlier.

* Categories (`crm_module.domain.forecasting`): an open deal is Pipeline, Best Case or Commit (its
  stage's category unless overridden on the deal), a won deal Closed; lost deals have none and are never
  counted. The controller stores the deal's category (``forecast_category``); `recategorise` keeps the
  stored categories in step when a stage's category changes (set-based).
* The forecast (`get_forecast`): per month and category, the number of deals, their value (unweighted)
  and the sum of their stored forecast amounts (``value x probability``; a won deal counts in full). Open
  deals fall in the month of their expected close date, won deals in that of their actual close date.
* The snapshot (`snapshot_pipeline`, a step of the daily run): every open deal, and every deal closed in
  the last week, copied with one ``INSERT ... SELECT`` into CRM Forecast Snapshot for the day (a rerun the
  same day replaces the day's rows); rows older than `KEEP_DAYS` are deleted.
* The changes (`get_changes`): the snapshot of `COMPARE_DAYS` days ago (the latest one on or before that
  day) against the deals as they are now, classified by `domain.forecasting.classify_changes`.

Every figure is scoped to what ``user`` reaches (`crm_module.access.conditions`, the same semi-join as
the dashboard): a rep sees their own deals, a team lead their team's, a manager everything. Snapshot rows
are scoped through the deal they copy (a deal the user no longer reaches drops out of both sides).
Money is summed as stored, in each deal's currency (see `crm_module.services.reporting.metrics`).
"""

import frappe
from frappe.query_builder import DocType
from frappe.query_builder.functions import Coalesce, Count, Sum
from frappe.utils import add_days, add_months, getdate, nowdate
from pypika.terms import Case, CustomFunction

from crm_module import constants
from crm_module.domain.forecasting import FORECAST_CATEGORIES, OPEN_CATEGORIES, classify_changes
from crm_module.permissions import get_query_conditions
from crm_module.services.reporting.metrics import RowCondition, currencies, require_read

KEEP_DAYS = 8 * 7 + 1  # eight weeks of history, so "a week ago" is there for eight weeks
COMPARE_DAYS = 7
RECENTLY_CLOSED_DAYS = 7
Year = CustomFunction("YEAR", ["d"])
Month = CustomFunction("MONTH", ["d"])


# ------------------------------------------------------------------ categories

CATEGORY_SQL = """case
	when o.`status` = 'Won' then 'Closed'
	when o.`status` = 'Lost' then ''
	when o.`forecast_category_override` in ({open}) then o.`forecast_category_override`
	when s.`forecast_category` in ({open}) then s.`forecast_category`
	else 'Pipeline' end"""


def recategorise(stage: str | None = None) -> None:
	"""Store every deal's category again from its status, override and stage (one UPDATE; only the
	deals of `stage` when given). The rule is `domain.forecasting.deal_category`."""
	open_list = ", ".join(frappe.db.escape(c) for c in OPEN_CATEGORIES)
	where = f"where o.`stage` = {frappe.db.escape(stage)}" if stage else ""
	frappe.db.sql(
		f"""update `tab{constants.OPPORTUNITY}` o
		left join `tab{constants.PIPELINE_STAGE}` s on s.`name` = o.`stage`
		set o.`forecast_category` = {CATEGORY_SQL.format(open=open_list)}
		{where}"""
	)


def recategorise_stage(stage: str) -> None:
	"""A stage's category changed: its deals follow (the controller's `on_update`)."""
	recategorise(stage)


# ------------------------------------------------------------------ forecast


def scope(query, user: str):
	"""`query` on CRM Opportunity limited to the deals `user` reaches (403 without read permission)."""
	require_read(constants.OPPORTUNITY, user)
	condition = get_query_conditions(constants.OPPORTUNITY, user, sets_only=True)
	return query.where(RowCondition(condition)) if condition else query


def get_forecast(user: str, from_date=None, to_date=None) -> dict:
	"""Per close month and category: ``{"rows": [{month, forecast_category, count, value, weighted}],
	"totals": {category: {count, value, weighted}}, "currencies": [...]}`` (1 query). Months are
	``YYYY-MM``; the window (inclusive, default: this month and the next five) applies to the close date
	that places the deal (actual for won deals, expected for open ones)."""
	start = getdate(from_date or nowdate()).replace(day=1)
	end = getdate(to_date) if to_date else add_days(add_months(start, 6), -1)
	opp = DocType(constants.OPPORTUNITY)
	placed = (
		Case()
		.when(opp.status == "Won", Coalesce(opp.actual_close_date, opp.expected_close_date))
		.else_(opp.expected_close_date)
	)
	query = (
		frappe.qb.from_(opp)
		.select(
			Year(placed).as_("y"),
			Month(placed).as_("m"),
			opp.status,
			opp.forecast_category,
			opp.currency,
			Count("*").as_("count"),
			Coalesce(Sum(opp.value), 0).as_("value"),
			Coalesce(Sum(opp.forecast_amount), 0).as_("weighted"),
		)
		.where(opp.status.isin(["Open", "Won"]))  # lost deals never count
		.where(placed >= start)
		.where(placed <= end)
		.groupby(Year(placed), Month(placed), opp.status, opp.forecast_category, opp.currency)
	)
	found = scope(query, user).run(as_dict=True)
	rows: dict[tuple[str, str], dict] = {}
	totals = {c: {"count": 0, "value": 0, "weighted": 0} for c in FORECAST_CATEGORIES}
	for row in found:
		month = f"{int(row.y):04d}-{int(row.m):02d}"
		category = "Closed" if row.status == "Won" else (row.forecast_category or "Pipeline")
		bucket = rows.setdefault(
			(month, category),
			{"month": month, "forecast_category": category, "count": 0, "value": 0, "weighted": 0},
		)
		for key in ("count", "value", "weighted"):
			bucket[key] += row[key]
			totals[category][key] += row[key]
	order = {c: i for i, c in enumerate(FORECAST_CATEGORIES)}
	return {
		"from_date": start,
		"to_date": end,
		"rows": sorted(rows.values(), key=lambda r: (r["month"], order[r["forecast_category"]])),
		"totals": totals,
		"currencies": currencies(row.currency for row in found),
	}


# ------------------------------------------------------------------ snapshot


def snapshot_pipeline(day=None) -> int:
	"""Copy today's open deals (and those closed in the last week) into CRM Forecast Snapshot, replacing
	the day's rows, and drop rows older than `KEEP_DAYS` (3 set-based statements). Returns the row count."""
	day = getdate(day or nowdate())
	table = f"`tab{constants.FORECAST_SNAPSHOT}`"
	frappe.db.sql(f"delete from {table} where `snapshot_date` = %(day)s", {"day": day})
	frappe.db.sql(
		f"delete from {table} where `snapshot_date` < %(oldest)s", {"oldest": add_days(day, -KEEP_DAYS)}
	)
	frappe.db.sql(
		f"""insert into {table} (`name`, `creation`, `modified`, `owner`, `modified_by`, `docstatus`, `idx`,
			`snapshot_date`, `opportunity`, `opportunity_owner`, `status`, `forecast_category`,
			`expected_close_date`, `value`, `forecast_amount`, `currency`)
		select concat(%(day)s, ':', o.`name`), now(6), now(6), 'Administrator', 'Administrator', 0, 0,
			%(day)s, o.`name`, o.`opportunity_owner`, o.`status`, ifnull(o.`forecast_category`, ''),
			o.`expected_close_date`, ifnull(o.`value`, 0), ifnull(o.`forecast_amount`, 0), o.`currency`
		from `tab{constants.OPPORTUNITY}` o
		where o.`status` = 'Open' or o.`actual_close_date` >= %(closed_since)s""",
		{"day": day, "closed_since": add_days(day, -RECENTLY_CLOSED_DAYS)},
	)
	return frappe.db.count(constants.FORECAST_SNAPSHOT, {"snapshot_date": day})


def snapshot_date_before(day) -> str | None:
	"""The latest snapshot taken on or before `day` (None when there is none)."""
	snap = DocType(constants.FORECAST_SNAPSHOT)
	found = (
		frappe.qb.from_(snap)
		.select(snap.snapshot_date)
		.where(snap.snapshot_date <= getdate(day))
		.orderby(snap.snapshot_date, order=frappe.qb.desc)
		.limit(1)
		.run()
	)
	return found[0][0] if found else None


def get_changes(user: str, from_date, to_date, compare_to=None) -> dict:
	"""What changed in the forecast of ``from_date``..``to_date`` since the snapshot of ``compare_to``
	(default: a week ago; the latest snapshot on or before it): the result of
	`domain.forecasting.classify_changes` plus ``snapshot_date`` (None, and no changes, when no snapshot
	is old enough) and each deal's name and owner (2 queries plus the snapshot date)."""
	require_read(constants.OPPORTUNITY, user)
	start, end = getdate(from_date), getdate(to_date)
	snapshot_date = snapshot_date_before(compare_to or add_days(nowdate(), -COMPARE_DAYS))
	if not snapshot_date:
		return {"snapshot_date": None, **classify_changes([], [], start, end), "changes": []}
	fields = "`opportunity`, `status`, `expected_close_date`, `value`, `forecast_amount`, `forecast_category`"
	# the raw statements below run with parameters: a literal % of the condition must be doubled
	condition = get_query_conditions(constants.OPPORTUNITY, user, sets_only=True).replace("%", "%%")
	reached = f"select `name` from `tab{constants.OPPORTUNITY}`" + (
		f" where {condition}" if condition else ""
	)
	previous = frappe.db.sql(
		f"""select {fields} from `tab{constants.FORECAST_SNAPSHOT}`
		where `snapshot_date` = %(day)s and `opportunity` in ({reached})""",
		{"day": snapshot_date},
		as_dict=True,
	)
	known = [row.opportunity for row in previous]
	current = frappe.db.sql(
		f"""select `name` as `opportunity`, `opportunity_name`, `opportunity_owner`, `status`,
			`expected_close_date`, `value`, `forecast_amount`, `forecast_category`
		from `tab{constants.OPPORTUNITY}`
		where (`status` = 'Open' or `name` in %(known)s) {f"and {condition}" if condition else ""}""",
		{"known": known or [""]},
		as_dict=True,
	)
	result = classify_changes(previous, current, start, end)
	names = {row.opportunity: row for row in current}
	before = {row.opportunity: row for row in previous}
	for change in result["changes"]:
		now = names.get(change["opportunity"]) or {}
		change["opportunity_name"] = now.get("opportunity_name")
		change["opportunity_owner"] = now.get("opportunity_owner")
		change["category_before"] = (before.get(change["opportunity"]) or {}).get("forecast_category")
		change["category_after"] = now.get("forecast_category")
	return {"snapshot_date": snapshot_date, **result}
