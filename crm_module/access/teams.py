"""Sales teams in the rule table: a team lead reaches every record their team reaches.

`reach_users(user)` is the user plus everyone in the teams they lead (sub-teams and members' members
included, see `domain/teams.py`). The rule table, the access-index conditions and the single-record
checks all ask it, so lists, counts, reports, search and the dashboard agree for team leads too. The
map is computed for the whole site at once (teams are few) and cached (`crm_module.caching`) until a team
changes: dropped at the change and again after its commit, and never kept longer than the caches' TTL.
"""

import frappe

from crm_module import caching, constants
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
		memo = caching.cached(CACHE_KEY, lambda: reach_map(*load_teams()))
		frappe.local.crm_team_reach = memo
	return memo


def reach_users(user: str) -> tuple[str, ...]:
	"""`user` first, then the users whose records `user` reaches as a team lead."""
	return (user, *team_reach_map().get(user, ()))


def clear() -> None:
	caching.drop(CACHE_KEY)
	frappe.local.crm_team_reach = None
