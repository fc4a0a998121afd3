"""My Day: gather the facts `crm_module.domain.my_day.rank` ranks, for the records a user reaches.

Set-based, a fixed number of queries whatever the user reaches (each scoped with the user's row rules,
`crm_module.permissions.get_query_conditions(..., sets_only=True)`, like `services.sales.forecast.scope`):

1. leads: open leads with a follow-up within the window (`domain.OVERDUE_WINDOW_DAYS` back .. the
   horizon) or hot (grade A/B, predicted conversion >= 50 %), each with its last interaction (a correlated
   MAX on the interaction's lead index); three queries, one per condition, each on an index of its own;
2. deals: the open deals that are an item (close date passed, longer in the stage than usual, no next step
   from today on), their score computed in SQL (expected value x the domain's urgency) and only the best
   `2 x limit + 10` fetched (`count(*) over ()` gives how many there are); the deals the next steps and
   meetings name and, when a monthly target has a gap, the open deals closing this month (the status /
   close date index) are read apart, so the ranking is the one all open deals would give;
3. next steps: interactions whose next step is dated within the window, not cancelled, with nothing
   logged on the same deal (else lead, else customer) after them (the next step date index, then NOT
   EXISTS on the record / date indexes);
4. meetings: the Meeting interactions dated today (the interaction date index);
5. customers: active customers that can be an item: Red with a day not Red in the last 7 days, or at high
   churn risk; with their won revenue of the last year;
6. their health rows of the last 7 days (the unique customer / date index): when they turned Red, how far
   health fell;
7. the history statistics (site-wide, cached for `caching.TTL`: a new stage move shifts a mean a little,
   never a record's facts): the mean days deals spent in each stage (CRM Deal Stage history) and the mean
   won deal of the last year; the next stage of each stage from the pipeline's cached stages;
8. the user's own target of this month (`services.sales.targets.get_user_targets`, at most 3 queries).

Money is taken as stored, in each record's currency (as the dashboard does).
"""

from datetime import timedelta
from itertools import pairwise

import frappe
from frappe import _
from frappe.query_builder import DocType
from frappe.query_builder.functions import Avg, Max, Sum
from frappe.utils import add_days, getdate, nowdate
from pypika.terms import ExistsCriterion

from crm_module import caching, constants
from crm_module.domain import my_day as domain
from crm_module.domain.statuses import LEAD_FINISHED_STATUSES
from crm_module.permissions import get_query_conditions
from crm_module.services.pipeline import get_all_stages
from crm_module.services.reporting.metrics import RowCondition, require_read
from crm_module.services.sales import targets as sales_targets

STATS_KEY = "crm_module:my_day_stage_stats"
RECORDS = {
	"lead": constants.LEAD,
	"deal": constants.OPPORTUNITY,
	"customer": constants.CUSTOMER,
	"interaction": constants.INTERACTION,
	"target": constants.SALES_TARGET,
}


def scope(query, doctype: str, user: str):
	"""`query` limited to the `doctype` records `user` reaches."""
	condition = get_query_conditions(doctype, user, sets_only=True)
	return query.where(RowCondition(condition)) if condition else query


def get_my_day(user: str, day=None, limit: int = domain.LIMIT) -> dict:
	"""``{"date", "user", "items": [...], "total"}``: the top `limit` items of `user`'s day, each with its
	record (``doctype``, ``name``, ``route``), ``reasons`` in words, ``action`` and ``actions``."""
	require_read(constants.OPPORTUNITY, user)
	today = getdate(day or nowdate())
	stats = stage_stats()
	deals, found = open_deals(user, today, stats, 2 * limit + 10)
	steps, meets = next_steps(user, today), meetings(user, today)
	target = month_target(user, today)
	named = {row.opportunity for row in steps + meets if row.opportunity} - {row.name for row in deals}
	facts = {
		"leads": leads(user, today),
		"deals": deals,
		"linked_deals": deals_named(user, named, stats["next_stage"]),
		"next_steps": steps,
		"meetings": meets,
		"customers": customers(user, today),
		"usual_days": stats["usual_days"],
		"deal_size": stats["deal_size"],
		"target": target,
	}
	if target and float(target.get("gap") or 0) > 0:
		facts["target_deals"] = deals_closing(user, target, stats["next_stage"])
	ranked = domain.rank(facts, today, limit=10_000)
	links = record_links(facts)
	return {
		"date": today.isoformat(),
		"user": user,
		"total": len(ranked) + found - len(deals),
		"items": [as_payload(entry, links) for entry in ranked[:limit]],
	}


