"""Lead assignment: Frappe's Assignment Rule or the desk "Assign To" creates the ToDo and the
notification; this module keeps `lead_owner` in sync with the assignees.

* A ToDo on a lead changes (hook `ToDo.on_update` / `on_trash`): when the lead owner is no longer among
  the open assignees, the first assignee becomes the owner. With no assignee left the owner stays.
* The lead owner is changed by hand on the lead (or a new lead is given to someone else than its
  creator): the new owner is assigned (ToDo + notification) and the previous owner's assignment closed.
"""

import frappe
from frappe import _
from frappe.desk.form import assign_to

from crm_module import constants
from crm_module.services.reporting import cache as metrics_cache


def sync_owner_from_todo(todo, method: str | None = None) -> None:
	"""`doc_events` hook on ToDo: after Frappe updated the lead's `_assign`, follow its first assignee."""
	if todo.reference_type != constants.LEAD or not todo.reference_name:
		return
	lead_owner, assigned = frappe.db.get_value(
		constants.LEAD, todo.reference_name, ["lead_owner", "_assign"], for_update=True
	) or (None, None)
	assignees = frappe.parse_json(assigned or "[]")
	if assignees and lead_owner not in assignees:
		frappe.db.set_value(
			constants.LEAD, todo.reference_name, "lead_owner", assignees[0], update_modified=False
		)
		metrics_cache.invalidate_users({lead_owner, assignees[0]})  # no document hook runs for set_value


def assign_new_owner(lead, previous: str | None) -> None:
	"""Assign the lead's new owner, then close the previous owner's assignment (in that order, so the
	ToDo hook never sees an assignee list without the new owner)."""
	assignees = frappe.parse_json(frappe.db.get_value(lead.doctype, lead.name, "_assign") or "[]")
	if lead.lead_owner and lead.lead_owner not in assignees:
		assign_to.add(
			{
				"assign_to": [lead.lead_owner],
				"doctype": lead.doctype,
				"name": lead.name,
				"description": _("Lead {0} was assigned to you").format(lead.lead_name),
				"notify": 1,
			},
			ignore_permissions=True,
		)
	if previous and previous in assignees and previous != lead.lead_owner:
		assign_to.remove(lead.doctype, lead.name, previous, ignore_permissions=True)
