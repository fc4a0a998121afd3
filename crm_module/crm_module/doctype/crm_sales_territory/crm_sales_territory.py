# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

from frappe.utils.nestedset import NestedSet

from crm_module.services.sales import teams


class CRMSalesTerritory(NestedSet):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from crm_module.crm_module.doctype.crm_sales_territory_rep.crm_sales_territory_rep import (
			CRMSalesTerritoryRep,
		)

		is_group: DF.Check
		lft: DF.Int
		old_parent: DF.Link | None
		parent_crm_sales_territory: DF.Link | None
		reps: DF.Table[CRMSalesTerritoryRep]
		rgt: DF.Int
		territory_name: DF.Data
	# end: auto-generated types

	nsm_parent_field = "parent_crm_sales_territory"

	def on_update(self):
		super().on_update()
		teams.clear_cache()

	def on_trash(self):
		super().on_trash()
		teams.clear_cache()
