# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

"""A product line of a CRM Opportunity (the opportunity's controller computes its amount and the
opportunity's value from the lines: crm_module/domain/opportunity_lines.py). A row read on its own is as
reachable as its opportunity (crm_module/access/child_rows.py)."""

from frappe.model.document import Document

from crm_module.access.child_rows import ChildRowAccess


class CRMOpportunityLine(ChildRowAccess, Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		amount: DF.Currency
		currency: DF.Link | None
		discount_percent: DF.Percent
		item: DF.DynamicLink | None
		item_type: DF.Literal["CRM Catalog Product", "Item"]
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		product_name: DF.Data | None
		qty: DF.Float
		rate: DF.Currency
	# end: auto-generated types

	pass
