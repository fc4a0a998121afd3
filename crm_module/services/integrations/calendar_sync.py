"""CRM dates <-> Frappe Events (the desk calendar of each user).

One Event per (record, purpose), private to the user it belongs to (event_type "Private": Frappe shows a
private Event to its owner only), remembered by a link on the record:

* a Meeting interaction with a date -> CRM Interaction.event, owned by the conducting user; the CRM
  contact is its only participant. Both ways: the interaction's date, duration, subject and
  cancellation update the Event; moving the Event (starts_on / ends_on) moves the interaction, and
  cancelling it (status "Cancelled") marks the interaction cancelled;
* an interaction's next step date -> CRM Interaction.next_step_event (all day, conducting user);
* a lead's follow-up date -> CRM Sales Lead.follow_up_event (all day, lead owner).

Clearing the date (or deleting the record) deletes the Event; deleting the Event unlinks it. A flag on
the documents written by the sync (`flags.crm_calendar_sync`) stops the echo of each change.

The Event carries a subject and a link to the CRM record, nothing else: whoever opens the link still
goes through the CRM access rules.
"""

from datetime import timedelta

import frappe
from frappe import _
from frappe.utils import get_datetime, getdate

from crm_module import constants
from crm_module.domain.mail import duration_between, meeting_end
from crm_module.domain.statuses import LEAD_FINISHED_STATUSES
from crm_module.services.common import get_record
from crm_module.utils import throw_input

SYNC_FLAG = "crm_calendar_sync"
MEETING = "Meeting"
CANCELLED = "Cancelled"


def _syncing(doc) -> bool:
	return bool(doc.flags.get(SYNC_FLAG) or frappe.flags.get(SYNC_FLAG))


def _skip() -> bool:
	flags = frappe.flags
	return bool(flags.in_import or flags.in_install or flags.in_migrate or flags.in_patch)


# --- CRM -> Event ------------------------------------------------------------------------------------


def conducting_user(interaction) -> str | None:
	"""The user whose calendar holds an interaction: `conducted_by` when it names a user (by id or
	email), else whoever logged it."""
	named = (interaction.conducted_by or "").strip()
	if named:
		user = frappe.db.get_value("User", {"name": named, "enabled": 1}, "name") or frappe.db.get_value(
			"User", {"email": named, "enabled": 1}, "name"
		)
		if user:
			return user
	return interaction.owner if interaction.owner != "Guest" else None


def record_link(doctype: str, name: str, label: str | None = None) -> str:
	route = frappe.scrub(doctype).replace("_", "-")
	return f'<a href="/app/{route}/{name}">{frappe.utils.escape_html(label or name)}</a>'


def sync_interaction(interaction, method: str | None = None) -> None:
	"""`after_insert` / `on_update` of CRM Interaction: its meeting and next-step Events."""
	if _syncing(interaction) or _skip():
		return
	if not (interaction.interaction_type == MEETING or interaction.next_step_date):
		_drop_event(interaction, "event")  # e.g. a captured email: nothing to look up
		_drop_event(interaction, "next_step_event")
		return
	owner = conducting_user(interaction)
	start = get_datetime(interaction.interaction_date) if interaction.interaction_date else None
	if interaction.interaction_type == MEETING and start and owner:
		values = {
			"subject": interaction.subject,
			"starts_on": start,
			"ends_on": meeting_end(start, interaction.duration_minutes),
			"all_day": 0,
			"event_category": "Meeting",
			"status": CANCELLED if interaction.cancelled else "Open",
			"description": _("Meeting {0}").format(record_link(interaction.doctype, interaction.name)),
		}
		participants = [(constants.CONTACT, interaction.contact)] if interaction.contact else []
		_set_event(interaction, "event", owner, values, participants)
	else:
		_drop_event(interaction, "event")

	if interaction.next_step_date and owner:
		values = _all_day(
			interaction.next_step_date,
			_("Next step: {0}").format(interaction.next_step or interaction.subject),
			_("Next step of {0}").format(record_link(interaction.doctype, interaction.name)),
		)
		_set_event(interaction, "next_step_event", owner, values, [])
	else:
		_drop_event(interaction, "next_step_event")


