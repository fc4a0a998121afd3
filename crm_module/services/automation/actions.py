"""What a fired automation rule does, set-based over the records it fired on: follow-up ToDos, one
notification digest per user and run, a field set, a tag added, a re-score queued; and the log row per
(rule, record, occurrence) that makes the next run skip it."""

import frappe
from frappe import _
from frappe.utils import add_days, now_datetime, today

from crm_module import constants
from crm_module.domain import automation as rules_domain
from crm_module.services import bulk, tags
from crm_module.services.automation.rules import settable_fields
from crm_module.services.common import OWNER_FIELDS

TITLE_FIELDS = {
	constants.LEAD: "lead_name",
	constants.OPPORTUNITY: "opportunity_name",
	constants.CUSTOMER: "company_name",
}


def owner_of(doctype: str, record: dict) -> str | None:
	return record.get(OWNER_FIELDS[doctype]) or record.get("owner")


def label_of(rule, record: dict) -> str:
	if rule.message:
		return rules_domain.render(rule.message, record)
	title = record.get(TITLE_FIELDS[rule.document_type])
	return f"{record['name']} ({title})" if title and title != record["name"] else record["name"]


def create_todos(rule, records: list[dict]) -> str:
	due = add_days(today(), int(rule.todo_days or 0))
	for record in records:
		owner = owner_of(rule.document_type, record)
		if not owner:
			continue
		frappe.get_doc(
			{
				"doctype": "ToDo",
				"allocated_to": owner,
				"reference_type": rule.document_type,
				"reference_name": record["name"],
				"date": due,
				"priority": "Medium",
				"description": rules_domain.render(rule.todo_description, record),
			}
		).insert(ignore_permissions=True)
	return _("ToDo for the owner")


def recipients_of(rule, record: dict) -> list[str]:
	users = [row.user for row in rule.recipients]
	if rule.notify_owner:
		owner = owner_of(rule.document_type, record)
		if owner:
			users.append(owner)
	return list(dict.fromkeys(users))


def queue_notifications(rule, records: list[dict], digests: dict[str, list[dict]]) -> str:
	for record in records:
		for user in recipients_of(rule, record):
			digests.setdefault(user, []).append(record)
	return _("notified")


def send_digests(rule, digests: dict[str, list[dict]]) -> int:
	"""One Notification Log per user for everything the rule fired on in this run (one INSERT)."""
	if not digests:
		return 0
	sender = frappe.session.user
	fields = [
		"for_user",
		"type",
		"from_user",
		"document_type",
		"document_name",
		"subject",
		"email_content",
		"read",
	]
	rows = []
	for user, records in digests.items():
		labels = [label_of(rule, r) for r in records]
		subject = rules_domain.digest(rule.rule_name, labels)[:140]
		document_name = records[0]["name"] if len(records) == 1 else None
		content = "<br>".join(frappe.utils.escape_html(label) for label in labels)
		rows.append((user, "Alert", sender, rule.document_type, document_name, subject, content, 0))
	return bulk.insert_new_rows("Notification Log", fields, rows, hash_length=10)


def set_field(rule, records: list[dict]) -> str:
	"""One UPDATE per chunk (`modified` left alone, as the app's other set-based writes)."""
	doctype, fieldname = rule.document_type, rule.set_field
	if fieldname not in settable_fields(doctype):  # the doctype changed since the rule was saved
		raise frappe.ValidationError(_("{0} cannot be set by a rule").format(fieldname))
	value = rule.set_value if rule.set_value not in ("",) else None
	bulk.update_values(doctype, {r["name"]: {fieldname: value} for r in records})
	return _("set {0} = {1}").format(fieldname, rule.set_value or "")


def add_tag(rule, records: list[dict]) -> str:
	"""Tag every record (a record already carrying the tag keeps its one item), then recount the tag."""
	frappe.db.sql(
		f"select `name` from `tab{constants.TAG}` where `name` = %s for update", rule.tag
	)  # concurrent taggings of one tag queue on its row (as CRM Tagged Item does)
	bulk.insert_new_rows(
		constants.TAGGED_ITEM,
		["tag", "reference_doctype", "reference_name"],
		[(rule.tag, rule.document_type, r["name"]) for r in records],
		hash_length=10,
		ignore=True,
	)
	tags.recount_usage(rule.tag)
	return _("tagged {0}").format(rule.tag)


def rescore(rule, records: list[dict]) -> str:
	names = [r["name"] for r in records]
	method = (
		"crm_module.services.insights.scoring.score_leads"
		if rule.document_type == constants.LEAD
		else "crm_module.services.insights.health.compute_all_health_scores"
	)
	frappe.enqueue(method, queue="long", timeout=3600, names=names, now=bool(frappe.flags.in_test))
	return _("re-score queued")


def do_action(rule, records: list[dict], digests: dict) -> str:
	if rule.action == "Create ToDo":
		return create_todos(rule, records)
	if rule.action == "Notify Users":
		return queue_notifications(rule, records, digests)
	if rule.action == "Set Field":
		return set_field(rule, records)
	if rule.action == "Add Tag":
		return add_tag(rule, records)
	return rescore(rule, records)


def write_log(rule, fired: list[dict], done: str | None, error: str | None) -> None:
	now = now_datetime()
	bulk.insert_new_rows(
		constants.AUTOMATION_LOG,
		["rule", "reference_doctype", "reference_name", "event_key", "fired_on", "actions_done", "error"],
		[(rule.name, rule.document_type, c["name"], c["key"], now, done, error) for c in fired],
		now=now,
	)
