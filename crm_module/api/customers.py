"""Customers (seed: GET/POST /api/crm/customers).

* GET ``customerId`` -> the profile with its contacts.
* POST ``action=profile`` -> create (no ``customerId``) or update (``customerId``) a profile;
  ``action=contact`` -> add a contact to ``customerId`` (or change ``contactId``).
"""

import frappe

from crm_module.api.params import camelize, dispatch, payload, required
from crm_module.services import contacts, customers
from crm_module.services.common import acting_user


@frappe.whitelist(methods=["GET"])
@frappe.read_only()  # served from a read replica when the site configures one
def get(customerId: str | None = None, userId: str | None = None) -> dict:
	user = acting_user(userId)
	return camelize(customers.get_customer_profile(required(customerId, "customerId"), user))


@frappe.whitelist(methods=["POST"])
def post(
	action: str | None = None,
	customerId: str | None = None,
	contactId: str | None = None,
	data: dict | str | None = None,
	userId: str | None = None,
	**fields,
) -> dict:
	user = acting_user(userId)
	body = payload(data, fields)

	def contact() -> dict:
		if contactId:
			return contacts.update_contact(contactId, body, user)
		return contacts.create_contact(customerId, body, user)

	return camelize(
		dispatch(
			action,
			{
				"profile": lambda: customers.create_or_update_customer_profile(customerId, body, user),
				"contact": contact,
			},
		)
	)
