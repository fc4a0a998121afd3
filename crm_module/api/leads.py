"""Leads (seed: GET/POST /api/crm/leads).

* GET (optional ``status``) -> the leads the acting user can reach, newest first.
* POST ``action=create`` -> a new lead; ``action=update`` with ``leadId`` -> change it;
  ``action=score`` with ``leadId`` -> store a score (``engagementScore``, ``fitScore``, ``activityScore``,
  optional ``totalScore``, ``grade``, ``scoringDate``; no scores = computed from the lead's activity).
"""

import frappe

from crm_module.api.params import camelize, dispatch, payload, required
from crm_module.services import leads
from crm_module.services.common import acting_user
from crm_module.services.insights import scoring


@frappe.whitelist(methods=["GET"])
@frappe.read_only()  # served from a read replica when the site configures one
def get(status: str | None = None, userId: str | None = None) -> list:
	user = acting_user(userId)
	return camelize(leads.get_leads(status, user))


@frappe.whitelist(methods=["POST"])
def post(
	action: str | None = None,
	leadId: str | None = None,
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
				"create": lambda: leads.create_lead(body, user),
				"update": lambda: leads.update_lead(required(leadId, "leadId"), body, user),
				"score": lambda: scoring.score_lead(
					required(leadId, "leadId"), body, user=user, param="leadId"
				),
			},
		)
	)
