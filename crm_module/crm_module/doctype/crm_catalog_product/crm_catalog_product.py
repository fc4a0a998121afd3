# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

"""The app's own product list, for opportunity lines on sites without ERPNext (there, ERPNext Items).

Every CRM User reads it (to pick products on their opportunities); CRM Managers maintain it. The code is
the record's name, so a line keeps pointing at the same product when its name or price changes.
"""

from frappe import _
from frappe.model.document import Document

from crm_module.utils import throw_input


class CRMCatalogProduct(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		currency: DF.Link | None
		description: DF.SmallText | None
		is_active: DF.Check
		price: DF.Currency
		product_code: DF.Data
		product_name: DF.Data
	# end: auto-generated types

	def validate(self):
		self.product_code = (self.product_code or "").strip()
		self.product_name = (self.product_name or "").strip()
		if (self.price or 0) < 0:
			throw_input(_("Price (price) must not be negative, got {0}").format(self.price))
