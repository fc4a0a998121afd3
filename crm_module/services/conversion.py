"""Lead conversion: lead -> CRM Customer Profile + primary CRM Contact (+ optional CRM Opportunity).

All or nothing: everything runs under a savepoint and is rolled back when any step fails. A lost or
already converted lead is refused with CRMConflictError (409). When ERPNext is installed (a "Customer"
DocType exists) and CRM Module Settings.create_erpnext_customer is set, an ERPNext Customer of the same
name is linked, or created by the converting user under ERPNext's permissions, and stored in the
profile's `erpnext_customer`. When ERPNext refuses it (the user may not create Customers, or its own
checks fail) the conversion goes ahead without one: nothing of it is left in ERPNext, and the lead and
the new customer say why in a comment (`erpnext_note` in the result).
"""

import frappe
from frappe import _
from frappe.utils import nowdate

from crm_module import constants
from crm_module.domain.sources import OPPORTUNITY_SOURCES
from crm_module.exceptions import CRMConflictError
from crm_module.services.common import get_record
from crm_module.services.integrations import erpnext_handoff
from crm_module.services.payload import require_object, to_fields
from crm_module.services.timeline import record_activity_timeline
from crm_module.services.transactions import savepoint
from crm_module.utils import throw_input


def convert_lead(lead: str, create_opportunity: bool = False, opportunity: dict | None = None) -> dict:
	"""Convert `lead`; return the names of the records created ({lead, customer, contact, opportunity,
	erpnext_customer, erpnext_note: why no ERPNext Customer was made, else None})."""
	get_record(constants.LEAD, lead, "lead", ptype="write")
	doc = frappe.get_doc(constants.LEAD, lead, for_update=True)
	refuse_if_closed(doc)
	with savepoint("crm_convert_lead"):
		erpnext_customer, erpnext_note = erpnext_handoff.customer_for_conversion(
			doc.company_name or doc.lead_name
		)
		customer = make_customer(doc, erpnext_customer)
		contact = make_contact(doc, customer)
		opp = (
			make_opportunity(doc, customer, contact, opportunity)
			if create_opportunity or opportunity
			else None
		)
		doc.flags.converting = True
		doc.flags.crm_system_update = True  # the conversion links are the app's to set
		doc.update(
			{
				"status": "Converted",
				"converted_customer": customer.name,
				"converted_contact": contact.name,
				"converted_opportunity": opp.name if opp else None,
				"converted_on": nowdate(),
			}
		)
		doc.save()
		record_activity_timeline(
			customer=customer.name,
			lead=doc.name,
			activity_type="Lead Converted",
			title=_("Lead converted: {0}").format(doc.lead_name),
			reference_doctype=constants.LEAD,
			reference_name=doc.name,
			is_important=True,
			metadata={"contact": contact.name, "opportunity": opp.name if opp else None},
		)
		if erpnext_note:
			for doctype, name in ((constants.LEAD, doc.name), (constants.CUSTOMER, customer.name)):
				erpnext_handoff.comment(doctype, name, erpnext_note)
	return {
		"lead": doc.name,
		"customer": customer.name,
		"contact": contact.name,
		"opportunity": opp.name if opp else None,
		"erpnext_customer": customer.erpnext_customer,
		"erpnext_note": erpnext_note,
	}


def refuse_if_closed(doc) -> None:
	if doc.status == "Converted":
		frappe.throw(
			_("Lead {0} is already converted (customer {1})").format(
				frappe.bold(doc.name), frappe.bold(doc.converted_customer or "?")
			),
			CRMConflictError,
			title=_("Already Converted"),
		)
	if doc.status == "Lost":
		frappe.throw(
			_("Lead {0} is lost and cannot be converted; change its status (status) first").format(
				frappe.bold(doc.name)
			),
			CRMConflictError,
			title=_("Lead Lost"),
		)


def make_customer(lead, erpnext_customer: str | None = None):
	customer = frappe.get_doc(
		{
			"doctype": constants.CUSTOMER,
			"company_name": lead.company_name or lead.lead_name,
			"industry": lead.industry,
			"website": lead.website,
			"company_size": lead.company_size,
			"email_id": lead.email_id,
			"phone": lead.phone,
			"lifecycle_stage": "Customer",
			"account_owner": lead.lead_owner or frappe.session.user,
			"source_lead": lead.name,
			"erpnext_customer": erpnext_customer,
		}
	)
	customer.flags.crm_system_update = True  # owner and source lead come from the lead, not the caller
	return customer.insert()


def make_contact(lead, customer):
	first_name, _sep, last_name = (lead.lead_name or "").strip().partition(" ")
	contact = frappe.get_doc(
		{
			"doctype": constants.CONTACT,
			"customer": customer.name,
			"first_name": first_name or lead.lead_name,
			"last_name": last_name.strip() or None,
			"job_title": lead.job_title,
			"is_primary": 1,
			"emails": [{"email_id": lead.email_id, "is_primary": 1}] if lead.email_id else [],
			"phones": [{"phone": lead.phone, "is_primary": 1}] if lead.phone else [],
		}
	)
	contact.flags.converted_from_lead = lead.name
	return contact.insert()


# What a caller may say about the opportunity a conversion creates; everything else is derived.
OPPORTUNITY_KEYS = frozenset(
	{
		"opportunity_name",
		"value",
		"currency",
		"probability_percent",
		"pipeline",
		"stage",
		"expected_close_date",
		"source",
		"opportunity_type",
		"description",
		"competitors",
	}
)


def opportunity_values(values) -> dict:
	"""The `opportunity` argument of a conversion, checked like any API payload (400 naming the key)."""
	if values in (None, "", {}):
		return {}
	fields = to_fields(constants.OPPORTUNITY, require_object(values, "opportunity"), param="opportunity")
	for fieldname in fields:
		if fieldname not in OPPORTUNITY_KEYS:
			throw_input(_("opportunity.{0} cannot be set when converting a lead").format(fieldname))
	return fields


def make_opportunity(lead, customer, contact, values: dict | None):
	values = opportunity_values(values)
	source = lead.source if lead.source in OPPORTUNITY_SOURCES else ("Other" if lead.source else None)
	opp = frappe.get_doc(
		{
			"doctype": constants.OPPORTUNITY,
			"opportunity_name": _("{0} - New Business").format(customer.company_name),
			"opportunity_type": "New Business",
			"value": 0,
			"source": source,
			"opportunity_owner": customer.account_owner,
			**values,
			"customer": customer.name,
			"contact": contact.name,
			"lead": lead.name,
		}
	)
	opp.flags.crm_system_update = True  # owner follows the new customer; the lead link is derived
	return opp.insert()
