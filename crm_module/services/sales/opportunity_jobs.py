"""Daily refresh of the one opportunity figure that ages without a save: days in pipeline.

One set-based UPDATE over all opportunities, the rule of `crm_module.domain.forecasting.days_in_pipeline`:
open ones count whole days from creation up to today, closed ones up to their close date (never below 0).
The forecast amount does not age; the controller stores it on every save.
"""

import frappe
from frappe.query_builder import Case, CustomFunction
from frappe.query_builder.functions import Coalesce, Date
from frappe.utils import nowdate

from crm_module import constants
from crm_module.services.reporting import cache as metrics_cache

DateDiff = CustomFunction("DATEDIFF", ["end", "start"])
Greatest = CustomFunction("GREATEST", ["a", "b"])


def refresh_days_in_pipeline() -> None:
	"""Recompute `days_in_pipeline` of every opportunity, open and closed, in one UPDATE."""
	opp = frappe.qb.DocType(constants.OPPORTUNITY)
	end = Case().when(opp.status == "Open", nowdate()).else_(Coalesce(opp.actual_close_date, nowdate()))
	frappe.qb.update(opp).set(opp.days_in_pipeline, Greatest(DateDiff(end, Date(opp.creation)), 0)).run()
	metrics_cache.invalidate()
