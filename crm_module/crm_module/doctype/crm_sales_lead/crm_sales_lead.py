# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from crm_module import constants
from crm_module.domain.contact_points import normalize_email
from crm_module.domain.duplicates import company_key
from crm_module.exceptions import CRMConflictError
from crm_module.services.assignment import assign_new_owner
from crm_module.services.contact_points import site_phone
from crm_module.services.dedupe.guard import check_duplicates
from crm_module.services.sales.teams import route_by_territory
from crm_module.utils import domain_call, throw_input


class CRMSalesLead(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		company_key: DF.Data | None
		company_name: DF.Data | None
		company_size: DF.Literal["", "1-10", "11-50", "51-200", "201-500", "501-1000", "1000+"]
		consent_at: DF.Datetime | None
		consent_ip: DF.Data | None
		consent_text: DF.SmallText | None
		conversion_probability: DF.Percent
		converted_contact: DF.Link | None
		converted_customer: DF.Link | None
		converted_on: DF.Date | None
		converted_opportunity: DF.Link | None
		country: DF.Link | None
		email_id: DF.Data | None
		follow_up_date: DF.Date | None
		follow_up_event: DF.Link | None
		follow_up_reminded_on: DF.Date | None
		industry: DF.Data | None
		job_title: DF.Data | None
		latest_grade: DF.Literal["", "A", "B", "C", "D"]
		latest_score: DF.Int
		lead_name: DF.Data
		lead_owner: DF.Link | None
		lost_reason: DF.SmallText | None
		notes: DF.Text | None
		phone: DF.Data | None
		prediction_factors: DF.JSON | None
		quality: DF.Literal["", "Hot", "Warm", "Cold"]
		referrer: DF.SmallText | None
		scored_on: DF.Date | None
		source: DF.Literal[
			"",
			"Website",
			"Referral",
			"Inbound",
			"Outbound",
			"Event",
			"Campaign",
			"Social",
			"Partner",
			"Cold Call",
			"Web Form",
			"Other",
		]
		status: DF.Literal["New", "Contacted", "Qualified", "Unqualified", "Converted", "Lost"]
		territory: DF.Link | None
		utm_campaign: DF.Data | None
		utm_medium: DF.Data | None
		utm_source: DF.Data | None
		website: DF.Data | None
	# end: auto-generated types

	def before_insert(self):
		route_by_territory(self)  # unowned records go to the territory's rep

	def validate(self):
		self.lead_name = (self.lead_name or "").strip()
		self.company_key = company_key(self.company_name)  # duplicate candidates group on it
		if self.email_id:
			self.email_id = domain_call(normalize_email, self.email_id)
		if self.phone:
			self.phone = domain_call(site_phone, self.phone)
		self.validate_conversion_status()
		if self.is_new() or self.has_value_changed("email_id") or self.has_value_changed("phone"):
			check_duplicates(self, [self.email_id], [self.phone])

	def on_update(self):
		if self.flags.crm_migrating:
			return  # a migration keeps the source's owner without assigning anew (services/migration/core.py)
		before = self.get_doc_before_save()
		if before is None:
			if self.lead_owner and self.lead_owner != frappe.session.user:
				assign_new_owner(self, None)
		elif before.lead_owner != self.lead_owner:
			assign_new_owner(self, before.lead_owner)

	def validate_conversion_status(self):
		"""Converted is reached only through conversion (which sets the links) and is final."""
		before = self.get_doc_before_save()
		if before and before.status == "Converted" and self.status != "Converted":
			frappe.throw(
				_("Lead {0} is converted; its status (status) cannot change").format(self.name),
				CRMConflictError,
			)
		if self.status == "Converted" and not self.converted_customer:
			throw_input(
				_(
					"Status (status) Converted is set by converting the lead (Convert to Customer), not by hand"
				)
			)


def on_doctype_update():
	frappe.db.add_index(constants.LEAD, ["lead_owner", "status"], "lead_owner_status_index")
	# lead counts by status and source read the index alone
	frappe.db.add_index(constants.LEAD, ["status", "source"], "status_source_index")
	# the same counts within a date window
	frappe.db.add_index(constants.LEAD, ["creation", "status", "source"], "creation_status_source_index")
	# My Day: follow-ups due in a bounded window, hot leads by grade or predicted conversion
	frappe.db.add_index(constants.LEAD, ["follow_up_date", "status"], "follow_up_status_index")
	frappe.db.add_index(constants.LEAD, ["latest_grade", "status"], "grade_status_index")
	frappe.db.add_index(constants.LEAD, ["conversion_probability", "status"], "conversion_status_index")
