"""Daily refresh of the figures that age without a save: days in pipeline and forecast amount.

One set-based UPDATE over all opportunities (the same formulas as the controller, see
`crm_module.domain.forecasting`): open ones count days up to today, closed ones up to their close date;
the forecast is value x probability / 100 rounded half up to cents.
"""

import frappe
from frappe.query_builder import Case, CustomFunction
from frappe.query_builder.functions import Coalesce, Date, Round
from frappe.utils import nowdate

from crm_module import constants as c
from crm_module.services import metrics_cache

DateDiff = CustomFunction("DATEDIFF", ["end", "start"])
Greatest = CustomFunction("GREATEST", ["a", "b"])


def refresh_open_opportunities() -> None:
	"""Recompute `days_in_pipeline` and `forecast_amount` of every opportunity in one UPDATE."""
	opp = frappe.qb.DocType(c.OPPORTUNITY)
	end = Case().when(opp.status == "Open", nowdate()).else_(Coalesce(opp.actual_close_date, nowdate()))
	(
		frappe.qb.update(opp)
		.set(opp.days_in_pipeline, Greatest(DateDiff(end, Date(opp.creation)), 0))
		.set(
			opp.forecast_amount,
			Round(Coalesce(opp.value, 0) * Coalesce(opp.probability_percent, 0) / 100, 2),
		)
	).run()
	metrics_cache.invalidate()