def record_links(facts: dict) -> dict:
	"""{(record type, name): {customer, lead, opportunity}}: what a call logged from the item links to."""
	links = {("lead", row.name): {"lead": row.name} for row in facts["leads"]}
	links.update({("customer", row.name): {"customer": row.name} for row in facts["customers"]})
	for row in facts["deals"] + facts["linked_deals"]:
		links[("deal", row.name)] = {"customer": row.customer, "opportunity": row.name}
	for row in facts["next_steps"] + facts["meetings"]:
		links[("interaction", row.name)] = {k: row[k] for k in ("customer", "lead", "opportunity") if row[k]}
	return links


def as_payload(entry: dict, links: dict) -> dict:
	doctype = RECORDS[entry["record_type"]]
	out = {k: v for k, v in entry.items() if k not in ("reasons", "at", "due")}
	out.update(
		doctype=doctype,
		route=f"/app/{frappe.scrub(doctype).replace('_', '-')}/{entry['name']}",
		reasons=[domain.render(reason, _) for reason in entry["reasons"]],
		due=entry["due"].isoformat() if entry.get("due") else None,
		at=str(entry["at"]) if entry.get("at") else None,
		links=links.get((entry["record_type"], entry["name"]), {}),
	)
	if entry.get("about"):
		about_type, about_name = entry["about"]
		out["about"] = {"doctype": about_type, "name": about_name}
	return out


# ------------------------------------------------------------------ facts


def leads(user: str, today) -> list[dict]:
	lead, i = DocType(constants.LEAD), DocType(constants.INTERACTION).as_("i")
	touch = (
		frappe.qb.from_(i).select(Max(i.interaction_date)).where((i.lead == lead.name) & (i.cancelled == 0))
	)
	base = (
		frappe.qb.from_(lead)
		.select(
			lead.name,
			lead.lead_name,
			lead.company_name,
			lead.follow_up_date,
			lead.latest_grade.as_("grade"),
			lead.conversion_probability,
			lead.creation.as_("created"),
			touch.as_("last_touch"),
		)
		.where(lead.status.notin(LEAD_FINISHED_STATUSES))
	)
	window = lead.follow_up_date[
		add_days(today, -domain.OVERDUE_WINDOW_DAYS) : add_days(today, domain.HORIZON_DAYS)
	]
	rows = {}
	for condition in (
		window,
		lead.latest_grade.isin(sorted(domain.HOT_GRADES)),
		lead.conversion_probability >= domain.HOT_CONVERSION,
	):
		for row in scope(base.where(condition), constants.LEAD, user).run(as_dict=True):
			rows.setdefault(row.name, row)
	rows = list(rows.values())
	for row in rows:
		row["title"] = " - ".join(filter(None, (row.lead_name, row.company_name))) or row.name
	return rows


DEAL_FIELDS = """`name`, `opportunity_name`, `customer`, `customer_name`, `value`,
	`probability_percent` as `probability`, `expected_close_date`, `stage`, `stage_changed_on`, `creation`,
	(select max(i.`next_step_date`) from `tabCRM Interaction` i
		where i.`opportunity` = `tabCRM Opportunity`.`name` and i.`cancelled` = 0) as `next_step_date`"""


def reached_deals(user: str) -> str:
	"""`and <the deals user reaches>` for a query with %(...)s parameters ('' for a manager)."""
	condition = get_query_conditions(constants.OPPORTUNITY, user, sets_only=True).replace("%", "%%")
	return f"and {condition}" if condition else ""


def deal_rows(user: str, where: str, values: dict, next_stage: dict):
	rows = frappe.db.sql(
		f"""select {DEAL_FIELDS} from `tab{constants.OPPORTUNITY}`
		where `status` = 'Open' and {where} {reached_deals(user)}""",
		values,
		as_dict=True,
	)
	for row in rows:
		row["title"] = " - ".join(filter(None, (row.opportunity_name, row.customer_name))) or row.name
		row["stage_since"] = row.stage_changed_on or row.creation
		row["next_stage"] = next_stage.get(row.stage)
	return rows


