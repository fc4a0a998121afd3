"""CRM metrics: the set-based queries behind the dashboard, reports and number cards.

Every function runs a fixed number of aggregate queries (``frappe.qb``) whatever the data size and feeds
`crm_module.domain.metrics`, which holds the arithmetic. Figures are scoped to ``user`` (default: the
session user) with the same row rules as lists and ``/api/resource`` (`crm_module.permissions`): a CRM
User sees only records they own, are assigned or reach through a parent; managers see everything.
Passing a rep as ``user`` shows that rep's view.

Definitions (``from_date``/``to_date``, both optional and inclusive, keep only records *created* in that
window):

Each figure is named here as it is returned (snake_case), with the API's camelCase key in brackets where
that key says something else (`crm_module.api.dashboard` renames them; nothing else does):

- ``total_customers``: customer profiles with status Active.
- ``active_leads`` [``totalLeads``]: leads with status New, Contacted or Qualified
  (`crm_module.domain.statuses.LEAD_ACTIVE_STATUSES`). ``leads_by_source`` counts the same active leads by
  source (lower-case key, ``frappe.scrub`` of the source, ``unknown`` when empty), so its values add up to
  ``active_leads``; the "CRM Leads by Source" chart counts the same leads.
- ``open_opportunities`` [``totalOpportunities``]: opportunities with status Open (in a non-final stage).
  ``pipeline_value``: the sum of their ``value``; ``average_open_deal_size`` [``averageDealSize``]:
  pipeline_value / open_opportunities. ``stage_pipeline``: open value per stage name (lower-case key,
  e.g. ``proposal``), stages of every pipeline with the same name added together; its values add up to
  ``pipeline_value``.
- ``conversion_rate``: leads with status Converted / all leads (any status) x 100, 2 decimals.
- ``conversion_metrics``: ``lead_to_customer_rate`` (= conversion_rate); ``win_rate`` = Won / (Won + Lost)
  x 100; ``average_won_deal_size`` [``conversionMetrics.averageDealSize``] = won value / number won;
  ``average_sales_cycle_days`` = mean of whole days from an opportunity's creation date to its close date
  (``actual_close_date``, else the date it was last modified) over Won and Lost ones;
  ``pipeline_velocity`` = open x win_rate/100 x average_won_deal_size / cycle days (money per day);
  ``customer_retention_rate`` = (active customers now - active customers created in the period) /
  customers that existed when the period began x 100, clamped to 0-100, where the period is
  ``from_date``..``to_date`` (default: the last 90 days).
- ``recent_interactions``: the 10 latest interactions (by interaction date); ``top_opportunities``: the
  5 open opportunities of highest value, with stage name and probability.

Currency: values are summed as stored, in each opportunity's own currency, assuming one company currency.
``currencies`` lists the distinct currencies of the opportunities counted (empty currency = the system
default currency) and ``mixed_currencies`` is true when there is more than one, in which case money sums
mix currencies and should not be read as one amount.
"""

import frappe
from frappe.query_builder import Case, DocType
from frappe.query_builder.functions import Coalesce, Count, Date, GroupConcat, Sum
from frappe.utils import add_days, getdate, nowdate
from pypika.terms import Criterion, CustomFunction

from crm_module import constants
from crm_module.access.conditions import reaches_many
from crm_module.domain import metrics as domain
from crm_module.domain.statuses import LEAD_ACTIVE_STATUSES
from crm_module.permissions import get_query_conditions
from crm_module.services.pipeline import get_all_stages, get_default_pipeline
from crm_module.services.reporting import cache as metrics_cache
from crm_module.utils import default_currency

DateDiff = CustomFunction("DATEDIFF", ["end", "start"])
Greatest = CustomFunction("GREATEST", ["a", "b"])
RECENT_INTERACTIONS = 10
TOP_OPPORTUNITIES = 5
RETENTION_DAYS = 90


class RowCondition(Criterion):
	"""A permission condition from `crm_module.permissions` as a query builder criterion."""

	def __init__(self, sql: str):
		super().__init__()
		self.sql = sql

	def get_sql(self, **kwargs) -> str:
		return self.sql.replace("%", "%%")  # qb queries always run with a parameter mapping


