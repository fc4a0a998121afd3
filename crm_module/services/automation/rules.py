"""Automation rules as managers write them: what a rule may read and set, checked against the target
doctype's meta when it is saved (the rule form's messages name the row and the field)."""

import frappe
from frappe import _
from frappe.model import no_value_fields, table_fields
from frappe.utils import getdate

from crm_module import constants
from crm_module.access.input_types import type_problem
from crm_module.access.rules import RULES, SYSTEM_COLUMNS
from crm_module.domain import automation as rules_domain
from crm_module.services import tags
from crm_module.utils import throw_input

# fields whose change runs controller logic (stage moves, conversion, duplicate checks, derived figures):
# rules do not write them set-based
CONTROLLED = {
	constants.LEAD: ("status", "lead_name", "email_id", "phone"),
	constants.OPPORTUNITY: (
		"stage",
		"pipeline",
		"status",
		"probability_percent",
		"probability_is_manual",
		"value",
		"currency",
		"actual_close_date",
		"customer_name",
		"win_loss_reason",
	),
	constants.CUSTOMER: ("company_name", "status", "email_id", "phone", "currency"),
}
SETTABLE_TYPES = frozenset(
	{"Data", "Select", "Check", "Int", "Float", "Percent", "Date", "Link", "Small Text", "Text"}
)


def value_fields(doctype: str) -> dict[str, str]:
	"""{fieldname: fieldtype} of the doctype's data fields."""
	return {
		df.fieldname: df.fieldtype
		for df in frappe.get_meta(doctype).fields
		if df.fieldtype not in no_value_fields and df.fieldtype not in table_fields
	}


def settable_fields(doctype: str) -> dict[str, str]:
	"""Fields a rule may set: what a manager edits on the form, minus what the app computes or guards
	(protected and framework columns, owner and parent links, fields the controller derives)."""
	rule = RULES.get(doctype)
	denied = set(SYSTEM_COLUMNS) | set(CONTROLLED.get(doctype, ()))
	if rule is not None:
		denied |= set(rule.protected) | set(rule.link_fields())
		if rule.owner_field:
			denied.add(rule.owner_field)
	return {
		df.fieldname: df.fieldtype
		for df in frappe.get_meta(doctype).fields
		if df.fieldtype in SETTABLE_TYPES
		and not df.read_only
		and not df.fetch_from
		and df.fieldname not in denied
	}


def _check(fn, *args):
	try:
		return fn(*args)
	except ValueError as error:
		throw_input(_(str(error)))


def check_field_value(doctype: str, fieldname: str, value, param: str) -> None:
	"""`value` (text from the rule form) must fit the field: its type, its options, an existing link."""
	if value in (None, ""):
		return
	df = frappe.get_meta(doctype).get_field(fieldname)
	if df is None:
		return
	problem = type_problem(df.fieldtype, value, df.length)
	if df.fieldtype in ("Int", "Check", "Float", "Percent"):
		try:
			float(value)
		except ValueError:
			problem = _("must be a number, got {0!r}").format(value)
	if df.fieldtype == "Date":
		try:
			getdate(value)
		except Exception:
			problem = _("must be a date (YYYY-MM-DD), got {0!r}").format(value)
	if df.fieldtype == "Select":
		options = [o for o in (df.options or "").split("\n")]
		if value not in options:
			problem = _("must be one of {0}, got {1!r}").format(", ".join(o for o in options if o), value)
	if df.fieldtype == "Link" and not frappe.db.exists(df.options, value):
		problem = _("{0} {1} does not exist").format(_(df.options), value)
	if problem:
		throw_input(_("{0}: {1} ({2}) {3}").format(param, _(df.label or fieldname), fieldname, problem))


def validate_rule(doc) -> None:
	"""Check a rule against its target doctype's meta; sets `document_type` from the event."""
	event = _check(rules_domain.event, doc.event)
	doc.document_type = event.doctype
	doctype = event.doctype
	if event.name == "Opportunity Without Activity" and (doc.days or 0) < 1:
		throw_input(_("Days Without Activity (days) must be at least 1"))
	if event.field:
		for param in ("from_value", "to_value"):
			check_field_value(doctype, event.field, doc.get(param), param)
	else:
		doc.from_value = doc.to_value = None
	fields = value_fields(doctype)
	_check(rules_domain.translate_conditions, [row.as_dict() for row in doc.conditions], fields)
	if doc.action not in rules_domain.ACTIONS:
		throw_input(_("Action (action) must be one of {0}").format(", ".join(rules_domain.ACTIONS)))
	if doc.action == "Create ToDo":
		if not (doc.todo_description or "").strip():
			throw_input(_("ToDo Description (todo_description) is required for the Create ToDo action"))
		_check(rules_domain.check_placeholders, doc.todo_description, fields, "todo_description")
	elif doc.action == "Notify Users":
		if not doc.notify_owner and not doc.recipients:
			throw_input(_("Notify Users: choose users (recipients) or tick Notify the Record Owner"))
		_check(rules_domain.check_placeholders, doc.message, fields, "message")
	elif doc.action == "Set Field":
		fieldname = _check(rules_domain.check_set_field, doc.set_field, settable_fields(doctype))
		doc.set_field = fieldname
		check_field_value(doctype, fieldname, doc.set_value, "set_value")
	elif doc.action == "Add Tag":
		tags.require_tag(doc.tag)
		tags.require_taggable(doctype)
	elif doc.action == "Re-score" and doctype not in rules_domain.RESCORABLE:
		throw_input(
			_("Re-score works on leads (lead score) and customers (health score), not on {0}").format(
				_(doctype)
			)
		)
