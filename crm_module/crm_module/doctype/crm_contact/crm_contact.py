# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from crm_module import constants
from crm_module.domain.contact_points import normalize_email, single_primary
from crm_module.services.contact_points import site_phone
from crm_module.utils import domain_call, throw_input


class CRMContact(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from crm_module.crm_module.doctype.crm_email_address.crm_email_address import CRMEmailAddress
		from crm_module.crm_module.doctype.crm_phone_number.crm_phone_number import CRMPhoneNumber

		contact_role: DF.Literal[
			"", "Decision Maker", "Champion", "Influencer", "Stakeholder", "End User", "Gatekeeper", "Other"
		]
		customer: DF.Link
		email_id: DF.Data | None
		emails: DF.Table[CRMEmailAddress]
		erp_sync_state: DF.JSON | None
		first_name: DF.Data
		frappe_contact: DF.Link | None
		full_name: DF.Data | None
		is_primary: DF.Check
		job_title: DF.Data | None
		last_contacted_on: DF.Datetime | None
		last_name: DF.Data | None
		notes: DF.SmallText | None
		phone: DF.Data | None
		phones: DF.Table[CRMPhoneNumber]
		preferred_contact_method: DF.Literal["", "Email", "Phone", "SMS", "Meeting"]
	# end: auto-generated types

	def validate(self):
		self.full_name = " ".join(
			part.strip() for part in (self.first_name, self.last_name) if part and part.strip()
		)
		self.validate_emails()
		self.validate_phones()
		self.validate_single_primary_contact()
		self.check_duplicates()

	def check_duplicates(self):
		"""Warn about / block emails and phones already used by another contact or lead (see settings)."""
		from crm_module.services.dedupe.guard import check_duplicates

		emails, phones = [r.email_id for r in self.emails], [r.phone for r in self.phones]
		before = self.get_doc_before_save()
		if (
			before
			and {r.email_id for r in before.emails} == set(emails)
			and {r.phone for r in before.phones} == set(phones)
		):
			return
		check_duplicates(self, emails, phones)

	def validate_emails(self):
		seen = set()
		for row in self.emails:
			row.email_id = domain_call(normalize_email, row.email_id)
			if row.email_id.lower() in seen:
				throw_input(_("Email Addresses row {0}: {1} is listed twice").format(row.idx, row.email_id))
			seen.add(row.email_id.lower())
			if row.is_verified and not row.verified_on:
				row.verified_on = frappe.utils.now_datetime()
			if not row.is_verified:
				row.verified_on = None
		self.email_id = domain_call(pick_primary, self.emails, "email_id", _("email address"))

	def validate_phones(self):
		seen = set()
		for row in self.phones:
			row.phone = domain_call(site_phone, row.phone, row.country_code)
			if row.phone in seen:
				throw_input(_("Phone Numbers row {0}: {1} is listed twice").format(row.idx, row.phone))
			seen.add(row.phone)
			if row.is_verified and not row.verified_on:
				row.verified_on = frappe.utils.now_datetime()
			if not row.is_verified:
				row.verified_on = None
		self.phone = domain_call(pick_primary, self.phones, "phone", _("phone number"))

	def validate_single_primary_contact(self):
		if not self.customer:
			return
		others = frappe.db.exists(
			constants.CONTACT, {"customer": self.customer, "is_primary": 1, "name": ("!=", self.name)}
		)
		if self.is_primary and others:
			throw_input(
				_(
					"Primary Contact (is_primary): {0} already has a primary contact ({1}); unset it first"
				).format(self.customer, others)
			)
		if (
			not self.is_primary
			and not others
			and not frappe.db.exists(
				constants.CONTACT, {"customer": self.customer, "name": ("!=", self.name)}
			)
		):
			# the first contact of a customer is its primary contact
			self.is_primary = 1


def pick_primary(rows, fieldname: str, label: str) -> str | None:
	"""Mark exactly one row primary (`domain.contact_points.single_primary`) and return its value."""
	flags = single_primary([{"is_primary": row.is_primary} for row in rows], label=label)
	for row, flag in zip(rows, flags, strict=True):
		row.is_primary = flag["is_primary"]
	return next((row.get(fieldname) for row in rows if row.is_primary), None)
