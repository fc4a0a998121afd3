# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

from frappe.model.document import Document

from crm_module.services.sales import teams


class CRMSalesTeam(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from crm_module.crm_module.doctype.crm_sales_team_member.crm_sales_team_member import (
			CRMSalesTeamMember,
		)

		description: DF.SmallText | None
		members: DF.Table[CRMSalesTeamMember]
		parent_team: DF.Link | None
		team_lead: DF.Link
		team_name: DF.Data
	# end: auto-generated types

	def validate(self):
		teams.validate_team(self)

	def on_change(self):
		teams.clear_cache()

	def on_trash(self):
		teams.check_no_sub_teams(self)
		teams.clear_cache()
