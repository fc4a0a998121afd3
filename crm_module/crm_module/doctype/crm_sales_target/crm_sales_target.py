# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

"""A sales target: the rules (one subject per kind, periods, amounts) are `crm_module.domain.targets`;
the figures against it are `crm_module.services.sales.targets`."""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint, flt

from crm_module import constants
from crm_module.domain.targets import check_period_start, period_bounds, period_label, subject_of
from crm_module.exceptions import CRMConflictError
from crm_module.utils import add_index, default_currency, domain_call, throw_input


class CRMSalesTarget(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		currency: DF.Link | None
		description: DF.SmallText | None
		period_end: DF.Date | None
		period_label: DF.Data | None
		period_start: DF.Date
		period_type: DF.Literal["Month", "Quarter"]
		sales_team: DF.Link | None
		subject: DF.Data | None
		target_amount: DF.Currency
		target_deals: DF.Int
		target_for: DF.Literal["Rep", "Team", "Territory"]
		territory: DF.Link | None
		user: DF.Link | None
	# end: auto-generated types

	def validate(self):
		self.subject = domain_call(subject_of, self.target_for, self.as_dict())
		start = domain_call(check_period_start, self.period_type, self.period_start)
		self.period_start = start
		self.period_end = period_bounds(self.period_type, start)[1]
		self.period_label = period_label(self.period_type, start)
		if flt(self.target_amount) < 0:
			throw_input(
				_("Target Amount (target_amount) must not be negative, got {0}").format(self.target_amount)
			)
		if cint(self.target_deals) < 0:
			throw_input(
				_("Target Deals (target_deals) must not be negative, got {0}").format(self.target_deals)
			)
		if not self.currency:
			self.currency = default_currency()
		self.check_unique()

	def check_unique(self):
		same = frappe.db.get_value(
			constants.SALES_TARGET,
			{
				"target_for": self.target_for,
				"subject": self.subject,
				"period_type": self.period_type,
				"period_start": self.period_start,
				"name": ("!=", self.name or ""),
			},
			"name",
		)
		if same:
			frappe.throw(
				_("{0} {1} already has a {2} target for {3}: {4}").format(
					_(self.target_for), self.subject, _(self.period_type).lower(), self.period_label, same
				),
				CRMConflictError,
				title=_("Duplicate target"),
			)


def on_doctype_update():
	# one target per subject and period; also the report's look-up by period
	add_index(
		constants.SALES_TARGET,
		["target_for", "subject", "period_type", "period_start"],
		"subject_period_unique",
		unique=True,
	)
	add_index(constants.SALES_TARGET, ["period_type", "period_start"], "period_index")
