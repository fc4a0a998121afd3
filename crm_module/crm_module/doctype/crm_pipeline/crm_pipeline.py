# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from crm_module import constants
from crm_module.services.pipeline import clear_stage_cache


class CRMPipeline(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		description: DF.SmallText | None
		is_default: DF.Check
		pipeline_name: DF.Data
	# end: auto-generated types

	def validate(self):
		if not self.is_default and not frappe.db.exists(
			constants.PIPELINE, {"is_default": 1, "name": ("!=", self.name)}
		):
			self.is_default = 1

	def on_update(self):
		if self.is_default:
			frappe.db.set_value(
				constants.PIPELINE,
				{"is_default": 1, "name": ("!=", self.name)},
				"is_default",
				0,
				update_modified=False,
			)

	def on_trash(self):
		if frappe.db.exists(constants.OPPORTUNITY, {"pipeline": self.name}):
			frappe.throw(
				_("Pipeline {0} has opportunities and cannot be deleted").format(self.name),
				frappe.LinkExistsError,
			)
		frappe.db.delete(constants.PIPELINE_STAGE, {"pipeline": self.name})
		clear_stage_cache()
