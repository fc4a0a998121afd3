# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

"""CRM Customer Health Score: one row per customer per day; the profile follows the latest row."""

import frappe
from frappe import _
from frappe.model.document import Document

from crm_module import constants
from crm_module.domain.health import risk_level
from crm_module.exceptions import CRMDuplicateError
from crm_module.utils import require_range

SCORES = ("health_score", "engagement_score", "activity_score", "satisfaction_score")


class CRMCustomerHealthScore(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		activity_score: DF.Int
		customer: DF.Link
		delta_30d: DF.Int
		delta_7d: DF.Int
		engagement_score: DF.Int
		factors: DF.JSON | None
		health_score: DF.Int
		recommendations: DF.SmallText | None
		risk_level: DF.Literal["Green", "Yellow", "Red"]
		satisfaction_score: DF.Int
		score_date: DF.Date
	# end: auto-generated types

	def validate(self):
		for field in SCORES:
			require_range(self, field, 0, 100, allow_empty=False)
		self.risk_level = risk_level(self.health_score)
		other = frappe.db.get_value(
			constants.HEALTH_SCORE,
			{"customer": self.customer, "score_date": self.score_date, "name": ("!=", self.name or "")},
		)
		if other:
			frappe.throw(
				_("{0} already has a health score for {1} ({2}): update that row (score_date)").format(
					self.customer, self.score_date, other
				),
				CRMDuplicateError,
			)

	def on_update(self):
		sync_profile(self.customer)

	def on_trash(self):
		sync_profile(self.customer, exclude=self.name)


def sync_profile(customer: str, exclude: str | None = None) -> None:
	"""Copy the customer's latest health row onto the profile (health_score, risk_level, health_updated_on)."""
	filters = {"customer": customer, "name": ("!=", exclude)} if exclude else {"customer": customer}
	latest = frappe.get_all(
		constants.HEALTH_SCORE,
		filters=filters,
		fields=["health_score", "risk_level", "score_date"],
		order_by="score_date desc",
		limit=1,
	)
	row = latest[0] if latest else frappe._dict()
	frappe.db.set_value(
		constants.CUSTOMER,
		customer,
		# Int columns are NOT NULL in Frappe: no health row left means 0, not NULL
		{
			"health_score": row.health_score or 0,
			"risk_level": row.risk_level,
			"health_updated_on": row.score_date,
		},
		update_modified=False,
	)


def on_doctype_update():
	frappe.db.add_unique(constants.HEALTH_SCORE, ["customer", "score_date"], "unique_customer_score_date")
