"""CRM Activity Timeline: one row per customer (or lead) touchpoint, written by controllers and services.

Rows are written as rows by `write_entries`, without document events (CRM Users may only read the
timeline; the row-level rules in `crm_module.permissions` decide who sees it). Reading goes through
`get_activity_timeline`, which checks access to the customer and returns rows in chronological order
(oldest first; pass `newest_first=True` for a feed).
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
	"""Write one timeline row and bump the customer's `last_activity_on`; return the row as a dict."""
	if not customer and not lead:
		throw_input(_("Customer (customer) or Lead (lead) is required for a timeline entry"))
	when = get_datetime(activity_date) if activity_date else now_datetime()
	entry = {
		"customer": customer,
		"lead": lead,
		"activity_type": activity_type,
		"title": title or activity_type,
		"description": description,
		"reference_doctype": reference_doctype,
		"reference_name": reference_name,
		"is_important": is_important,
		"metadata": metadata,
		"activity_date": when,
	}
	row = write_entries([entry])[0]
	if customer:
		touch_customer(customer, when)
	return row


def record_system_entries(entries: list[dict]) -> int:
	"""Write many timeline rows the system makes on its own (e.g. health changes) in one query.

	Each entry has customer, activity_type, title and optionally description, metadata, is_important.
	These are not customer activity, so `last_activity_on` is left alone."""
	return len(write_entries(entries))


def write_entries(entries: list[dict]) -> list[dict]:
	"""Insert timeline rows in one statement and index who reaches them; return them as dicts.

	The timeline is the app's own log, written only here: its rows go in as rows, not documents (no
	document events; a second ORM insert made up a third of logging an interaction). What the
	controller's `validate` checks holds by construction: a customer or lead (callers require one),
	metadata a JSON object, the acting user as `performed_by`."""
	if not entries:
		return []
	now, user = now_datetime(), frappe.session.user
	rows = [
		{
			"name": frappe.generate_hash(length=10),
			"creation": now,
			"modified": now,
			"owner": user,
			"modified_by": user,
			"activity_type": entry["activity_type"],
			"title": entry["title"][:140],
			"activity_date": entry.get("activity_date") or now,
			"is_important": 1 if entry.get("is_important") else 0,
			"customer": entry.get("customer"),
			"lead": entry.get("lead"),
			"reference_doctype": entry.get("reference_doctype"),
			"reference_name": entry.get("reference_name"),
			"performed_by": user,
			"description": entry.get("description"),
			"metadata": json.dumps(entry["metadata"], default=str)
			if entry.get("metadata") is not None
			else None,
		}
		for entry in entries
	]
	fields = list(rows[0])
	bulk.insert_rows(constants.TIMELINE, fields, [[row[f] for f in fields] for row in rows])
	access_index.refresh(constants.TIMELINE, [row["name"] for row in rows], new=True)
	return rows


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
