"""Opportunities (seed: GET/POST /api/crm/opportunities).

* GET ``customerId`` -> that customer's opportunities; without it -> the pipeline breakdown by stage
  (optional ``pipeline``, default: the default pipeline).
* POST ``action=create`` -> a new opportunity; ``action=update`` with ``opportunityId`` -> change it.
"""

import frappe

from crm_module.api.params import camelize, dispatch, payload, required
from crm_module.services import opportunities
from crm_module.services.common import acting_user


@frappe.whitelist(methods=["GET"])
@frappe.read_only()  # served from a read replica when the site configures one
def get(customerId: str | None = None, pipeline: str | None = None, userId: str | None = None) -> dict | list:
	user = acting_user(userId)
	if customerId:
		return camelize(opportunities.get_opportunities_by_customer(customerId, user))
	return camelize(opportunities.get_sales_pipeline(user, pipeline))


@frappe.whitelist(methods=["POST"])
def post(
	action: str | None = None,
	opportunityId: str | None = None,
	data: dict | str | None = None,
	userId: str | None = None,
	**fields,
) -> dict:
	user = acting_user(userId)
	body = payload(data, fields)
	return camelize(
		dispatch(
			action,
			{
				"create": lambda: opportunities.create_opportunity(body, user),
				"update": lambda: opportunities.update_opportunity(
					required(opportunityId, "opportunityId"), body, user
				),
			},
		)
	)
