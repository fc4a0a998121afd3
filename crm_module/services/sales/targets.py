"""Targets against won deals and the forecast: the figures behind the "CRM Target Attainment" report and
the dashboard's Targets section. The arithmetic is `crm_module.domain.targets`.

For every target, over its month or quarter:

* ``won``/``won_count``: deals with status Won whose ``actual_close_date`` falls in the period;
* ``forecast`` (weighted: the stored forecast amounts), ``pipeline`` (unweighted value) and
  ``open_count``: open deals whose ``expected_close_date`` falls in the period;
* then attainment, gap (signed), projected = won + forecast (`domain.targets.target_row`).

Whose deals: a Rep target counts the deals the rep owns (``opportunity_owner``); a Team target those
owned by the leads and members of the team and of all its sub-teams (`services.teams.team_users`, each
user once); a Territory target those of customers in the territory or any territory below it (a roll-up
of the per-territory figures over the tree, `domain.targets.rollup`).

Set-based: the figures come from at most four aggregate queries whatever the number of targets (won
and open, each grouped by owner and month, and by customer territory and month when territory targets
are asked for); periods are added up from their months.

Who sees what: the targets are read with the target rules (`crm_module.access.targets`: a rep their
own, a team lead their team's, managers all). A visible target's figures are that target's whole
figures (a team lead's team target counts every member's deals). Money is summed as stored, in each
deal's own currency (see `services.metrics`).
"""

from collections import defaultdict
from datetime import date

import frappe
from frappe.query_builder import DocType
from frappe.query_builder.functions import Coalesce, Count, Sum
from frappe.utils import getdate, nowdate
from pypika.terms import CustomFunction

from crm_module import constants
from crm_module.access.targets import target_conditions
from crm_module.access.teams import load_teams
from crm_module.domain import targets as domain
from crm_module.domain import teams as team_tree
from crm_module.services.reporting.metrics import RowCondition, currencies
from crm_module.services.sales import teams

Year = CustomFunction("YEAR", ["d"])
Month = CustomFunction("MONTH", ["d"])
TARGET_FIELDS = [
	"name",
	"target_for",
	"user",
	"sales_team",
	"territory",
	"subject",
	"period_type",
	"period_start",
	"period_end",
	"period_label",
	"target_amount",
	"target_deals",
	"currency",
]


def get_targets(user: str, filters: dict | None = None) -> list[dict]:
	"""The targets `user` may read (`access.targets`), with `filters`: ``period_type``, ``from_date`` /
	``to_date`` (periods starting in that window), ``target_for``, ``sales_team`` (the team's and its
	sub-teams' targets and its users' rep targets), ``territory`` (the territory's and those below it)."""
	f = frappe._dict(filters or {})
	target, query = target_query()
	condition = target_conditions(user)
	if condition:
		query = query.where(RowCondition(condition))
	if f.period_type:
		query = query.where(target.period_type == f.period_type)
	if f.from_date:
		query = query.where(target.period_start >= getdate(f.from_date))
	if f.to_date:
		query = query.where(target.period_start <= getdate(f.to_date))
	if f.target_for:
		query = query.where(target.target_for == f.target_for)
	if f.sales_team:
		team_names = team_subtree(f.sales_team)
		query = query.where(
			((target.target_for == "Team") & target.sales_team.isin(team_names))
			| ((target.target_for == "Rep") & target.user.isin(teams.team_users(f.sales_team) or [""]))
		)
	if f.territory:
		query = query.where(
			(target.target_for == "Territory")
			& target.territory.isin(teams.territory_subtree(f.territory) or [""])
		)
	order = {"Rep": 0, "Team": 1, "Territory": 2}
	rows = query.run(as_dict=True)
	return sorted(rows, key=lambda r: (r.period_start, order.get(r.target_for, 3), r.subject or ""))


def target_query():
	"""(CRM Sales Target table, a query selecting its TARGET_FIELDS)."""
	target = DocType(constants.SALES_TARGET)
	return target, frappe.qb.from_(target).select(*(target[field] for field in TARGET_FIELDS))


def team_subtree(team: str) -> list[str]:
	"""`team` and all its sub-teams."""
	all_teams, _members = load_teams()
	return team_tree.subtree(team, team_tree.children_of(all_teams))