def open_deals(user: str, today, stats: dict, limit: int) -> tuple[list[dict], int]:
	"""(the best `limit` open deals by score, how many open deals are an item): the score is the domain's
	(`domain.deal_items`: expected value x the highest urgency of the deal's kinds) in SQL."""
	values = {"today": today.isoformat(), "limit": limit}
	usual = []
	for i, (stage, days) in enumerate(sorted(stats["usual_days"].items())):
		values[f"stage{i}"], values[f"days{i}"] = stage, days
		usual.append(f"when %(stage{i})s then %(days{i})s")
	usual_days = f"(case `stage` {' '.join(usual)} end)" if usual else "null"
	in_stage = "datediff(%(today)s, ifnull(`stage_changed_on`, `creation`))"
	urgency = f"""greatest(
		if(`expected_close_date` < %(today)s,
			1.5 + least(datediff(%(today)s, `expected_close_date`), 30) / 20, 0),
		if({usual_days} > 0 and {in_stage} > {usual_days},
			1 + least({in_stage} / {usual_days} - 1, 2) / 2, 0),
		if(not exists (select 1 from `tabCRM Interaction` j where j.`opportunity` = `tabCRM Opportunity`.`name`
			and j.`cancelled` = 0 and j.`next_step_date` >= %(today)s), 1, 0))"""
	# each deal's urgency is computed once, in a derived table its LIMIT keeps MariaDB from merging back
	# (merged, the NOT EXISTS ran again in the filter and the sort of every open deal), then the best
	# `limit` are ranked; their fields and next steps are read for those rows only
	ranked = frappe.db.sql(
		f"""select `name`, count(*) over () as `found` from (
			select `name`, ifnull(`value`, 0) * ifnull(`probability_percent`, 0) / 100 as `expected`,
				{urgency} as `urgency`
			from `tab{constants.OPPORTUNITY}`
			where `status` = 'Open' {reached_deals(user)}
			limit 18446744073709551615) as `scored`
		where `urgency` > 0
		order by `expected` * `urgency` desc, `name` limit %(limit)s""",
		values,
		as_dict=True,
	)
	order = {row.name: i for i, row in enumerate(ranked)}
	rows = sorted(deals_named(user, set(order), stats["next_stage"]), key=lambda row: order[row.name])
	return rows, (ranked[0].found if ranked else 0)


def deals_named(user: str, names: set, next_stage: dict) -> list[dict]:
	"""The open deals in `names` (those the next steps and meetings are about: their value counts)."""
	if not names:
		return []
	return deal_rows(user, "`name` in %(names)s", {"names": tuple(names)}, next_stage)


def deals_closing(user: str, target: dict, next_stage: dict) -> list[dict]:
	"""The open deals expected to close within the target's period (what could fill its gap)."""
	values = {"start": target["period_start"], "end": target["period_end"]}
	return deal_rows(user, "`expected_close_date` between %(start)s and %(end)s", values, next_stage)


def next_steps(user: str, today) -> list[dict]:
	"""Interactions with a next step due up to the horizon that nothing logged later on the same record
	superseded (three NOT EXISTS, each on an index of its own)."""
	condition = get_query_conditions(constants.INTERACTION, user, sets_only=True)
	table = f"`tab{constants.INTERACTION}`"
	later = f"""not exists (select 1 from {table} j where j.`{{field}}` = {table}.`{{field}}`
		and j.`interaction_date` > {table}.`interaction_date` and j.`cancelled` = 0)"""
	rows = frappe.db.sql(
		f"""select `name`, `subject`, `next_step`, `next_step_date`, `opportunity`, `lead`, `customer`
		from {table}
		where `next_step_date` between %(since)s and %(until)s and `cancelled` = 0 and ifnull(`next_step`, '') != ''
		and (`opportunity` is null or {later.format(field="opportunity")})
		and (`opportunity` is not null or `lead` is null or {later.format(field="lead")})
		and (`opportunity` is not null or `lead` is not null or `customer` is null
			or {later.format(field="customer")})
		{"and " + condition if condition else ""}""",
		{
			"since": add_days(today, -domain.OVERDUE_WINDOW_DAYS),
			"until": add_days(today, domain.HORIZON_DAYS),
		},
		as_dict=True,
	)
	for row in rows:
		row["title"] = row.subject or row.next_step
		row["about"] = about(row)
	return rows


def about(row) -> tuple | None:
	for field, kind in (("opportunity", "deal"), ("lead", "lead"), ("customer", "customer")):
		if row.get(field):
			return (RECORDS[kind], row[field])
	return None


def meetings(user: str, today) -> list[dict]:
	i = DocType(constants.INTERACTION)
	start = getdate(today)
	query = (
		frappe.qb.from_(i)
		.select(i.name, i.subject, i.interaction_date.as_("at"), i.opportunity, i.lead, i.customer)
		.where(i.interaction_type == "Meeting")
		.where(i.cancelled == 0)
		.where(i.interaction_date >= start)
		.where(i.interaction_date < start + timedelta(days=1))
	)
	rows = scope(query, constants.INTERACTION, user).run(as_dict=True)
	for row in rows:
		row["title"] = row.subject or _("Meeting")
		row["about"] = about(row)
	return rows


