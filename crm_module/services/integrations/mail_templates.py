"""Email Templates on CRM forms: the app's templates (installed once, `ensure_templates`) and the Jinja
method they use, `crm_mail_fields(doctype, name)`.

Frappe's composer renders a template with the open form's document as the context
(`frappe.email.doctype.email_template.email_template.get_email_template`), so a template sees that
document's own fields only, and which ones depends on the form (a contact has `first_name`, a lead
`lead_name`, an opportunity `opportunity_name`). `crm_mail_fields` gives every CRM form the same names:
the contact's first name, the customer, the owner, the opportunity and its value, read through the
records' links, each only when the signed-in user may read the record it comes from (the row rules
hold: `get_email_template` is whitelisted and takes any document name from the browser).
"""

import frappe
from frappe.utils import fmt_money, get_fullname

from crm_module import constants

FIELDS = ("first_name", "customer", "owner", "opportunity", "value")

# the records a form's document leads to: {doctype: (owner field, contact link, customer link)}
LINKS = {
	constants.CONTACT: (None, "name", "customer"),
	constants.OPPORTUNITY: ("opportunity_owner", "contact", "customer"),
	constants.CUSTOMER: ("account_owner", None, "name"),
	constants.LEAD: ("lead_owner", None, "converted_customer"),
}

# Subjects are Data (140 characters); bodies use the fields of `crm_mail_fields` only.
_HEAD = (
	'{% set crm = crm_mail_fields(doctype, name) %}<p>{{ _("Hi") }} {{ crm.first_name or _("there") }},</p>\n'
)
_SIGN = "<p>{{ _('Best regards') }},<br>{{ crm.owner }}</p>"
TEMPLATES = {
	"CRM: Follow-up after a call": {
		"subject": "{{ _('Following up on our call') }}",
		"response": _HEAD + "<p>{{ _('Thank you for your time on the phone today') }}"
		"{% if crm.customer %} {{ _('about') }} {{ crm.customer }}{% endif %}."
		" {{ _('As promised, here is a short summary and the next steps.') }}</p>\n"
		"{% if crm.opportunity %}<p>{{ _('Regarding') }} {{ crm.opportunity }}"
		"{% if crm.value %} ({{ crm.value }}){% endif %}: </p>\n{% endif %}" + _SIGN,
	},
	"CRM: Proposal sent": {
		"subject": "{{ _('Our proposal') }}"
		"{% if opportunity_name is defined and opportunity_name %}: {{ opportunity_name }}{% endif %}",
		"response": _HEAD + "<p>{{ _('Please find our proposal attached') }}"
		"{% if crm.opportunity %} {{ _('for') }} {{ crm.opportunity }}{% endif %}"
		"{% if crm.customer %} ({{ crm.customer }}){% endif %}.</p>\n"
		"{% if crm.value %}<p>{{ _('Total') }}: {{ crm.value }}</p>\n{% endif %}"
		"<p>{{ _('I am happy to go through it with you; just reply to this email.') }}</p>\n" + _SIGN,
	},
	"CRM: Renewal reminder": {
		"subject": "{{ _('Your renewal is coming up') }}",
		"response": _HEAD
		+ "<p>{{ _('Your agreement with us') }}{% if crm.customer %} ({{ crm.customer }}){% endif %}"
		" {{ _('is coming up for renewal.') }}"
		"{% if crm.opportunity %} {{ _('The renewal') }}, {{ crm.opportunity }}"
		"{% if crm.value %}, {{ _('comes to') }} {{ crm.value }}{% endif %}.{% endif %}</p>\n"
		"<p>{{ _('Shall we schedule a short call to review it?') }}</p>\n" + _SIGN,
	},
}


def ensure_templates() -> list[str]:
	"""Insert the app's Email Templates that the site lacks (an edited or deleted one is left alone: only
	install and the patch call this). Returns the names inserted."""
	inserted = []
	enabled = frappe.get_meta("Email Template").has_field("enabled")  # Frappe CRM adds it, default 0
	for name, template in TEMPLATES.items():
		if frappe.db.exists("Email Template", name):
			continue
		doc = frappe.get_doc({"doctype": "Email Template", "name": name, **template})
		if enabled:
			doc.enabled = 1
		doc.insert(ignore_permissions=True)
		inserted.append(name)
	return inserted


def crm_mail_fields(doctype: str | None, name: str | None) -> dict:
	"""Jinja method: the mail fields of a CRM record (empty strings for what it has not, or what the user
	may not read). Any other document, or a new unsaved one, gives empty fields."""
	out = dict.fromkeys(FIELDS, "")
	if doctype not in LINKS or not name or not readable(doctype, name):
		return out
	owner_field, contact_field, customer_field = LINKS[doctype]
	doc = frappe.db.get_value(doctype, name, "*", as_dict=True)
	contact = doc.get(contact_field) if contact_field else None
	customer = doc.get(customer_field) if customer_field else None
	opportunity = doc if doctype == constants.OPPORTUNITY else open_opportunity(doctype, doc)
	if doctype == constants.LEAD:
		out["first_name"] = (doc.lead_name or "").split(" ")[0]
		out["customer"] = doc.company_name or ""
	if not contact and opportunity and opportunity.contact:
		contact = opportunity.contact
	if not contact and customer:
		contact = frappe.db.get_value(constants.CONTACT, {"customer": customer, "is_primary": 1}, "name")
	if contact and readable(constants.CONTACT, contact):
		out["first_name"] = frappe.db.get_value(constants.CONTACT, contact, "first_name") or ""
	if customer and readable(constants.CUSTOMER, customer):
		out["customer"] = frappe.db.get_value(constants.CUSTOMER, customer, "company_name") or ""
	owner = doc.get(owner_field) if owner_field else None
	if not owner and customer:
		owner = frappe.db.get_value(constants.CUSTOMER, customer, "account_owner")
	out["owner"] = get_fullname(owner or frappe.session.user)
	if opportunity:
		out["opportunity"] = opportunity.opportunity_name or ""
		if opportunity.value:
			out["value"] = fmt_money(opportunity.value, currency=opportunity.currency)
	return out


def open_opportunity(doctype: str, doc) -> frappe._dict | None:
	"""The deal a mail from a contact, customer or lead form is most likely about: the lead's converted
	opportunity, else the latest-modified open opportunity of the contact or customer the user may read."""
	fields = ["name", "opportunity_name", "value", "currency", "contact"]
	if doctype == constants.LEAD:
		if not doc.converted_opportunity or not readable(constants.OPPORTUNITY, doc.converted_opportunity):
			return None
		return frappe.db.get_value(constants.OPPORTUNITY, doc.converted_opportunity, fields, as_dict=True)
	link = "contact" if doctype == constants.CONTACT else "customer"
	rows = frappe.get_list(  # the row rules apply
		constants.OPPORTUNITY,
		filters={link: doc.name, "status": "Open"},
		fields=fields,
		order_by="modified desc",
		limit=1,
	)
	return rows[0] if rows else None


def readable(doctype: str, name: str) -> bool:
	return bool(frappe.db.exists(doctype, name)) and frappe.has_permission(doctype, "read", doc=name)
