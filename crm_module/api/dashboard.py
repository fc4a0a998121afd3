"""GET /api/method/crm_module.api.dashboard.get (seed: GET /api/crm/dashboard)."""

import frappe

from crm_module.api.params import camelize
from crm_module.services.common import acting_user
from crm_module.services.payload import iso_date
from crm_module.services.reporting import metrics, trends
from crm_module.services.sales import targets as sales_targets
from crm_module.services.sales import teams

# the seed's names for figures whose own names say more (`crm_module.domain.metrics.build_dashboard`)
SEED_KEYS = {
	"active_leads": "totalLeads",
	"open_opportunities": "totalOpportunities",
	"average_open_deal_size": "averageDealSize",  # top level: over open deals
	"average_won_deal_size": "averageDealSize",  # conversionMetrics: over won deals
}
DATA_MAPS = frozenset({"stage_pipeline", "leads_by_source"})


@frappe.whitelist(methods=["GET"])
@frappe.read_only()  # served from a read replica when the site configures one
def get(userId: str | None = None, fromDate: str | None = None, toDate: str | None = None) -> dict:
	"""Dashboard figures of the acting user (a manager may pass a rep's ``userId``); the optional
	``fromDate``/``toDate`` (ISO dates, inclusive) keep records created in that window. Every figure is
	defined in `crm_module.services.reporting.metrics`."""
	user = acting_user(userId)
	data = metrics.get_dashboard(user, iso_date(fromDate, "fromDate"), iso_date(toDate, "toDate"))
	return as_seed_keys(data)


def as_seed_keys(data: dict) -> dict:
	"""The dashboard in the seed's camelCase keys."""
	return camelize(data, SEED_KEYS, DATA_MAPS)


@frappe.whitelist(methods=["GET"])
@frappe.read_only()
def trend(userId: str | None = None, fromDate: str | None = None, toDate: str | None = None) -> list:
	"""Won, lost and new pipeline per month (default: the last 12 months) for the acting user: a list of
	``{month, wonCount, wonValue, lostCount, lostValue, newCount, newValue}``, defined in
	`crm_module.domain.trends`."""
	user = acting_user(userId)
	return camelize(
		trends.get_monthly_trend(user, iso_date(fromDate, "fromDate"), iso_date(toDate, "toDate"))
	)


@frappe.whitelist(methods=["GET"])
@frappe.read_only()
def team() -> dict:
	"""Whose dashboard the caller may open: ``{"members": null}`` for managers (anyone), else the caller
	and the people of the teams they lead (the dashboard's "Sales Rep" choices)."""
	return {"members": teams.visible_users(acting_user())}


@frappe.whitelist(methods=["GET"])
@frappe.read_only()
def targets(userId: str | None = None) -> dict:
	"""The acting user's own rep targets of the current month and quarter against their closed won deals
	and open forecast: ``{"month": {...} | null, "quarter": {...} | null, "currencies": [...]}``, each
	with ``periodLabel, targetAmount, won, wonCount, attainment, gap, forecast, pipeline, projected...``
	(`crm_module.services.sales.targets`). A manager may pass a rep's ``userId``."""
	return camelize(sales_targets.get_user_targets(acting_user(userId)))
