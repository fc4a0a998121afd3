"""Lead follow-ups: a daily reminder ToDo for the lead owner, and the list of overdue follow-ups.

A lead is *due* on its `follow_up_date` and *overdue* after it, as long as its status is not
Converted or Lost. The reminder is created once per lead and follow-up date (a ToDo on the lead dated
that day, allocated to the lead owner; the lead's `follow_up_reminded_on` remembers it).
"""

import frappe
from frappe import _
from frappe.utils import nowdate

from crm_module import constants
from crm_module.domain.statuses import LEAD_FINISHED_STATUSES

OVERDUE_FIELDS = ["name", "lead_name", "company_name", "status", "lead_owner", "follow_up_date", "quality"]


def create_follow_up_todos(day: str | None = None) -> list[str]:
	"""Daily job: one ToDo per lead due `day` (default today) not yet reminded for that date; returns
	the leads reminded. `follow_up_reminded_on` is then stamped with one UPDATE."""
	day = day or nowdate()
	lead = frappe.qb.DocType(constants.LEAD)
	due = (
		frappe.qb.from_(lead)
		.select(lead.name, lead.lead_name, lead.lead_owner)
		.where(
			(lead.follow_up_date == day)
			& lead.status.notin(LEAD_FINISHED_STATUSES)
			& lead.lead_owner.isnotnull()
			& (lead.follow_up_reminded_on.isnull() | (lead.follow_up_reminded_on != day))
		)
	).run(as_dict=True)
	for row in due:
		frappe.get_doc(
			{
				"doctype": "ToDo",
				"allocated_to": row.lead_owner,
				"reference_type": constants.LEAD,
				"reference_name": row.name,
				"date": day,
				"priority": "High",
				"description": _("Follow up with lead {0}").format(row.lead_name),
			}
		).insert(ignore_permissions=True)
	names = [row.name for row in due]
	if names:
		frappe.qb.update(lead).set(lead.follow_up_reminded_on, day).where(lead.name.isin(names)).run()
	return names


def get_overdue_follow_ups(limit: int = 100, start: int = 0) -> list[dict]:
	"""Open leads the caller can read whose follow-up date has passed, the oldest first."""
	return frappe.get_list(
		constants.LEAD,
		filters={"status": ("not in", LEAD_FINISHED_STATUSES), "follow_up_date": ("<", nowdate())},
		fields=OVERDUE_FIELDS,
		order_by="follow_up_date asc, name asc",
		limit_start=max(int(start or 0), 0),
		limit_page_length=min(max(int(limit or 100), 1), 500),
	)