def sync_lead(lead, method: str | None = None) -> None:
	"""`on_update` of CRM Sales Lead: the follow-up Event in the lead owner's calendar."""
	if _syncing(lead) or _skip():
		return
	if lead.follow_up_date and lead.lead_owner and lead.status not in LEAD_FINISHED_STATUSES:
		values = _all_day(
			lead.follow_up_date,
			_("Follow up: {0}").format(lead.lead_name),
			_("Follow-up of lead {0}").format(record_link(lead.doctype, lead.name, lead.lead_name)),
		)
		_set_event(lead, "follow_up_event", lead.lead_owner, values, [])
	else:
		_drop_event(lead, "follow_up_event")


def delete_events(doc, method: str | None = None) -> None:
	"""`on_trash` of CRM Interaction and CRM Sales Lead: their Events go with them."""
	for fieldname in ("event", "next_step_event", "follow_up_event"):
		if doc.meta.has_field(fieldname) and doc.get(fieldname):
			_delete_event(doc.get(fieldname))


def _all_day(day, subject: str, description: str) -> dict:
	start = get_datetime(getdate(day))
	return {
		"subject": subject,
		"starts_on": start,
		"ends_on": None,
		"all_day": 1,
		"event_category": "Event",
		"status": "Open",
		"description": description,
	}


def _set_event(doc, fieldname: str, owner: str, values: dict, participants: list[tuple[str, str]]) -> None:
	"""Create or update the Event `doc.<fieldname>` so it holds `values` in `owner`'s calendar."""
	name = doc.get(fieldname)
	event = frappe.get_doc("Event", name) if name and frappe.db.exists("Event", name) else None
	if event is not None and event.owner != owner:  # someone else's calendar now: move it over
		_delete_event(event.name)
		event = None
	if event is None:
		event = frappe.new_doc("Event")
		event.owner = owner
		event.event_type = "Private"
	changed = event.is_new()
	for key, value in values.items():
		if _differs(event.get(key), value):
			event.set(key, value)
			changed = True
	wanted = [(dt, dn) for dt, dn in participants if dn]
	have = [(p.reference_doctype, p.reference_docname) for p in event.event_participants]
	if have != wanted:
		event.set(
			"event_participants", [{"reference_doctype": dt, "reference_docname": dn} for dt, dn in wanted]
		)
		changed = True
	if not changed:
		return
	event.flags[SYNC_FLAG] = True
	event.flags.ignore_permissions = True  # the system keeps the user's calendar in step
	event.save()
	if doc.get(fieldname) != event.name:
		_store_link(doc, fieldname, event.name)


def _differs(old, new) -> bool:
	if old in (None, "") and new in (None, ""):
		return False
	if isinstance(new, int) and not isinstance(new, bool):
		return int(old or 0) != new
	if hasattr(new, "year"):
		return old in (None, "") or get_datetime(old) != get_datetime(new)
	return str(old or "") != str(new or "")


def _drop_event(doc, fieldname: str) -> None:
	name = doc.get(fieldname)
	if not name:
		return
	_store_link(doc, fieldname, None)
	_delete_event(name)


def _store_link(doc, fieldname: str, value: str | None) -> None:
	"""Write the Event link without `db_set`, which would run the record's `on_change` hooks (and reload
	its state before save) in the middle of its own insert or save."""
	frappe.db.set_value(doc.doctype, doc.name, fieldname, value, update_modified=False)
	doc.set(fieldname, value)


def _delete_event(name: str) -> None:
	if not frappe.db.exists("Event", name):
		return
	previous = frappe.flags.get(SYNC_FLAG)
	frappe.flags[SYNC_FLAG] = True
	try:
		# force: the CRM record may still link it (its own deletion is under way)
		frappe.delete_doc("Event", name, ignore_permissions=True, force=True)
	finally:
		frappe.flags[SYNC_FLAG] = previous


# --- Event -> CRM --------------------------------------------------------------------------------------

LINKS = (
	(constants.INTERACTION, "event"),
	(constants.INTERACTION, "next_step_event"),
	(constants.LEAD, "follow_up_event"),
)


def on_event_update(event, method: str | None = None) -> None:
	"""`on_update` of Event: a moved or cancelled Event moves or cancels the CRM record it stands for.
	Only the Event's user acting within their CRM access changes the record."""
	if _syncing(event):
		return
	for doctype, fieldname in LINKS:
		name = frappe.db.get_value(doctype, {fieldname: event.name}, "name")
		if not name:
			continue
		doc = frappe.get_doc(doctype, name)
		if not frappe.has_permission(doctype, "write", doc=doc):
			continue
		if _apply_event(doc, fieldname, event):
			doc.flags[SYNC_FLAG] = True
			doc.flags.ignore_permissions = True  # checked just above
			doc.save()