def scoped(query, table, doctype: str, user: str | None, from_date=None, to_date=None):
	"""`query` limited to the rows of `doctype` that `user` may read, created within the window."""
	user = user or frappe.session.user
	require_read(doctype, user)
	condition = get_query_conditions(doctype, user, sets_only=True)  # aggregates: the semi-join
	if condition:
		query = query.where(RowCondition(condition))
	# sargable windows: compare the indexed column itself, never DATE(column)
	if from_date:
		query = query.where(table.creation >= getdate(from_date))
	if to_date:
		query = query.where(table.creation < add_days(getdate(to_date), 1))
	return query


def require_read(doctype: str, user: str) -> None:
	if not frappe.has_permission(doctype, "read", user=user):
		frappe.throw(frappe._("Not permitted to read {0}").format(frappe._(doctype)), frappe.PermissionError)


def get_dashboard(user: str | None = None, from_date=None, to_date=None) -> dict:
	"""The full dashboard for `user` from two cached parts (`metrics_cache`): the figures over customers,
	leads and opportunities, and the latest interactions, which an interaction logged changes on its own."""
	user = user or frappe.session.user
	require_read(constants.CUSTOMER, user)
	data = metrics_cache.cached("dashboard", user, compute_figures, user, from_date, to_date)
	recent = metrics_cache.cached(
		"recent_interactions", user, compute_recent_interactions, user, from_date, to_date
	)
	return {**data, "recent_interactions": recent}


def compute_dashboard(user: str | None = None, from_date=None, to_date=None) -> dict:
	"""The full dashboard for `user`, computed: 6 queries (roles and defaults come from the cache)."""
	data = compute_figures(user, from_date, to_date)
	return {**data, "recent_interactions": compute_recent_interactions(user, from_date, to_date)}


def compute_figures(user: str | None = None, from_date=None, to_date=None) -> dict:
	"""The dashboard without its latest interactions: 5 queries."""
	aggregates = get_aggregates(user, from_date, to_date, interactions=False)
	data = domain.build_dashboard(aggregates)
	del data["recent_interactions"]
	data["conversion_metrics"]["customer_retention_rate"] = aggregates["retention_rate"]
	data["currencies"] = aggregates["currencies"]
	data["mixed_currencies"] = len(aggregates["currencies"]) > 1
	return data


def compute_recent_interactions(user: str | None = None, from_date=None, to_date=None) -> list[dict]:
	"""The dashboard's latest interactions, as JSON-friendly rows: 1 query."""
	return domain.json_rows(get_recent_interactions(user, from_date=from_date, to_date=to_date))


def get_aggregates(user: str | None = None, from_date=None, to_date=None, interactions: bool = True) -> dict:
	"""Raw aggregates in the shape `crm_module.domain.metrics.build_dashboard` takes, plus ``currencies``
	and ``retention_rate`` (without ``recent_interactions`` unless `interactions`)."""
	aggregates = {
		**_lead_counts(user, from_date, to_date),
		**_opportunity_totals(user, from_date, to_date),
		**_customer_counts(user, from_date, to_date),
	}
	aggregates["stage_pipeline"] = stage_values(get_stage_pipeline(user, None, from_date, to_date)["stages"])
	if interactions:
		aggregates["recent_interactions"] = get_recent_interactions(
			user, from_date=from_date, to_date=to_date
		)
	aggregates["top_opportunities"] = get_top_opportunities(user, from_date=from_date, to_date=to_date)
	return aggregates


def get_conversion_metrics(user: str | None = None, from_date=None, to_date=None) -> dict:
	"""``conversion_metrics`` of the dashboard (3 queries)."""
	aggregates = {
		**_lead_counts(user, from_date, to_date),
		**_opportunity_totals(user, from_date, to_date),
		**_customer_counts(user, from_date, to_date),
	}
	metrics = domain.build_dashboard(aggregates)["conversion_metrics"]
	metrics["customer_retention_rate"] = aggregates["retention_rate"]
	return metrics


def get_leads_by_source(user: str | None = None, from_date=None, to_date=None) -> dict[str, int]:
	"""Active leads per source (1 query)."""
	return _lead_counts(user, from_date, to_date)["leads_by_source"]


