"""Who reads which sales target and forecast snapshot (`permission_query_conditions` / `has_permission`).

* CRM Managers (and System Managers) read and write every target; only they write any.
* A CRM User reads the Rep targets of themselves and of the members and leads of every team they lead
  (with its sub-teams, recursively), and the Team targets of those teams. Territory targets are for
  managers. A team member who leads nothing reads only their own target.
* Forecast snapshots are the daily run's raw rows: managers only (the reports show a rep their own
  share of them, through the opportunity rules).
"""

import frappe

from crm_module import constants
from crm_module.access.conditions import NOTHING
from crm_module.access.rules import READ_TYPES
from crm_module.access.teams import load_teams, reach_users
from crm_module.access.users import has_crm_role, is_unrestricted
from crm_module.domain import teams as team_rules


def led_teams(user: str) -> list[str]:
	"""The teams under the teams `user` leads, through the same closure as `reach_users` (`domain/teams`)."""
	return team_rules.led_teams(user, *load_teams())


def target_conditions(user: str | None = None, doctype: str | None = None) -> str:
	"""`permission_query_conditions` of CRM Sales Target."""
	user = user or frappe.session.user
	if is_unrestricted(user):
		return ""
	if not has_crm_role(user):
		return NOTHING
	table = f"`tab{constants.SALES_TARGET}`"
	reps = ", ".join(frappe.db.escape(u) for u in reach_users(user))
	parts = [f"({table}.`target_for` = 'Rep' and {table}.`user` in ({reps}))"]
	teams = led_teams(user)
	if teams:
		names = ", ".join(frappe.db.escape(t) for t in teams)
		parts.append(f"({table}.`target_for` = 'Team' and {table}.`sales_team` in ({names}))")
	return "(" + " or ".join(parts) + ")"


def can_read_target(row, user: str) -> bool:
	if row.get("target_for") == "Rep":
		return row.get("user") in reach_users(user)
	if row.get("target_for") == "Team":
		return row.get("sales_team") in led_teams(user)
	return False


def target_permission(doc, ptype: str = "read", user: str | None = None, debug: bool = False) -> bool | None:
	"""`has_permission` of CRM Sales Target: None (the roles decide) for managers; CRM Users read the
	targets `target_conditions` gives them, judged as stored, and write none."""
	user = user or frappe.session.user
	if is_unrestricted(user):
		return None
	if not has_crm_role(user) or ptype not in READ_TYPES or doc.is_new():
		return False
	stored = frappe.db.get_value(
		constants.SALES_TARGET, doc.name, ["target_for", "user", "sales_team"], as_dict=True
	)
	return bool(stored) and can_read_target(stored, user)


def snapshot_conditions(user: str | None = None, doctype: str | None = None) -> str:
	return "" if is_unrestricted(user or frappe.session.user) else NOTHING


def snapshot_permission(
	doc, ptype: str = "read", user: str | None = None, debug: bool = False
) -> bool | None:
	return None if is_unrestricted(user or frappe.session.user) else False
