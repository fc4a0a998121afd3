# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt
"""CRM Web Lead Settings: the public web-to-lead form (`/crm-lead`, `crm_module.api.web_lead.submit`).

The rules and the cached reader are in `crm_module.services.web_lead`."""

from frappe.model.document import Document

from crm_module.services.web_lead import clear_form_cache, validate_form_settings


class CRMWebLeadSettings(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from crm_module.crm_module.doctype.crm_web_lead_field.crm_web_lead_field import CRMWebLeadField

		allowed_origins: DF.SmallText | None
		consent_text: DF.SmallText | None
		default_owner: DF.Link | None
		default_territory: DF.Link | None
		enabled: DF.Check
		form_fields: DF.Table[CRMWebLeadField]
		form_title: DF.Data | None
		notify_owner: DF.Check
	# end: auto-generated types

	def validate(self):
		validate_form_settings(self)

	def on_update(self):
		clear_form_cache()