def customers(user: str, today) -> list[dict]:
	cust, opp = DocType(constants.CUSTOMER), DocType(constants.OPPORTUNITY).as_("o")
	h = DocType(constants.HEALTH_SCORE).as_("h")
	# Red customers are an item only when they turned Red within the 7 days (a day not Red in them)
	turned = (
		frappe.qb.from_(h)
		.select(h.customer)
		.where(h.customer == cust.name)
		.where(h.score_date >= add_days(today, -7))
		.where(h.risk_level != "Red")
	)
	revenue = (
		frappe.qb.from_(opp)
		.select(Sum(opp.value))
		.where((opp.customer == cust.name) & (opp.status == "Won"))
		.where(opp.actual_close_date >= add_days(today, -365))
	)
	query = (
		frappe.qb.from_(cust)
		.select(
			cust.name,
			cust.company_name.as_("title"),
			cust.risk_level,
			cust.health_score,
			cust.churn_probability,
			revenue.as_("revenue"),
		)
		.where(cust.status == "Active")
		.where(
			((cust.risk_level == "Red") & ExistsCriterion(turned))
			| (cust.churn_probability >= domain.CHURN_HIGH)
		)
	)
	rows = scope(query, constants.CUSTOMER, user).run(as_dict=True)
	if rows:
		add_health_trend(rows, today)
	return rows


def add_health_trend(rows: list[dict], today) -> None:
	"""``red_since`` (the first Red day after a day that was not Red, within 7 days) and
	``health_change_7d`` (latest score minus the earliest in those 7 days) from the health rows."""
	h = DocType(constants.HEALTH_SCORE)
	history = (
		frappe.qb.from_(h)
		.select(h.customer, h.score_date, h.health_score, h.risk_level)
		.where(h.customer.isin([row.name for row in rows]))
		.where(h.score_date >= add_days(today, -7))
		.orderby(h.customer)
		.orderby(h.score_date)
	).run(as_dict=True)
	by_customer: dict[str, list] = {}
	for point in history:
		by_customer.setdefault(point.customer, []).append(point)
	for row in rows:
		points = by_customer.get(row.name) or []
		row["health_change_7d"] = (points[-1].health_score - points[0].health_score) if points else 0
		row["red_since"] = None
		for before, after in pairwise(points):
			if before.risk_level != "Red" and after.risk_level == "Red":
				row["red_since"] = after.score_date
		if row["red_since"] and points[-1].risk_level != "Red":
			row["red_since"] = None


def month_target(user: str, today) -> dict | None:
	row = sales_targets.get_user_targets(user, today).get("month")
	if not row:
		return None
	return {
		"name": row["name"],
		"title": _("Target {0}").format(row.get("period_label") or row["period_start"]),
		"gap": row.get("gap"),
		"target_amount": row.get("target_amount"),
		"won": row.get("won"),
		"period_start": row["period_start"],
		"period_end": row.get("period_end") or sales_targets.domain.period_bounds("Month", today)[1],
	}


# ------------------------------------------------------------------ stage statistics


def stage_stats() -> dict:
	"""The history figures (site-wide, slow to move: cached up to `caching.TTL`) and the next stages
	(from `services.pipeline.get_all_stages`, whose cache every stage change drops)."""
	return {**caching.cached(STATS_KEY, compute_history_stats), "next_stage": next_stages(get_all_stages())}


def next_stages(stages: list[dict]) -> dict:
	"""{stage: the next stage by order in its pipeline that is not a Lost one} for non-final stages."""
	out = {}
	for current in stages:
		forward = [
			s.name
			for s in stages
			if s.pipeline == current.pipeline and s.stage_order > current.stage_order and s.outcome != "Lost"
		]
		if forward and not current.is_final:
			out[current.name] = forward[0]
	return out


def compute_history_stats() -> dict:
	"""``usual_days``: mean days_in_previous_stage per stage over the stage history (reopens left out);
	``deal_size``: the mean value of the deals won in the last year (2 queries)."""
	moves = DocType(constants.DEAL_STAGE)
	usual = (
		frappe.qb.from_(moves)
		.select(moves.from_stage, Avg(moves.days_in_previous_stage).as_("days"))
		.where(moves.from_stage.isnotnull() & (moves.is_reopen == 0))
		.groupby(moves.from_stage)
	).run(as_dict=True)
	opp = DocType(constants.OPPORTUNITY)
	won = (
		frappe.qb.from_(opp)
		.select(Avg(opp.value))
		.where((opp.status == "Won") & (opp.actual_close_date >= add_days(nowdate(), -365)))
	).run()
	return {
		"usual_days": {row.from_stage: float(row.days) for row in usual if row.days},
		"deal_size": float(won[0][0] or 0) if won else 0.0,
	}
