"""Opportunities (spec: createOpportunity, updateOpportunity, getOpportunitiesByCustomer, getSalesPipeline).

``stage`` may be a stage's document name (``Proposal - Default``) or its stage name in any case
(``'proposal'``), looked up in the opportunity's pipeline (the given ``pipeline``, else the default one).
A probability sent by the caller is kept as set by hand (``probability_is_manual``); otherwise the
controller takes the stage's probability. A new opportunity without a stage starts in the pipeline's
first stage.
"""

import frappe
from frappe import _

from crm_module import constants
from crm_module.exceptions import CRMNotFoundError
from crm_module.services.common import as_dict, check_links, get_record, insert, new_doc
from crm_module.services.payload import to_fields
from crm_module.services.pipeline import get_default_pipeline, get_pipeline_stages
from crm_module.services.reporting import metrics
from crm_module.utils import throw_input

ALIASES = {
	"name": "opportunity_name",
	"title": "opportunity_name",
	"customer_id": "customer",
	"contact_id": "contact",
	"owner_id": "opportunity_owner",
	"type": "opportunity_type",
	"probability": "probability_percent",
	"amount": "value",
	"close_date": "expected_close_date",
	"reason": "win_loss_reason",
}
LINKS = {"customer": (constants.CUSTOMER, "customerId"), "contact": (constants.CONTACT, "contactId")}
LIST_FIELDS = [
	"name",
	"opportunity_name",
	"customer",
	"contact",
	"opportunity_owner",
	"pipeline",
	"stage",
	"status",
	"probability_percent",
	"value",
	"currency",
	"forecast_amount",
	"expected_close_date",
	"actual_close_date",
	"days_in_pipeline",
	"source",
	"opportunity_type",
	"creation",
]


def create_opportunity(data: dict, user: str | None = None) -> dict:
	"""A new opportunity on a customer the acting user can write (``customerId`` and ``name`` required)."""
	values = _values(data, None)
	for fieldname, key in (("customer", "customerId"), ("opportunity_name", "name"), ("value", "value")):
		if values.get(fieldname) in (None, ""):
			throw_input(_("{0} ({1}) is required").format(key, fieldname))
	check_links(values, LINKS, user)
	get_record(constants.CUSTOMER, values["customer"], "customerId", user, "write")
	return as_dict(insert(new_doc(constants.OPPORTUNITY, values, user), user))


def update_opportunity(opportunity: str, data: dict, user: str | None = None) -> dict:
	"""Change `opportunity`; a new ``stage`` moves it (the controller records the move)."""
	doc = get_record(constants.OPPORTUNITY, opportunity, "opportunityId", user, "write")
	values = _values(data, doc)
	check_links(values, LINKS, user)
	if values.get("customer") and values["customer"] != doc.customer:
		get_record(constants.CUSTOMER, values["customer"], "customerId", user, "write")
	doc.update(values)
	doc.save()
	return as_dict(doc)


def get_opportunities_by_customer(customer: str, user: str | None = None) -> list[dict]:
	"""Opportunities of `customer`, open ones first, then by value (largest first)."""
	get_record(constants.CUSTOMER, customer, "customerId", user)
	return frappe.get_all(
		constants.OPPORTUNITY,
		filters={"customer": customer},
		fields=LIST_FIELDS,
		order_by="field(status, 'Open', 'Won', 'Lost'), value desc, creation desc",
	)


def get_sales_pipeline(user: str | None = None, pipeline: str | None = None) -> dict:
	"""Open opportunities of `pipeline` (default: the default pipeline) per stage, with count, value and
	forecast (see `metrics.get_stage_pipeline`)."""
	if pipeline and not frappe.db.exists(constants.PIPELINE, pipeline):
		frappe.throw(_("pipeline: pipeline {0} not found").format(pipeline), CRMNotFoundError)
	return metrics.get_sales_pipeline(user, pipeline)


def _values(data: dict, doc) -> dict:
	values = to_fields(constants.OPPORTUNITY, data, ALIASES)
	pipeline = values.get("pipeline") or (doc.pipeline if doc else None) or get_default_pipeline()
	if not pipeline or not frappe.db.exists(constants.PIPELINE, pipeline):
		throw_input(_("pipeline: pipeline {0} not found").format(pipeline))
	if values.get("pipeline") or doc is None:
		values["pipeline"] = pipeline
	if values.get("stage") or doc is None or "pipeline" in values:
		values["stage"] = resolve_stage(values.get("stage") or (doc.stage if doc else None), pipeline)
	if values.get("probability_percent") is not None:
		values["probability_is_manual"] = 1
	return values


def resolve_stage(stage: str | None, pipeline: str) -> str:
	"""The stage document of `pipeline` named `stage` (name or stage name, any case); the first stage when
	`stage` is empty; 400 listing the pipeline's stages otherwise."""
	stages = get_pipeline_stages(pipeline)
	if not stages:
		throw_input(_("pipeline: pipeline {0} has no stages").format(pipeline))
	if not stage:
		return stages[0]["name"]
	wanted = stage.strip().lower().replace("_", " ")
	for row in stages:
		if wanted in (row["name"].lower(), row["stage_name"].lower()):
			return row["name"]
	names = ", ".join(row["stage_name"] for row in stages)
	throw_input(_("stage: {0!r} is not a stage of pipeline {1} (one of {2})").format(stage, pipeline, names))
