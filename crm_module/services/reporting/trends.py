"""Sales trend by month for the dashboard page: won and lost deals by the month they closed, new
pipeline by the month it was created (`crm_module.domain.trends` defines the series).

Two grouped queries over the opportunities the user reaches (the same row rules as every list), cached
per user like the dashboard until the next write to what it reads (`metrics_cache`).
"""

import frappe
from frappe.query_builder import DocType
from frappe.query_builder.functions import Coalesce, Count, Date, Sum
from frappe.utils import add_days, add_months, get_first_day, getdate, nowdate
from pypika.terms import CustomFunction

from crm_module import constants
from crm_module.domain import trends as domain
from crm_module.services.reporting import cache as metrics_cache
from crm_module.services.reporting.metrics import require_read, scoped

DateFormat = CustomFunction("DATE_FORMAT", ["date", "format"])
DEFAULT_MONTHS = 12


def window(from_date=None, to_date=None) -> tuple:
	"""The months shown: `from_date`..`to_date`, by default the last 12 months up to today."""
	end = getdate(to_date or nowdate())
	start = getdate(from_date) if from_date else get_first_day(add_months(end, 1 - DEFAULT_MONTHS))
	return start, end


def get_monthly_trend(user: str | None = None, from_date=None, to_date=None) -> list[dict]:
	"""Won, lost and new pipeline per month for `user` (see the module docstring)."""
	user = user or frappe.session.user
	require_read(constants.OPPORTUNITY, user)
	start, end = window(from_date, to_date)
	return metrics_cache.cached("trend", user, compute_monthly_trend, user, start, end)


def compute_monthly_trend(user: str, start, end) -> list[dict]:
	opp = DocType(constants.OPPORTUNITY)
	closed_on = Coalesce(opp.actual_close_date, Date(opp.modified))
	closed = (
		frappe.qb.from_(opp)
		.select(
			DateFormat(closed_on, "%Y-%m").as_("month"),
			opp.status,
			Count("*").as_("count"),
			Coalesce(Sum(opp.value), 0).as_("value"),
		)
		.where(opp.status.isin(["Won", "Lost"]))
		.where(closed_on >= start)
		.where(closed_on < add_days(end, 1))
		.groupby(DateFormat(closed_on, "%Y-%m"), opp.status)
	)
	created = frappe.qb.from_(opp).select(
		DateFormat(opp.creation, "%Y-%m").as_("month"),
		Count("*").as_("count"),
		Coalesce(Sum(opp.value), 0).as_("value"),
	)
	created = scoped(created, opp, constants.OPPORTUNITY, user, start, end).groupby(
		DateFormat(opp.creation, "%Y-%m")
	)
	rows = scoped(closed, opp, constants.OPPORTUNITY, user).run(as_dict=True)
	rows += [{**row, "status": "New"} for row in created.run(as_dict=True)]
	return domain.monthly_series(domain.month_range(start, end), rows)
