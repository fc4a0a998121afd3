"""CRM Activity Timeline: one row per customer (or lead) touchpoint, written by controllers and services.

Rows are written with `ignore_permissions` (CRM Users may only read the timeline; the row-level rules
in `crm_module.permissions` decide who sees it). Reading goes through `get_activity_timeline`, which
checks access to the customer and returns rows in chronological order (oldest first; pass
`newest_first=True` for a feed).
"""

import json

import frappe
from frappe import _
from frappe.utils import get_datetime, now_datetime

from crm_module import constants
from crm_module.access import index as access_index
from crm_module.services import bulk
from crm_module.services.common import get_record
from crm_module.utils import throw_input

TIMELINE_FIELDS = (
	"name",
	"activity_type",
	"title",
	"activity_date",
	"is_important",
	"customer",
	"lead",
	"reference_doctype",
	"reference_name",
	"performed_by",
	"description",
	"metadata",
)


def record_activity_timeline(
	customer: str | None = None,
	lead: str | None = None,
	activity_type: str = "Other",
	title: str = "",
	description: str | None = None,
	reference_doctype: str | None = None,
	reference_name: str | None = None,
	is_important: bool = False,
	metadata: dict | None = None,
	activity_date=None,
) -> dict:
	"""Insert one timeline row and bump the customer's `last_activity_on`; return the row as a dict."""
	if not customer and not lead:
		throw_input(_("Customer (customer) or Lead (lead) is required for a timeline entry"))
	when = get_datetime(activity_date) if activity_date else now_datetime()
	row = frappe.get_doc(
		{
			"doctype": constants.TIMELINE,
			"customer": customer,
			"lead": lead,
			"activity_type": activity_type,
			"title": (title or activity_type)[:140],
			"description": description,
			"reference_doctype": reference_doctype,
			"reference_name": reference_name,
			"is_important": 1 if is_important else 0,
			"metadata": json.dumps(metadata, default=str) if metadata is not None else None,
			"activity_date": when,
			"performed_by": frappe.session.user,
		}
	).insert(ignore_permissions=True)
	if customer:
		touch_customer(customer, when)
	return row.as_dict()


def record_system_entries(entries: list[dict]) -> int:
	"""Insert many timeline rows the system makes on its own (e.g. health changes) in one query.

	Each entry has customer, activity_type, title and optionally description, metadata, is_important.
	These are not customer activity, so `last_activity_on` is left alone."""
	if not entries:
		return 0
	now, user = now_datetime(), frappe.session.user
	fields = ["name", "creation", "modified", "owner", "modified_by", "activity_date", "performed_by"]
	fields += ["customer", "activity_type", "title", "description", "metadata", "is_important"]
	values = [
		[
			frappe.generate_hash(length=10),
			now,
			now,
			user,
			user,
			now,
			user,
			entry["customer"],
			entry["activity_type"],
			entry["title"][:140],
			entry.get("description"),
			json.dumps(entry["metadata"], default=str) if entry.get("metadata") is not None else None,
			1 if entry.get("is_important") else 0,
		]
		for entry in entries
	]
	bulk.insert_rows(constants.TIMELINE, fields, values)
	access_index.refresh(constants.TIMELINE, [row[0] for row in values])  # rows written without hooks
	return len(values)


def touch_customer(customer: str, when, interaction: bool = False) -> None:
	"""Move the customer's last activity (and last interaction) forward to `when`; never backwards."""
	profile = frappe.qb.DocType(constants.CUSTOMER)
	fields = ("last_activity_on", "last_interaction_on") if interaction else ("last_activity_on",)
	for fieldname in fields:
		column = profile[fieldname]
		(
			frappe.qb.update(profile)
			.set(column, when)
			.where(profile.name == customer)
			.where(column.isnull() | (column < when))
		).run()


def get_activity_timeline(
	customer: str, limit: int = 50, start: int = 0, newest_first: bool = False
) -> list[dict]:
	"""Timeline rows of a customer the caller can read, oldest first (chronological) unless `newest_first`."""
	get_record(constants.CUSTOMER, customer, "customer")
	direction = "desc" if newest_first else "asc"
	rows = frappe.get_list(
		constants.TIMELINE,
		filters={"customer": customer},
		fields=list(TIMELINE_FIELDS),
		order_by=f"activity_date {direction}, creation {direction}",
		limit_start=max(int(start or 0), 0),
		limit_page_length=min(max(int(limit or 50), 1), 500),
	)
	for row in rows:
		if isinstance(row.metadata, str) and row.metadata:
			row.metadata = json.loads(row.metadata)
	return rows
