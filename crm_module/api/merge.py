"""Desk endpoints for likely duplicates and merging them (`crm_module.services.dedupe.candidates`,
`crm_module.services.dedupe.merge`); the services check who may see and change what."""

import frappe

from crm_module.services.dedupe import candidates as duplicate_candidates
from crm_module.services.dedupe import merge


@frappe.whitelist(methods=["GET"])
@frappe.read_only()
def candidates(doctype: str) -> list[dict]:
	"""Pairs of likely duplicates among the `doctype` records the caller reaches."""
	return duplicate_candidates.find_candidates(doctype)


@frappe.whitelist(methods=["GET"])
@frappe.read_only()
def preview(doctype: str, survivor: str, loser: str) -> dict:
	"""The fields that differ and the records that point at each, before a merge."""
	return merge.preview(doctype, survivor, loser)


@frappe.whitelist(methods=["POST"])
def merge_records(doctype: str, survivor: str, loser: str, take: list | str | None = None) -> dict:
	"""Merge `loser` into `survivor`; `take` lists the fields that take the loser's value."""
	fields = frappe.parse_json(take) if isinstance(take, str) and take else take
	return merge.merge_records(doctype, survivor, loser, fields or [])
