"""Sales teams and territories: who belongs where, and where a new record goes.

* Teams (`CRM Sales Team`): validation of the team tree, the users of a team (for targets and reports)
  and the users a viewer sees (for the dashboard's rep selector). Who *reaches* what is the access
  layer's business (`access/teams.py`); this module only clears its cache when a team changes.
* Territories (`CRM Sales Territory`, a tree on customers and leads): the territory's subtree for
  filters and roll-ups, and routing: a customer or lead created in a territory without an owner goes to
  the territory's rep (or the nearest ancestor's) with the fewest open records of that kind.
"""

import frappe
from frappe import _

from crm_module import constants
from crm_module.access import teams as team_access
from crm_module.access.users import is_unrestricted
from crm_module.domain.statuses import LEAD_ACTIVE_STATUSES
from crm_module.domain.teams import TeamCycleError, check_parent
from crm_module.domain.teams import team_users as users_of_team
from crm_module.exceptions import CRMInputError
from crm_module.services.reporting import cache as metrics_cache

ROUTED = {  # doctype -> (owner field, filters of its "open" records)
	constants.CUSTOMER: ("account_owner", {"status": "Active"}),
	constants.LEAD: ("lead_owner", {"status": ("in", list(LEAD_ACTIVE_STATUSES))}),
}


# ------------------------------------------------------------------ teams


def validate_team(doc) -> None:
	teams, _members = team_access.load_teams()
	try:
		check_parent(doc.name or doc.team_name, doc.parent_team, [t for t in teams if t.name != doc.name])
	except TeamCycleError:
		frappe.throw(
			_("Parent Team (parent_team): {0} is {1} itself or one of its sub-teams").format(
				doc.parent_team, doc.team_name
			),
			CRMInputError,
		)
	seen = set()
	for row in doc.members:
		if row.user in seen:
			frappe.throw(
				_("Members (members) row {0}: {1} is listed twice").format(row.idx, row.user), CRMInputError
			)
		seen.add(row.user)


def check_no_sub_teams(doc) -> None:
	children = frappe.get_all(constants.SALES_TEAM, filters={"parent_team": doc.name}, pluck="name")
	if children:
		frappe.throw(
			_("Team {0} still has sub-teams ({1}); move or delete them first").format(
				doc.name, ", ".join(children)
			),
			frappe.LinkExistsError,
		)


def clear_cache(*_args, **_kwargs) -> None:
	"""A team changed: who reaches what changed for its leads (their cached dashboards too)."""
	team_access.clear()
	metrics_cache.invalidate()


def team_users(team: str) -> list[str]:
	"""Leads and members of `team` and of all its sub-teams."""
	teams, members = team_access.load_teams()
	return users_of_team(team, teams, members)


def visible_users(user: str) -> list[str] | None:
	"""The users whose records `user` reaches: None for managers (everyone), else `user` and their team."""
	if is_unrestricted(user):
		return None
	return list(team_access.reach_users(user))


# ------------------------------------------------------------------ territories


def territory_subtree(territory: str) -> list[str]:
	"""`territory` and every territory below it (empty when it does not exist)."""
	bounds = frappe.db.get_value(constants.TERRITORY, territory, ["lft", "rgt"], as_dict=True)
	if not bounds:
		return []
	return frappe.get_all(
		constants.TERRITORY,
		filters={"lft": (">=", bounds.lft), "rgt": ("<=", bounds.rgt)},
		pluck="name",
		order_by="lft",
	)


def territory_filter(territory: str) -> tuple[str, list[str]]:
	"""A list filter for records in `territory` or below it (reports' "Territory" filter)."""
	return ("in", territory_subtree(territory) or [territory])


def territory_reps(territory: str) -> list[str]:
	"""The enabled reps of `territory`, or of its nearest ancestor that has any: one query over the
	territory's ancestors in the nested set (lft/rgt), nearest first."""
	node = frappe.qb.DocType(constants.TERRITORY)
	ancestor = frappe.qb.DocType(constants.TERRITORY).as_("ancestor")
	rep = frappe.qb.DocType(constants.TERRITORY_REP)
	user = frappe.qb.DocType("User")
	rows = (
		frappe.qb.from_(node)
		.join(ancestor)
		.on((ancestor.lft <= node.lft) & (ancestor.rgt >= node.rgt))
		.join(rep)
		.on((rep.parent == ancestor.name) & (rep.parenttype == constants.TERRITORY))
		.join(user)
		.on((user.name == rep.user) & (user.enabled == 1))
		.where(node.name == territory)
		.select(ancestor.name.as_("territory"), rep.user)
		.orderby(ancestor.lft, order=frappe.qb.desc)
		.orderby(rep.idx)
	).run(as_dict=True)
	nearest = rows[0].territory if rows else None
	return [row.user for row in rows if row.territory == nearest]


def route_by_territory(doc) -> None:
	"""`before_insert` of customers and leads: an unowned record created in a territory goes to the
	territory's least-loaded rep. Only where nobody would own it otherwise: a CRM User's own records
	stay theirs (the write guard sets them), so this serves managers, imports, web forms and the API.
	A record that no territory routes belongs to its creator, as before territories existed."""
	owner_field, open_filters = ROUTED[doc.doctype]
	if doc.get(owner_field):
		return
	user = frappe.session.user
	routed = is_unrestricted(user) or doc.flags.ignore_permissions or user == "Guest"
	reps = territory_reps(doc.territory) if routed and doc.get("territory") else []
	if not reps:
		if user != "Guest" and doc.get(owner_field) is None:
			# a record nobody routes belongs to whoever creates it, unless left empty on purpose
			doc.set(owner_field, user)
		return
	load = dict.fromkeys(reps, 0)
	for row in frappe.get_all(
		doc.doctype,
		filters={owner_field: ("in", reps), **open_filters},
		fields=[owner_field, "count(*) as open_count"],
		group_by=owner_field,
	):
		load[row[owner_field]] = row.open_count
	doc.set(owner_field, min(reps, key=lambda rep: (load[rep], reps.index(rep))))
