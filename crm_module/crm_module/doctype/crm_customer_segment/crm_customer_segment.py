# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

"""CRM Customer Segment: static (hand-picked members) or dynamic (criteria re-evaluated daily/on demand)."""

import json

import frappe
from frappe import _
from frappe.model.document import Document

from crm_module import constants
from crm_module.domain.segments import parse_criteria
from crm_module.utils import throw_input


class CRMCustomerSegment(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from crm_module.crm_module.doctype.crm_segment_member.crm_segment_member import CRMSegmentMember

		criteria: DF.JSON | None
		description: DF.SmallText | None
		last_evaluated_on: DF.Datetime | None
		member_count: DF.Int
		members: DF.Table[CRMSegmentMember]
		segment_name: DF.Data
		segment_type: DF.Literal["Static", "Dynamic"]
	# end: auto-generated types

	def validate(self):
		if self.segment_type == "Dynamic":
			self.validate_criteria()
		else:
			self.validate_static_members()

	def validate_criteria(self):
		if not self.criteria:
			throw_input(_("Criteria (criteria) is required for a dynamic segment"))
		try:
			parsed = parse_criteria(self.criteria)
		except ValueError as e:
			throw_input(_("Criteria (criteria): {0}").format(str(e)))
		self.criteria = json.dumps(parsed.to_dict(), indent=1)

	def validate_static_members(self):
		seen = set()
		for row in self.members:
			if row.customer in seen:
				throw_input(
					_("Members (members) row {0}: customer {1} is listed twice").format(row.idx, row.customer)
				)
			seen.add(row.customer)
		names = (
			dict(
				frappe.get_all(
					constants.CUSTOMER,
					filters={"name": ("in", list(seen))},
					fields=["name", "company_name"],
					as_list=True,
				)
			)
			if seen
			else {}
		)
		for row in self.members:
			row.company_name = names.get(row.customer)
		self.member_count = len(self.members)

	def on_update(self):
		if self.segment_type != "Dynamic":
			return
		from crm_module.services.insights.segments import MEMBER, evaluate_segment

		evaluate_segment(self.name)
		self.set(
			"members",
			frappe.get_all(
				MEMBER,
				filters={"parent": self.name, "parenttype": constants.SEGMENT},
				fields=["name", "idx", "customer", "company_name"],
				order_by="idx asc",
			),
		)
		self.member_count, self.last_evaluated_on = frappe.db.get_value(
			constants.SEGMENT, self.name, ["member_count", "last_evaluated_on"]
		)
