"""Interactions (spec: recordInteraction, getInteractionHistory).

A client that retries a POST whose answer it never got (a timeout, a restarted database) sends the same
``Idempotency-Key`` each time: the interaction is logged once, and every retry answers with it. Without the
key a retry of a write that had committed logs it twice. The key is stored hashed with the acting user
(`idempotency_key`, a unique column), so two users' keys never meet.
"""

import hashlib

import frappe
from frappe import _

from crm_module import constants
from crm_module.services.common import as_dict, check_links, get_record, insert, new_doc, user_or_session
from crm_module.services.payload import to_fields
from crm_module.services.transactions import savepoint
from crm_module.utils import throw_input

MAX_KEY_LENGTH = 255

ALIASES = {
	"customer_id": "customer",
	"contact_id": "contact",
	"lead_id": "lead",
	"opportunity_id": "opportunity",
	"type": "interaction_type",
	"date": "interaction_date",
	"duration": "duration_minutes",
	"next_steps": "next_step",
}
LINKS = {
	"customer": (constants.CUSTOMER, "customerId"),
	"contact": (constants.CONTACT, "contactId"),
	"lead": (constants.LEAD, "leadId"),
	"opportunity": (constants.OPPORTUNITY, "opportunityId"),
}
MAX_LIMIT = 500
HISTORY_FIELDS = [
	"name",
	"interaction_type",
	"subject",
	"interaction_date",
	"duration_minutes",
	"customer",
	"contact",
	"lead",
	"opportunity",
	"conducted_by",
	"outcome",
	"sentiment",
	"next_step",
	"next_step_date",
	"description",
	"owner",
]


def record_interaction(data: dict, user: str | None = None, idempotency_key: str | None = None) -> dict:
	"""Log a touchpoint on a customer or lead the acting user can reach (``customerId`` or ``leadId``); with an
	`idempotency_key` the interaction that key already logged for the user is answered instead."""
	key = stored_key(idempotency_key, user)
	if key and (logged := logged_with(key, user)):
		return logged
	values = to_fields(constants.INTERACTION, data, ALIASES)
	if not values.get("customer") and not values.get("lead"):
		throw_input(_("customerId (customer) or leadId (lead) is required for an interaction"))
	check_links(values, LINKS, user)
	values["idempotency_key"] = key
	try:
		with savepoint("crm_interaction"):
			doc = insert(new_doc(constants.INTERACTION, values, user), user)
	except frappe.UniqueValidationError:
		# the same key, sent again while the first request was still running: the first one logged it
		if key and (logged := logged_with(key, user, for_update=True)):
			if frappe.local.message_log:
				frappe.local.message_log.pop()  # Frappe's "must be unique" notice: nothing failed
			return logged
		raise
	return as_dict(doc)


def stored_key(idempotency_key: str | None, user: str | None = None) -> str | None:
	"""The column value for a client's Idempotency-Key: SHA-256 of the acting user and the key (None
	without a key; a 400 for one that is not 1-255 characters of text)."""
	if idempotency_key is None or idempotency_key == "":
		return None
	if not isinstance(idempotency_key, str) or len(idempotency_key) > MAX_KEY_LENGTH:
		throw_input(_("Idempotency-Key must be text of at most {0} characters").format(MAX_KEY_LENGTH))
	return hashlib.sha256(f"{user_or_session(user)}\n{idempotency_key}".encode()).hexdigest()


def logged_with(key: str, user: str | None = None, for_update: bool = False) -> dict | None:
	"""The interaction an Idempotency-Key already logged, as its POST answered (None when there is none; a
	403 when the user may no longer read it). `for_update` reads the latest committed row, not the
	transaction's snapshot."""
	name = frappe.db.get_value(constants.INTERACTION, {"idempotency_key": key}, "name", for_update=for_update)
	return as_dict(get_record(constants.INTERACTION, name, "Idempotency-Key", user)) if name else None


def get_interaction_history(customer: str, limit: int = 20, user: str | None = None) -> list[dict]:
	"""The `limit` (1-500) most recent interactions with `customer`, newest first."""
	if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
		throw_input(_("limit must be a whole number between 1 and {0}, got {1!r}").format(MAX_LIMIT, limit))
	get_record(constants.CUSTOMER, customer, "customerId", user)
	return frappe.get_all(
		constants.INTERACTION,
		filters={"customer": customer},
		fields=HISTORY_FIELDS,
		order_by="interaction_date desc, creation desc",
		limit=limit,
	)
