# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from crm_module.utils import require_range, throw_input


class CRMPipelineStage(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		color: DF.Color | None
		expected_cycle_days: DF.Int
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
		require_range(self, "probability", 0, 100)
		if (self.expected_cycle_days or 0) < 0:
			throw_input(_("Expected Cycle Days (expected_cycle_days) cannot be negative"))
		if self.is_final and self.outcome not in ("Won", "Lost"):
			throw_input(_("Outcome (outcome) is required for a final stage: choose Won or Lost"))
		if not self.is_final:
			self.outcome = ""
		if self.outcome == "Won":
			self.probability = 100
		elif self.outcome == "Lost":
			self.probability = 0
		clash = frappe.db.exists(
			"CRM Pipeline Stage",
			{"pipeline": self.pipeline, "stage_order": self.stage_order, "name": ("!=", self.name)},
		)
		if clash:
			throw_input(
				_("Stage Order (stage_order) {0} is already used by {1} in pipeline {2}").format(
					self.stage_order, clash, self.pipeline
				)
			)

	def on_update(self):
		clear_stage_cache(self.pipeline)

	def on_trash(self):
		if frappe.db.exists("CRM Opportunity", {"stage": self.name}):
			frappe.throw(
				_("Stage {0} is used by opportunities; move them to another stage first").format(self.name),
				frappe.LinkExistsError,
			)
		clear_stage_cache(self.pipeline)


def clear_stage_cache(pipeline: str | None = None) -> None:
	frappe.cache.delete_value("crm_module:pipeline_stages")


def get_pipeline_stages(pipeline: str) -> list[dict]:
	"""Ordered stages of a pipeline, cached per site and cleared whenever a stage changes."""
	cached = frappe.cache.hget("crm_module:pipeline_stages", pipeline)
	if cached is None:
		cached = frappe.get_all(
			"CRM Pipeline Stage",
			filters={"pipeline": pipeline},
			fields=[
				"name",
				"stage_name",
				"stage_order",
				"probability",
				"expected_cycle_days",
				"is_final",
				"outcome",
			],
			order_by="stage_order asc",
		)
		frappe.cache.hset("crm_module:pipeline_stages", pipeline, cached)
	return cached
