"""Who the rules restrict: CRM Managers, System Managers and Administrator see every CRM record;
CRM Users see what the rule table gives them; everybody else sees no CRM record at all."""

import frappe

from crm_module import constants

CRM_ROLES = frozenset({constants.ROLE_USER, constants.ROLE_MANAGER})


def is_unrestricted(user: str | None = None) -> bool:
	user = user or frappe.session.user
	if user == "Administrator":
		return True
	return bool(constants.MANAGER_ROLES.intersection(frappe.get_roles(user)))


def has_crm_role(user: str | None = None) -> bool:
	user = user or frappe.session.user
	return bool(CRM_ROLES.intersection(frappe.get_roles(user)))