def _apply_event(doc, fieldname: str, event) -> bool:
	start = get_datetime(event.starts_on) if event.starts_on else None
	if start is None:
		return False
	before = doc.as_dict()
	if fieldname == "event":
		doc.interaction_date = start
		minutes = duration_between(start, get_datetime(event.ends_on) if event.ends_on else None)
		if minutes:
			doc.duration_minutes = minutes
		doc.cancelled = 1 if event.status == CANCELLED else 0
	elif fieldname == "next_step_event":
		doc.next_step_date = getdate(start)
	else:
		doc.follow_up_date = getdate(start)
	return any(
		_differs(before.get(key), doc.get(key))
		for key in ("interaction_date", "duration_minutes", "cancelled", "next_step_date", "follow_up_date")
		if doc.meta.has_field(key)
	)


def on_event_trash(event, method: str | None = None) -> None:
	"""`on_trash` of Event: a user deleting a synced Event from their calendar unlinks it (otherwise
	Frappe refuses: the CRM record links it)."""
	if _syncing(event):
		return
	for doctype, fieldname in LINKS:
		frappe.db.set_value(doctype, {fieldname: event.name}, fieldname, None, update_modified=False)


# --- the desk calendar of CRM Interaction --------------------------------------------------------------

CALENDAR_TYPES = ("Meeting", "Call")
CALENDAR_FIELDS = [
	"name",
	"subject",
	"interaction_type",
	"interaction_date",
	"duration_minutes",
	"customer",
	"lead",
	"cancelled",
]
COLORS = {"Meeting": "#5e64ff", "Call": "#29cd42"}
CANCELLED_COLOR = "#b8c2cc"


def moment(value, param: str):
	"""`value` (a date and time as text) as a datetime, or a 400 naming `param`."""
	parsed = None
	if isinstance(value, str) and value.strip():
		try:
			parsed = get_datetime(value)
		except Exception:
			parsed = None
	if parsed is None:
		throw_input(_("{0} must be a date and time, got {1!r}").format(param, value))
	return parsed


def calendar_events(start: str, end: str, filters: list | None = None) -> list[dict]:
	"""Meetings and calls between `start` and `end` the user may read (frappe.get_list applies the CRM
	access rules), each with its end computed from its duration."""
	start, end = moment(start, "start"), moment(end, "end")
	if any(not isinstance(f, list | tuple | dict) for f in filters or []):
		throw_input(_("filters must be a list of conditions"))
	filters = list(filters or [])
	if not any(_filter_field(f) == "interaction_type" for f in filters):
		filters.append([constants.INTERACTION, "interaction_type", "in", CALENDAR_TYPES])
	window_start = get_datetime(start) - timedelta(days=1)  # meetings that began the day before
	filters += [
		[constants.INTERACTION, "interaction_date", ">=", window_start],
		[constants.INTERACTION, "interaction_date", "<=", get_datetime(end)],
	]
	rows = frappe.get_list(
		constants.INTERACTION,
		fields=CALENDAR_FIELDS,
		filters=filters,
		order_by="interaction_date asc",
		limit_page_length=2000,
	)
	for row in rows:
		begins = get_datetime(row.interaction_date)
		row.interaction_end = meeting_end(begins, row.duration_minutes)
		row.color = CANCELLED_COLOR if row.cancelled else COLORS.get(row.interaction_type, "#5e64ff")
		row.title = f"{_(row.interaction_type)}: {row.subject}"
	return [row for row in rows if row.interaction_end >= get_datetime(start)]


def _filter_field(condition) -> str | None:
	if isinstance(condition, list | tuple):
		return condition[1] if len(condition) >= 4 else condition[0]
	return None


def move_from_calendar(name: str, start: str, end: str | None = None) -> None:
	"""The desk calendar dragged or resized an interaction: new date, and the duration from its end."""
	doc = get_record(constants.INTERACTION, name, "name", ptype="write")
	begins = moment(start, "interaction_date")
	doc.interaction_date = begins
	minutes = duration_between(begins, moment(end, "interaction_end") if end else None)
	if minutes:
		doc.duration_minutes = minutes
	doc.save()