def _lead_counts(user, from_date, to_date) -> dict:
	lead = DocType(constants.LEAD)
	query = frappe.qb.from_(lead).select(lead.status, lead.source, Count("*").as_("n"))
	rows = (
		scoped(query, lead, constants.LEAD, user, from_date, to_date)
		.groupby(lead.status, lead.source)
		.run(as_dict=True)
	)
	by_source: dict[str, int] = {}
	for row in rows:
		if row.status in LEAD_ACTIVE_STATUSES:
			key = frappe.scrub(row.source) if row.source else "unknown"
			by_source[key] = by_source.get(key, 0) + row.n
	return {
		"total_leads": sum(row.n for row in rows),
		"active_leads": sum(by_source.values()),
		"converted_leads": sum(row.n for row in rows if row.status == "Converted"),
		"leads_by_source": dict(sorted(by_source.items(), key=lambda kv: (-kv[1], kv[0]))),
	}


def _opportunity_totals(user, from_date, to_date) -> dict:
	opp = DocType(constants.OPPORTUNITY)
	closed_on = Coalesce(opp.actual_close_date, Date(opp.modified))
	query = frappe.qb.from_(opp).select(
		opp.status,
		opp.currency,
		Count("*").as_("n"),
		Coalesce(Sum(opp.value), 0).as_("value"),
		Coalesce(Sum(Greatest(DateDiff(closed_on, Date(opp.creation)), 0)), 0).as_("cycle_days"),
	)
	query = scoped(query, opp, constants.OPPORTUNITY, user, from_date, to_date).groupby(
		opp.status, opp.currency
	)
	rows = query.run(as_dict=True)

	def total(status: str, key: str):
		return sum((row[key] for row in rows if row.status == status), 0)

	return {
		"open_opportunities": total("Open", "n"),
		"pipeline_value": total("Open", "value"),
		"won_count": total("Won", "n"),
		"won_value": total("Won", "value"),
		"lost_count": total("Lost", "n"),
		"closed_count": total("Won", "n") + total("Lost", "n"),
		"closed_cycle_days_total": total("Won", "cycle_days") + total("Lost", "cycle_days"),
		"currencies": currencies(row.currency for row in rows),
	}


def _customer_counts(user, from_date, to_date) -> dict:
	"""Active customers in the window, and the retention figures of the period (1 query)."""
	cust = DocType(constants.CUSTOMER)
	end = getdate(to_date or nowdate())
	start = getdate(from_date or add_days(end, -RETENTION_DAYS))
	created = Date(cust.creation)
	active = cust.status == "Active"
	in_window = Case().when(created >= getdate(from_date), 1).else_(0) if from_date else 1
	query = frappe.qb.from_(cust).select(
		Coalesce(Sum(Case().when(active, in_window).else_(0)), 0).as_("active"),
		Coalesce(Sum(Case().when(created < start, 1).else_(0)), 0).as_("at_start"),
		Coalesce(Sum(Case().when(active & (created <= end), 1).else_(0)), 0).as_("at_end"),
		Coalesce(Sum(Case().when(active & (created >= start) & (created <= end), 1).else_(0)), 0).as_("new"),
	)
	row = scoped(query, cust, constants.CUSTOMER, user, None, to_date).run(as_dict=True)[0]
	return {
		"total_customers": int(row.active),
		"retention_rate": domain.retention_rate(int(row.at_start), int(row.at_end), int(row.new)),
	}


def get_stage_pipeline(user: str | None = None, pipeline: str | None = None, from_date=None, to_date=None):
	"""Open opportunities per non-final stage (stages without any included), 1 query plus the cached
	stage list: ``{"pipeline", "stages": [{pipeline, stage, stage_name, stage_order, probability, count,
	value, forecast}], "total_value", "total_forecast", "currencies", "mixed_currencies"}``.
	`pipeline` None means every pipeline; ``forecast`` sums the stored ``forecast_amount`` (value x
	probability / 100 per opportunity, `crm_module.domain.forecasting`). The aggregate reads the
	covering index `open_stage_figures_index` (or, for a rep, only the rep's rows through the access index)."""
	opp = DocType(constants.OPPORTUNITY)
	query = (
		frappe.qb.from_(opp)
		.select(
			opp.stage,
			Count("*").as_("count"),
			Coalesce(Sum(opp.value), 0).as_("value"),
			Coalesce(Sum(opp.forecast_amount), 0).as_("forecast"),
			GroupConcat(opp.currency).distinct().as_("currencies"),
		)
		.where(opp.status == "Open")
	)
	totals = {
		row.stage: row
		for row in scoped(query, opp, constants.OPPORTUNITY, user, from_date, to_date)
		.groupby(opp.stage)
		.run(as_dict=True)
	}
	rows = []
	for stage in get_all_stages():
		if stage["is_final"] or (pipeline and stage["pipeline"] != pipeline):
			continue
		figures = totals.get(stage["name"]) or {}
		rows.append(
			frappe._dict(
				pipeline=stage["pipeline"],
				stage=stage["name"],
				stage_name=stage["stage_name"],
				stage_order=stage["stage_order"],
				probability=stage["probability"],
				count=figures.get("count", 0),
				value=figures.get("value", 0),
				forecast=figures.get("forecast", 0),
				currencies=figures.get("currencies"),
			)
		)
	found = currencies(cur for row in rows for cur in (row.pop("currencies") or "").split(",") if cur)
	return {
		"pipeline": pipeline,
		"stages": rows,
		"total_value": sum((row.value for row in rows), 0),
		"total_forecast": sum((row.forecast for row in rows), 0),
		"currencies": found,
		"mixed_currencies": len(found) > 1,
	}


