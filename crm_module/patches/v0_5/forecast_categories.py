"""Forecast categories (issue 13): every stage gets its default category (from its probability; the won
stage Closed, the lost stage none) where it has none, then every deal's stored category is set from its
status, override and stage in one statement."""

import frappe

from crm_module import constants
from crm_module.domain.forecasting import default_stage_category
from crm_module.services.pipeline import clear_stage_cache
from crm_module.services.sales import forecast


def execute():
	for stage in frappe.get_all(
		constants.PIPELINE_STAGE,
		filters={"forecast_category": ("in", ("", None))},
		fields=["name", "probability", "is_final", "outcome"],
	):
		category = default_stage_category(stage.probability or 0, bool(stage.is_final), stage.outcome)
		frappe.db.set_value(
			constants.PIPELINE_STAGE, stage.name, "forecast_category", category, update_modified=False
		)
	clear_stage_cache()
	forecast.recategorise()
