"""The desk calendar of CRM Interaction (crm_interaction_calendar.js): meetings and calls by date.

* ``get_events``: Frappe's calendar view asks for the records between ``start`` and ``end``; each comes
  with ``interaction_end`` (its date plus its duration, as the view needs an end).
* ``update_event``: dragging or resizing one moves its date and sets its duration.

Both go through the CRM access rules (`frappe.get_list`, `get_record`).
"""

import json

import frappe

from crm_module.services.integrations import calendar_sync


@frappe.whitelist(methods=["GET"])
@frappe.read_only()  # served from a read replica when the site configures one
def get_events(
	start: str,
	end: str,
	filters: str | list | None = None,
	field_map: str | dict | None = None,
	fields: str | list | None = None,
	doctype: str | None = None,
) -> list:
	parsed = json.loads(filters) if isinstance(filters, str) and filters else filters
	return calendar_sync.calendar_events(start, end, parsed if isinstance(parsed, list) else None)


@frappe.whitelist(methods=["POST"])
def update_event(args: str | dict, field_map: str | dict | None = None) -> None:
	values = frappe._dict(json.loads(args) if isinstance(args, str) else args)
	calendar_sync.move_from_calendar(values.name, values.interaction_date, values.get("interaction_end"))
