"""ERPNext hand-off of won opportunities (issue 12).

When an opportunity becomes Won and CRM Module Settings "Draft on Won Opportunity" says Quotation or Sales
Order, a draft of that document is made in ERPNext for the customer's ERPNext Customer (the profile's
`erpnext_customer`; linked or created by name when "Create ERPNext Customer on Conversion" is on), with one
line: qty 1 of the "Default Item for CRM Deals" at the opportunity's value. The draft is linked back on
the opportunity (`erpnext_sales_doctype` / `erpnext_sales_document`, read-only). Whatever prevents the
draft (no ERPNext, no item, no ERPNext customer or company, ERPNext refusing the document) is written on
the opportunity's timeline as a comment; the won opportunity is saved either way. Opportunities migrated
as won (`crm_migrating`) get no draft.
"""

import frappe
from frappe import _
from frappe.utils import add_days, flt, nowdate, strip_html

from crm_module import constants
from crm_module.services.conversion import link_erpnext_customer

DOCUMENTS = ("Quotation", "Sales Order")


def erpnext_installed() -> bool:
	return "erpnext" in frappe.get_installed_apps()


def on_opportunity_update(doc, method: str | None = None) -> None:
	"""`doc_events` on_update of CRM Opportunity: draft the ERPNext document when it has just been won."""
	if doc.status != "Won" or doc.get("erpnext_sales_document"):
		return
	if doc.flags.crm_migrating or frappe.flags.crm_migrating:
		return
	before = doc.get_doc_before_save()
	if before is not None and before.status == "Won":
		return
	kind = frappe.db.get_single_value(constants.SETTINGS, "erpnext_won_document")
	if kind not in DOCUMENTS or not erpnext_installed():
		return
	draft_sales_document(doc, kind)


def draft_sales_document(opportunity, kind: str) -> str | None:
	"""Make the draft `kind` for the won `opportunity`; return its name, or None (reason on the timeline)."""
	problem = None
	item = (frappe.db.get_single_value(constants.SETTINGS, "erpnext_deal_item") or "").strip()
	if not item:
		problem = _("no Default Item for CRM Deals is set in CRM Module Settings")
	elif not frappe.db.exists("Item", item):
		problem = _("the Default Item for CRM Deals {0} is not an ERPNext Item").format(item)
	customer = None if problem else erpnext_customer(opportunity.customer)
	if not problem and not customer:
		problem = _(
			"customer {0} has no ERPNext Customer (turn on Create ERPNext Customer on Conversion to create one)"
		).format(opportunity.customer)
	company = None if problem else default_company()
	if not problem and not company:
		problem = _("ERPNext has no Company")
	if problem:
		log(opportunity, _("No ERPNext {0} drafted for this won opportunity: {1}.").format(_(kind), problem))
		return None
	savepoint = "crm_erpnext_draft"
	frappe.db.savepoint(savepoint)
	try:
		draft = frappe.get_doc(sales_document_values(opportunity, kind, customer, company, item))
		draft.flags.ignore_permissions = True
		draft.insert()
	except Exception as error:
		frappe.db.rollback(save_point=savepoint)
		reason = " ".join(strip_html(str(error) or error.__class__.__name__).split())
		log(
			opportunity,
			_("No ERPNext {0} drafted for this won opportunity: ERPNext refused it ({1}).").format(
				_(kind), reason
			),
		)
		return None
	frappe.db.set_value(
		constants.OPPORTUNITY,
		opportunity.name,
		{"erpnext_sales_doctype": kind, "erpnext_sales_document": draft.name},
		update_modified=False,
	)
	opportunity.erpnext_sales_doctype, opportunity.erpnext_sales_document = kind, draft.name
	log(opportunity, _("Draft ERPNext {0} {1} made for this won opportunity.").format(_(kind), draft.name))
	return draft.name


def sales_document_values(opportunity, kind: str, customer: str, company: str, item: str) -> dict:
	today = nowdate()
	row = {"item_code": item, "qty": 1, "rate": flt(opportunity.value)}
	values = {
		"doctype": kind,
		"company": company,
		"transaction_date": today,
		"currency": opportunity.currency,
		"items": [row],
	}
	if kind == "Quotation":
		values.update({"quotation_to": "Customer", "party_name": customer, "valid_till": add_days(today, 30)})
	else:
		delivery = opportunity.expected_close_date or today
		delivery = max(str(delivery), today)
		values.update({"customer": customer, "delivery_date": delivery})
		row["delivery_date"] = delivery
	return values


def erpnext_customer(profile: str) -> str | None:
	"""The profile's ERPNext Customer: the stored link, else one of the same name (created when the
	conversion setting is on); stored on the profile when found."""
	stored, company_name = frappe.db.get_value(
		constants.CUSTOMER, profile, ["erpnext_customer", "company_name"]
	)
	if stored and frappe.db.exists("Customer", stored):
		return stored
	linked = link_erpnext_customer(company_name)
	if linked:
		frappe.db.set_value(constants.CUSTOMER, profile, "erpnext_customer", linked, update_modified=False)
	return linked


def default_company() -> str | None:
	return (
		frappe.defaults.get_user_default("Company")
		or frappe.db.get_single_value("Global Defaults", "default_company")
		or frappe.db.get_value("Company", {}, "name", order_by="creation asc")
	)


def log(opportunity, text: str) -> None:
	"""A comment on the opportunity's form timeline."""
	frappe.get_doc(
		{
			"doctype": "Comment",
			"comment_type": "Info",
			"reference_doctype": constants.OPPORTUNITY,
			"reference_name": opportunity.name,
			"content": text,
		}
	).insert(ignore_permissions=True)
