# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

"""Rows are written set-based by the daily run (`crm_module.services.sales.forecast.snapshot_pipeline`)."""

from frappe.model.document import Document

from crm_module import constants
from crm_module.utils import add_index


class CRMForecastSnapshot(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		currency: DF.Link | None
		expected_close_date: DF.Date | None
		forecast_amount: DF.Currency
		forecast_category: DF.Literal["", "Pipeline", "Best Case", "Commit", "Closed"]
		opportunity: DF.Data | None
		opportunity_owner: DF.Data | None
		snapshot_date: DF.Date
		status: DF.Literal["Open", "Won", "Lost"]
		value: DF.Currency
	# end: auto-generated types

	pass


def on_doctype_update():
	add_index(
		constants.FORECAST_SNAPSHOT, ["snapshot_date", "opportunity"], "snapshot_date_opportunity_index"
	)
