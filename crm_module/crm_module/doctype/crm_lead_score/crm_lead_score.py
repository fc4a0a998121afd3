# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

"""CRM Lead Score: one row per lead per day; the lead shows the latest row (latest_score/grade, scored_on)."""

import frappe
from frappe import _
from frappe.model.document import Document

from crm_module import constants
from crm_module.domain import lead_scoring
from crm_module.exceptions import CRMDuplicateError
from crm_module.services.settings import get_scoring_config
from crm_module.utils import labelled_call


class CRMLeadScore(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		activity_score: DF.Int
		engagement_score: DF.Int
		factors: DF.JSON | None
		fit_score: DF.Int
		grade: DF.Literal["A", "B", "C", "D"]
		lead: DF.Link
		scoring_date: DF.Date
		total_score: DF.Int
	# end: auto-generated types

	def validate(self):
		self.validate_components()
		self.validate_unique_day()

	def validate_components(self):
		"""The rules are `domain.lead_scoring.explicit_scores`; the total is derived when left empty, and the
		grade always (the Select defaults to "A")."""
		scores = {field: self.get(field) for field in (*lead_scoring.SCORE_FIELDS, "total_score")}
		values = labelled_call(
			constants.LEAD_SCORE, lead_scoring.explicit_scores, scores, get_scoring_config()
		)
		self.total_score = values["total_score"]
		self.grade = values["grade"]

	def validate_unique_day(self):
		other = frappe.db.get_value(
			constants.LEAD_SCORE,
			{"lead": self.lead, "scoring_date": self.scoring_date, "name": ("!=", self.name or "")},
		)
		if other:
			frappe.throw(
				_("{0} already has a score for {1} ({2}): update that row (scoring_date)").format(
					self.lead, self.scoring_date, other
				),
				CRMDuplicateError,
			)

	def on_update(self):
		sync_lead(self.lead)

	def on_trash(self):
		sync_lead(self.lead, exclude=self.name)


def sync_lead(lead: str, exclude: str | None = None) -> None:
	"""Copy the lead's latest score row (by scoring date) onto the lead, or clear it when there is none."""
	filters = {"lead": lead, "name": ("!=", exclude)} if exclude else {"lead": lead}
	latest = frappe.get_all(
		constants.LEAD_SCORE,
		filters=filters,
		fields=["total_score", "grade", "scoring_date"],
		order_by="scoring_date desc",
		limit=1,
	)
	row = latest[0] if latest else frappe._dict()
	frappe.db.set_value(
		constants.LEAD,
		lead,
		# Int columns are NOT NULL in Frappe: no score left means 0, not NULL
		{"latest_score": row.total_score or 0, "latest_grade": row.grade, "scored_on": row.scoring_date},
		update_modified=False,
	)


def on_doctype_update():
	frappe.db.add_unique(constants.LEAD_SCORE, ["lead", "scoring_date"], "unique_lead_scoring_date")
