"""Interactions (seed: GET/POST /api/crm/interactions).

* GET ``customerId`` (required), ``limit`` (1-500, default 20) -> the latest interactions, newest first.
* POST -> record one interaction (``customerId`` or ``leadId``, ``interactionType``, ``subject``...); a
  retry that sends the same ``Idempotency-Key`` header answers with the interaction already logged.
"""

import frappe

from crm_module.api.params import camelize, payload, required
from crm_module.services import interactions
from crm_module.services.common import acting_user


@frappe.whitelist(methods=["GET"])
@frappe.read_only()  # served from a read replica when the site configures one
def get(customerId: str | None = None, limit: int = 20, userId: str | None = None) -> list:
	user = acting_user(userId)
	return camelize(interactions.get_interaction_history(required(customerId, "customerId"), limit, user))


@frappe.whitelist(methods=["POST"])
def post(data: dict | str | None = None, userId: str | None = None, **fields) -> dict:
	user = acting_user(userId)
	key = frappe.get_request_header("Idempotency-Key")
	return camelize(interactions.record_interaction(payload(data, fields), user, key))
