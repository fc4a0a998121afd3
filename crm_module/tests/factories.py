"""Fixture factories for integration tests: users with CRM roles and CRM records with sane defaults.

Every factory inserts as the *current* session user (use `frappe.set_user` / `as_user` first) so the
row-level permission rules apply exactly as in production; pass `ignore_permissions=True` for setup.
"""

from contextlib import contextmanager

import frappe
from frappe.utils import add_days, nowdate

from crm_module import constants


def make_user(
	email: str,
	roles: tuple[str, ...] = (constants.ROLE_USER,),
	first_name: str | None = None,
	last_name: str | None = None,
) -> str:
	"""Create (or reuse) an enabled desk user with exactly `roles` (the names only apply on creation)."""
	if not frappe.db.exists("User", email):
		user = frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": first_name or email.split("@")[0].title(),
				"last_name": last_name,
				"send_welcome_email": 0,
				"user_type": "System User",
				"enabled": 1,
			}
		)
		user.insert(ignore_permissions=True)
	user = frappe.get_doc("User", email)
	current = {r.role for r in user.roles}
	if current != set(roles):
		user.set("roles", [])
		user.add_roles(*roles)
	return email


def rep(n: int = 1) -> str:
	return make_user(f"crm.rep{n}@example.com", (constants.ROLE_USER,))


def manager() -> str:
	return make_user("crm.manager@example.com", (constants.ROLE_MANAGER,))


@contextmanager
def as_user(user: str):
	previous = frappe.session.user
	frappe.set_user(user)
	try:
		yield user
	finally:
		frappe.set_user(previous)


def _insert(doc: dict, ignore_permissions: bool = False):
	return frappe.get_doc(doc).insert(ignore_permissions=ignore_permissions)


def make_customer(company_name: str = "Acme Corp", ignore_permissions: bool = False, **kwargs):
	return _insert(
		{"doctype": constants.CUSTOMER, "company_name": company_name, **kwargs}, ignore_permissions
	)


def make_contact(customer: str, first_name: str = "Ada", ignore_permissions: bool = False, **kwargs):
	return _insert(
		{"doctype": constants.CONTACT, "customer": customer, "first_name": first_name, **kwargs},
		ignore_permissions,
	)


def make_lead(lead_name: str = "Grace Hopper", ignore_permissions: bool = False, **kwargs):
	return _insert({"doctype": constants.LEAD, "lead_name": lead_name, **kwargs}, ignore_permissions)


def stage(stage_name: str, pipeline: str = constants.DEFAULT_PIPELINE) -> str:
	return frappe.db.get_value(
		constants.PIPELINE_STAGE, {"pipeline": pipeline, "stage_name": stage_name}, "name"
	)


def make_opportunity(
	customer: str,
	opportunity_name: str = "Enterprise License Deal",
	value: float = 250000,
	stage_name: str = "Prospecting",
	ignore_permissions: bool = False,
	**kwargs,
):
	return _insert(
		{
			"doctype": constants.OPPORTUNITY,
			"customer": customer,
			"opportunity_name": opportunity_name,
			"value": value,
			"stage": stage(stage_name),
			"expected_close_date": add_days(nowdate(), 30),
			**kwargs,
		},
		ignore_permissions,
	)


def make_interaction(
	customer: str | None = None, subject: str = "Product demo", ignore_permissions: bool = False, **kwargs
):
	return _insert(
		{
			"doctype": constants.INTERACTION,
			"customer": customer,
			"interaction_type": kwargs.pop("interaction_type", "Call"),
			"subject": subject,
			**kwargs,
		},
		ignore_permissions,
	)


def make_team(name: str, lead: str, members=(), parent: str | None = None):
	"""A CRM Sales Team (setup: inserted without permission checks)."""
	return _insert(
		{
			"doctype": constants.SALES_TEAM,
			"team_name": name,
			"team_lead": lead,
			"parent_team": parent,
			"members": [{"user": member} for member in members],
		},
		ignore_permissions=True,
	)


def make_territory(name: str, parent: str | None = None, reps=(), is_group: int = 0):
	"""A CRM Sales Territory with its reps (setup: inserted without permission checks)."""
	return _insert(
		{
			"doctype": constants.TERRITORY,
			"territory_name": name,
			"parent_crm_sales_territory": parent,
			"is_group": is_group,
			"reps": [{"user": rep} for rep in reps],
		},
		ignore_permissions=True,
	)
