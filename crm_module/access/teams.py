"""Sales teams in the rule table: a team lead reaches every record their team reaches.

`reach_users(user)` is the user plus everyone in the teams they lead (sub-teams and members' members
included, see `domain/teams.py`). The rule table, the access-index conditions and the single-record
checks all ask it, so lists, counts, reports, search and the dashboard agree for team leads too. The
map is computed for the whole site at once (teams are few) and cached until a team changes.
"""

import frappe

from crm_module import constants
from crm_module.domain.teams import Team, reach_map

CACHE_KEY = "crm_module:team_reach"


def load_teams() -> tuple[list[Team], list[tuple[str, str]]]:
	teams = [
		Team(row.name, row.team_lead, row.parent_team)
		for row in frappe.get_all(
			constants.SALES_TEAM, fields=["name", "team_lead", "parent_team"], order_by="name"
		)
	]
	members = [
		(row.parent, row.user)
		for row in frappe.get_all(
			constants.SALES_TEAM_MEMBER,
			filters={"parenttype": constants.SALES_TEAM},
			fields=["parent", "user"],
			order_by="parent, idx",
		)
	]
	return teams, members


def team_reach_map() -> dict[str, list[str]]:
	memo = getattr(frappe.local, "crm_team_reach", None)
	if memo is None:
		memo = frappe.cache.get_value(CACHE_KEY)
		if memo is None:
			memo = reach_map(*load_teams())
			frappe.cache.set_value(CACHE_KEY, memo)
		frappe.local.crm_team_reach = memo
	return memo


def reach_users(user: str) -> tuple[str, ...]:
	"""`user` first, then the users whose records `user` reaches as a team lead."""
	return (user, *team_reach_map().get(user, ()))


def leads_a_team(user: str) -> bool:
	return bool(team_reach_map().get(user))


def clear() -> None:
	frappe.cache.delete_value(CACHE_KEY)
	frappe.local.crm_team_reach = None
