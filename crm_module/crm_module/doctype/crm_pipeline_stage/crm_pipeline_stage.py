# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint, flt

from crm_module import constants
from crm_module.domain.forecasting import default_stage_category
from crm_module.domain.pipeline import Stage, check_order_free, validate_stage
from crm_module.services.pipeline import clear_stage_cache
from crm_module.services.sales import forecast
from crm_module.utils import domain_call, throw_input


class CRMPipelineStage(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		color: DF.Color | None
		expected_cycle_days: DF.Int
		forecast_category: DF.Literal["", "Pipeline", "Best Case", "Commit", "Closed"]
		is_final: DF.Check
		outcome: DF.Literal["", "Won", "Lost"]
		pipeline: DF.Link
		probability: DF.Percent
		stage_name: DF.Data
		stage_order: DF.Int
	# end: auto-generated types

	def autoname(self):
		self.name = f"{self.stage_name.strip()} - {self.pipeline}"

	def validate(self):
		"""Final stages carry their outcome's probability; the rules are `domain.pipeline.validate_stage`."""
		if not self.is_final:
			self.outcome = ""
		if self.outcome == "Won":
			self.probability = 100
		elif self.outcome == "Lost":
			self.probability = 0
		if self.is_final or not self.forecast_category:
			self.forecast_category = domain_call(
				default_stage_category, self.probability, bool(self.is_final), self.outcome
			)
		stage = self.as_stage()
		siblings = [
			Stage(name=row.name, order=int(row.stage_order), probability=0)
			for row in frappe.get_all(
				constants.PIPELINE_STAGE,
				filters={"pipeline": self.pipeline, "name": ("!=", self.name or "")},
				fields=["name", "stage_order"],
			)
		]
		try:
			validate_stage(stage)
			check_order_free(siblings, stage)
		except ValueError as error:
			throw_input(_("{0} (pipeline {1})").format(str(error), self.pipeline))

	def as_stage(self) -> Stage:
		return Stage(
			name=self.stage_name or "",
			order=cint(self.stage_order),
			probability=flt(self.probability),
			is_final=bool(self.is_final),
			outcome=self.outcome or None,
			expected_cycle_days=cint(self.expected_cycle_days),
		)

	def on_update(self):
		clear_stage_cache()
		if self.has_value_changed("forecast_category") and not self.is_new():
			forecast.recategorise_stage(self.name)

	def on_trash(self):
		if frappe.db.exists(constants.OPPORTUNITY, {"stage": self.name}):
			frappe.throw(
				_("Stage {0} is used by opportunities; move them to another stage first").format(self.name),
				frappe.LinkExistsError,
			)
		clear_stage_cache()