def attainment_rows(targets: list[dict]) -> dict:
	"""``{"rows": [target fields + figures + parent], "currencies": [...]}`` for `targets`."""
	if not targets:
		return {"rows": [], "currencies": []}
	lo = min(getdate(t.period_start) for t in targets)
	hi = max(getdate(t.period_end or domain.period_bounds(t.period_type, t.period_start)[1]) for t in targets)
	all_teams, members = load_teams() if any(t.target_for == "Team" for t in targets) else ([], [])
	users_of = {}
	for t in targets:
		if t.target_for == "Rep":
			users_of[t.name] = [t.user]
		elif t.target_for == "Team":  # as `services.teams.team_users`, from one load of the team table
			users_of[t.name] = team_tree.team_users(t.sales_team, all_teams, members)
	owners = sorted({u for users in users_of.values() for u in users if u})
	found_currencies: list[str] = []
	by_owner = owner_figures(owners, lo, hi, found_currencies) if owners else {}
	by_territory, territory_parents = {}, {}
	if any(t.target_for == "Territory" for t in targets):
		territory_parents = {
			row.name: row.parent_crm_sales_territory
			for row in frappe.get_all(constants.TERRITORY, fields=["name", "parent_crm_sales_territory"])
		}
		own = territory_figures(lo, hi, found_currencies)
		by_territory = domain.rollup(own, territory_parents, domain.add_monthly)  # own + below, per month
	team_parents = {team.name: team.parent for team in all_teams}
	rows = []
	for t in targets:
		if t.target_for == "Territory":
			monthly = by_territory.get(t.territory, {})
			parent = territory_parents.get(t.territory)
		else:
			monthly = domain.add_monthly(*(by_owner.get(u, {}) for u in users_of.get(t.name, [])))
			parent = team_parents.get(t.sales_team) if t.target_for == "Team" else None
		figures = domain.figures_in_period(monthly, t.period_type, t.period_start)
		rows.append({**t, **domain.target_row(t.target_amount, figures, t.target_deals), "parent": parent})
	return {"rows": rows, "currencies": currencies(found_currencies)}


def _month(row) -> str:
	return f"{int(row.y):04d}-{int(row.m):02d}"


def owner_figures(owners: list[str], lo: date, hi: date, found_currencies: list) -> dict:
	"""``{owner: {"YYYY-MM": figures}}`` of won deals (by actual close) and open deals (by expected
	close) between `lo` and `hi` (2 queries)."""
	opp = DocType(constants.OPPORTUNITY)
	return _monthly_figures(
		frappe.qb.from_(opp),
		opp,
		opp.opportunity_owner,
		opp.opportunity_owner.isin(owners),
		lo,
		hi,
		found_currencies,
	)


def territory_figures(lo: date, hi: date, found_currencies: list) -> dict:
	"""``{territory: {"YYYY-MM": figures}}`` of the deals of the customers of each territory (its own
	customers only; `domain.targets.rollup` adds the territories below) (2 queries)."""
	opp, cust = DocType(constants.OPPORTUNITY), DocType(constants.CUSTOMER)
	out = _monthly_figures(
		frappe.qb.from_(opp).join(cust).on(cust.name == opp.customer),
		opp,
		cust.territory,
		cust.territory.isnotnull() & (cust.territory != ""),
		lo,
		hi,
		found_currencies,
	)
	# `rollup` wants figures per node: keep the months inside, added up per month
	return {key: dict(months) for key, months in out.items()}


def _monthly_figures(source, opp, key, condition, lo: date, hi: date, found_currencies: list) -> dict:
	"""``{key: {"YYYY-MM": figures}}`` of the deals of `source` (a query over `opp`) that meet `condition`:
	won deals by actual close and open deals by expected close between `lo` and `hi`, grouped by `key`."""
	out: dict = defaultdict(lambda: defaultdict(dict))
	for kind, date_field, status in (
		("won", "actual_close_date", "Won"),
		("open", "expected_close_date", "Open"),
	):
		when = opp[date_field]
		rows = (
			source.select(
				key.as_("key"),
				Year(when).as_("y"),
				Month(when).as_("m"),
				opp.currency,
				Count("*").as_("n"),
				Coalesce(Sum(opp.value), 0).as_("value"),
				Coalesce(Sum(opp.forecast_amount), 0).as_("forecast"),
			)
			.where(opp.status == status)
			.where(condition)
			.where(when >= lo)
			.where(when <= hi)
			.groupby(key, Year(when), Month(when), opp.currency)
			.run(as_dict=True)
		)
		_collect(out, rows, kind, found_currencies)
	return out


def _collect(out, rows, kind: str, found_currencies: list) -> None:
	for row in rows:
		cell = out[row.key][_month(row)]
		if kind == "won":
			add = {"won": row.value, "won_count": row.n}
		else:
			add = {"forecast": row.forecast, "pipeline": row.value, "open_count": row.n}
		out[row.key][_month(row)] = domain.add_figures(cell, add)
		found_currencies.append(row.currency)


def get_attainment(user: str, filters: dict | None = None) -> dict:
	"""The report's data: the targets `user` may read with their figures (see `attainment_rows`)."""
	return attainment_rows(get_targets(user, filters))


def get_user_targets(user: str, day=None) -> dict:
	"""The dashboard's Targets: `user`'s own rep targets of the month and the quarter containing `day`
	(default today) with their figures: ``{"month": row | None, "quarter": row | None, "currencies"}``."""
	day = getdate(day or nowdate())
	starts = {kind: domain.period_start(kind, day) for kind in domain.PERIOD_TYPES}
	target, query = target_query()
	found = (
		query.where(target.target_for == "Rep")
		.where(target.user == user)
		.where(
			((target.period_type == "Month") & (target.period_start == starts["Month"]))
			| ((target.period_type == "Quarter") & (target.period_start == starts["Quarter"]))
		)
		.run(as_dict=True)
	)
	result = attainment_rows(found)
	by_type = {row["period_type"]: row for row in result["rows"]}
	return {
		"month": by_type.get("Month"),
		"quarter": by_type.get("Quarter"),
		"currencies": result["currencies"],
	}
