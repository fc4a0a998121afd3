"""ERPNext hand-offs: the ERPNext Customer of a converted lead, and the draft of a won opportunity.

Both are made by the user whose action leads to them (the converting rep, the rep who saves the won
opportunity), under ERPNext's own permissions: a normal insert as that user, never `ignore_permissions`.
When the user may not create the document, or ERPNext refuses it, the CRM action still succeeds, nothing
of the ERPNext side is left (it all ran in one savepoint), and the record says why in plain words (a
comment on its form timeline). Database errors that end the transaction (deadlock, lock wait timeout,
lost connection: `transactions.fatal_db_error`) are never swallowed here.

Won opportunity (issue 12): when an opportunity becomes Won and CRM Module Settings "Draft on Won
Opportunity" says Quotation or Sales Order, a draft of that document is made in ERPNext for the
customer's ERPNext Customer (the profile's `erpnext_customer`; linked or created by name when "Create
ERPNext Customer on Conversion" is on), with one line: qty 1 of the "Default Item for CRM Deals" at the
opportunity's value, or, when the opportunity has product lines that all name ERPNext Items (issue 20),
those lines: item_code, qty, the line's rate as price_list_rate and its discount_percentage (ERPNext derives
the rate, 19.99 less 10 % = 17.99, and the amount). The draft is linked back on the opportunity (`erpnext_sales_doctype` /
`erpnext_sales_document`, read-only). Whatever prevents the draft (no ERPNext, no item, no ERPNext
customer or company, the user's ERPNext permissions, ERPNext refusing the document) is written on the
opportunity's timeline as a comment; the won opportunity is saved either way. Opportunities migrated as
won (`crm_migrating`) get no draft.
"""

from collections.abc import Iterator
from contextlib import contextmanager

import frappe
from frappe import _
from frappe.utils import add_days, flt, nowdate, strip_html

from crm_module import constants
from crm_module.services.transactions import fatal_db_error, savepoint

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


class Refused(Exception):
	"""Why a hand-off did not happen, in plain words (shown on the record's timeline)."""


def draft_sales_document(opportunity, kind: str) -> str | None:
	"""Make the draft `kind` for the won `opportunity` as the session user; return its name, or None (the
	reason is on the opportunity's timeline)."""
	item = (frappe.db.get_single_value(constants.SETTINGS, "erpnext_deal_item") or "").strip()
	try:
		with refusals(), savepoint("crm_erpnext_draft"):
			lines = item_lines(opportunity)
			if not item and not lines:
				raise Refused(_("no Default Item for CRM Deals is set in CRM Module Settings"))
			if not lines and not frappe.db.exists("Item", item):
				raise Refused(_("the Default Item for CRM Deals {0} is not an ERPNext Item").format(item))
			company = default_company()
			if not company:
				raise Refused(_("ERPNext has no Company"))
			require_create(kind)
			customer = erpnext_customer(opportunity.customer)
			if not customer:
				raise Refused(
					_(
						"customer {0} has no ERPNext Customer (turn on Create ERPNext Customer on Conversion to create one)"
					).format(opportunity.customer)
				)
			draft = frappe.get_doc(sales_document_values(opportunity, kind, customer, company, item, lines))
			draft.insert()
			frappe.db.set_value(
				constants.OPPORTUNITY,
				opportunity.name,
				{"erpnext_sales_doctype": kind, "erpnext_sales_document": draft.name},
				update_modified=False,
			)
	except Refused as reason:
		log(opportunity, _("No ERPNext {0} drafted for this won opportunity: {1}.").format(_(kind), reason))
		return None
	opportunity.erpnext_sales_doctype, opportunity.erpnext_sales_document = kind, draft.name
	log(opportunity, _("Draft ERPNext {0} {1} made for this won opportunity.").format(_(kind), draft.name))
	return draft.name


def customer_for_conversion(customer_name: str) -> tuple[str | None, str | None]:
	"""(the ERPNext Customer for a lead converted into `customer_name`, None) or (None, why there is
	none: a sentence for the lead's timeline). (None, None) without ERPNext or when the setting is off."""
	try:
		with refusals(), savepoint("crm_erpnext_customer"):
			return link_erpnext_customer(customer_name), None
	except Refused as reason:
		return None, _("No ERPNext Customer was made for {0}: {1}.").format(customer_name, reason)


