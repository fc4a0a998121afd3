"""What scoring and prediction read of a lead: its properties (fit rules, the conversion model)."""

import frappe

from crm_module import constants
from crm_module.domain.statuses import LEAD_ACTIVE_STATUSES
from crm_module.services import bulk

LEAD_FIELDS = (
	"name",
	"source",
	"industry",
	"company_size",
	"email_id",
	"phone",
	"job_title",
	"country",
	"website",
	"quality",
	"status",
	"scored_on",
)


def lead_properties(names: list[str] | None, open_only: bool = False) -> list[dict]:
	"""The scoring and prediction inputs of the named leads (all leads when `names` is None; only active
	ones when `open_only`), in chunked queries."""
	lead = frappe.qb.DocType(constants.LEAD)

	def query(chunk):
		q = frappe.qb.from_(lead).select(*(lead[f] for f in LEAD_FIELDS))
		if chunk is not None:
			q = q.where(lead.name.isin(chunk))
		if open_only:
			q = q.where(lead.status.isin(LEAD_ACTIVE_STATUSES))
		return q

	rows = bulk.run_chunked(query, names)
	for row in rows:
		row["email"] = row["email_id"]  # the domain derives email_domain / email_type from "email"
	return rows