def get_sales_pipeline(user: str | None = None, pipeline: str | None = None) -> dict:
	"""The stage breakdown of one pipeline (default: the default pipeline), cached like the dashboard
	until a write to an opportunity the user reaches (`metrics_cache`)."""
	user = user or frappe.session.user
	require_read(constants.OPPORTUNITY, user)
	pipeline = pipeline or get_default_pipeline()
	return metrics_cache.cached("pipeline", user, get_stage_pipeline, user, pipeline)


def stage_values(stages: list[dict]) -> dict:
	"""``{stage name key: open value}`` over all pipelines (same-named stages added together)."""
	out: dict = {}
	for row in stages:
		key = frappe.scrub(row["stage_name"])
		out[key] = out.get(key, 0) + row["value"]
	return out


def get_recent_interactions(
	user: str | None = None, limit: int = RECENT_INTERACTIONS, from_date=None, to_date=None
):
	"""The latest interactions with the customer's name (1 query)."""
	it, cust = DocType(constants.INTERACTION), DocType(constants.CUSTOMER)
	query = (
		frappe.qb.from_(it)
		.left_join(cust)
		.on(cust.name == it.customer)
		.select(
			it.name,
			it.interaction_type,
			it.subject,
			it.interaction_date,
			it.customer.as_("customer_id"),
			cust.company_name.as_("customer_name"),
			it.lead.as_("lead_id"),
			it.outcome,
			it.sentiment,
		)
		.orderby(it.interaction_date, order=frappe.qb.desc)
		.orderby(it.creation, order=frappe.qb.desc)
		.limit(limit)
	)
	if reaches_many(constants.INTERACTION, user or frappe.session.user):
		# read the newest entries of the date index and keep the reachable ones, instead of sorting
		# every interaction the rep reaches (MariaDB would drive the join from the access index)
		query = query.force_index("interaction_date_creation_index")
	return scoped(query, it, constants.INTERACTION, user, from_date, to_date).run(as_dict=True)


def get_top_opportunities(
	user: str | None = None, limit: int = TOP_OPPORTUNITIES, from_date=None, to_date=None
):
	"""The open opportunities of highest value with stage and probability (1 query)."""
	opp, stage, cust = (
		DocType(constants.OPPORTUNITY),
		DocType(constants.PIPELINE_STAGE),
		DocType(constants.CUSTOMER),
	)
	query = (
		frappe.qb.from_(opp)
		.left_join(stage)
		.on(stage.name == opp.stage)
		.left_join(cust)
		.on(cust.name == opp.customer)
		.select(
			opp.name,
			opp.opportunity_name,
			opp.customer.as_("customer_id"),
			cust.company_name.as_("customer_name"),
			stage.stage_name.as_("stage"),
			opp.probability_percent,
			opp.value,
			opp.currency,
			opp.expected_close_date,
		)
		.where(opp.status == "Open")
		# both descending, so the (status, value) index (which ends in the name) gives the order
		.orderby(opp.value, order=frappe.qb.desc)
		.orderby(opp.name, order=frappe.qb.desc)
		.limit(limit)
	)
	if reaches_many(constants.OPPORTUNITY, user or frappe.session.user):
		query = query.force_index("status_value_index")  # the highest values first, not a sort of all
	return scoped(query, opp, constants.OPPORTUNITY, user, from_date, to_date).run(as_dict=True)


def currencies(values) -> list[str]:
	"""Distinct currencies, an empty one meaning the system default currency."""
	default = default_currency()
	return sorted({value or default for value in values} - {None, ""})