def link_erpnext_customer(customer_name: str) -> str | None:
	"""Name of the ERPNext Customer called `customer_name`, created by the session user when missing
	(under ERPNext's permissions: frappe.PermissionError when they may not), or None without ERPNext or
	when "Create ERPNext Customer on Conversion" is off."""
	if not frappe.db.exists("DocType", "Customer"):
		return None
	if not frappe.db.get_single_value(constants.SETTINGS, "create_erpnext_customer"):
		return None
	existing = frappe.db.get_value("Customer", {"customer_name": customer_name}, "name")
	if existing:
		return existing
	require_create("Customer")
	customer = frappe.get_doc(
		{"doctype": "Customer", "customer_name": customer_name, "customer_type": "Company"}
	)
	return customer.insert().name


def require_create(doctype: str) -> None:
	"""Refused, in plain words, unless the session user may create `doctype` in ERPNext."""
	if not frappe.has_permission(doctype, "create"):
		raise Refused(
			_(
				"{0} is not allowed to create an ERPNext {1} (ERPNext's permissions: a role such as Sales User allows it)"
			).format(frappe.session.user, _(doctype))
		)


@contextmanager
def refusals() -> Iterator[None]:
	"""Turn what ERPNext raises into `Refused` with its reason; database errors that end the transaction
	go on. ERPNext's own error popup of a refusal is dropped (the CRM action succeeds; the record's
	timeline says why)."""
	messages = len(frappe.local.message_log)
	error_message = frappe.flags.error_message
	try:
		yield
	except Refused:
		raise
	except Exception as error:
		if fatal_db_error(error):
			raise
		reason = plain(error)
		del frappe.local.message_log[messages:]
		frappe.flags.error_message = error_message
		if isinstance(error, frappe.PermissionError):
			raise Refused(
				_("{0} is not allowed to do this under ERPNext's permissions ({1})").format(
					frappe.session.user, reason or _("no permission")
				)
			) from error
		raise Refused(_("ERPNext refused it ({0})").format(reason or error.__class__.__name__)) from error


def plain(error: Exception) -> str:
	"""The error's message as one line of plain text (Frappe keeps a PermissionError's in the flags)."""
	text = str(error) or (frappe.flags.error_message if isinstance(error, frappe.PermissionError) else "")
	return " ".join(strip_html(text or "").split())


def item_lines(opportunity) -> list[dict]:
	"""The opportunity's lines as ERPNext item rows when every line names an existing ERPNext Item, else
	[] (the draft then has the single Default Item line)."""
	lines = opportunity.get("lines") or []
	if not lines or any(row.item_type != "Item" or not row.item for row in lines):
		return []
	items = {row.item for row in lines}
	if len(frappe.get_all("Item", filters={"name": ("in", list(items))}, pluck="name")) != len(items):
		return []
	return [
		{
			"item_code": row.item,
			"qty": flt(row.qty),
			"price_list_rate": flt(row.rate),
			"discount_percentage": flt(row.discount_percent),
			**({"item_name": row.product_name} if row.product_name else {}),
		}
		for row in lines
	]


def sales_document_values(
	opportunity, kind: str, customer: str, company: str, item: str, lines: list[dict] | None = None
) -> dict:
	today = nowdate()
	rows = lines or [{"item_code": item, "qty": 1, "rate": flt(opportunity.value)}]
	values = {
		"doctype": kind,
		"company": company,
		"transaction_date": today,
		"currency": opportunity.currency,
		"items": rows,
	}
	if kind == "Quotation":
		values.update({"quotation_to": "Customer", "party_name": customer, "valid_till": add_days(today, 30)})
	else:
		delivery = opportunity.expected_close_date or today
		delivery = max(str(delivery), today)
		values.update({"customer": customer, "delivery_date": delivery})
		for row in rows:
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
	comment(constants.OPPORTUNITY, opportunity.name, text)


def comment(doctype: str, name: str, text: str) -> None:
	"""An Info comment on the record's form timeline (the app's own note, not the user's)."""
	frappe.get_doc(
		{
			"doctype": "Comment",
			"comment_type": "Info",
			"reference_doctype": doctype,
			"reference_name": name,
			"content": text,
		}
	).insert(ignore_permissions=True)
