"""Customer segments: dynamic ones are evaluated against the profile and its aggregates
(`domain.segments.SEGMENT_FIELDS`), gathered set-based once for all segments; members are replaced in bulk."""

from datetime import date

import frappe
from frappe import _
from frappe.query_builder.functions import Count
from frappe.utils import cint, getdate, now_datetime, today

from crm_module import constants
from crm_module.domain import segments as domain
from crm_module.exceptions import CRMInputError, CRMNotFoundError
from crm_module.services import bulk
from crm_module.services.common import get_record
from crm_module.services.insights import customer_stats

MEMBER = constants.SEGMENT_MEMBER


def customer_rows(day: date | None = None) -> list[dict]:
	"""One row per customer with the profile fields and aggregates segment criteria can use."""
	day = getdate(day or today())
	profiles = customer_stats.profiles(None)
	interactions = customer_stats.interaction_stats(None, day)
	opportunities = customer_stats.opportunity_stats(None)
	rows = []
	for profile in profiles:
		interaction = interactions.get(profile.name) or {}
		opportunity = opportunities.get(profile.name) or {}
		scored = bool(profile.health_updated_on)  # an unscored profile has no health, not a health of 0
		rows.append(
			{
				**profile,
				"health_score": profile.health_score if scored else None,
				"risk_level": profile.risk_level if scored else None,
				"days_since_last_interaction": customer_stats.days_since(
					interaction.get("last_interaction"), day
				),
				"interactions_90d": int(interaction.get("interactions_90d") or 0),
				"open_opportunities": int(opportunity.get("open_opportunities") or 0),
				"pipeline_value": float(opportunity.get("pipeline_value") or 0),
			}
		)
	return rows


def matching_customers(criteria: str | dict, rows: list[dict]) -> list[dict]:
	parsed = domain.parse_criteria(criteria)
	return [r for r in rows if domain.matches(parsed, r)]


def replace_members(segment: str, members: list[dict]) -> None:
	"""Replace a segment's member rows in bulk and store member_count / last_evaluated_on."""
	table = frappe.qb.DocType(MEMBER)
	frappe.qb.from_(table).delete().where(
		(table.parent == segment) & (table.parenttype == constants.SEGMENT) & (table.parentfield == "members")
	).run()
	now, user = now_datetime(), frappe.session.user
	parent = (segment, constants.SEGMENT, "members")
	values = [
		(frappe.generate_hash(length=10), now, now, user, user, 0, idx, *parent, m["name"], m["company_name"])
		for idx, m in enumerate(members, start=1)
	]
	bulk.insert_rows(
		MEMBER,
		[*bulk.STANDARD, "parent", "parenttype", "parentfield", "customer", "company_name"],
		values,
	)
	frappe.db.set_value(
		constants.SEGMENT,
		segment,
		{"member_count": len(members), "last_evaluated_on": now},
		update_modified=False,
	)


def evaluate_segment(segment: str, rows: list[dict] | None = None) -> dict:
	"""Re-evaluate one dynamic segment (a static one only gets its member count refreshed)."""
	if not frappe.db.exists(constants.SEGMENT, segment):
		frappe.throw(_("{0} {1} not found").format(_(constants.SEGMENT), segment), CRMNotFoundError)
	seg_type, criteria = frappe.db.get_value(constants.SEGMENT, segment, ["segment_type", "criteria"])
	if seg_type != "Dynamic":
		table = frappe.qb.DocType(MEMBER)
		count = frappe.qb.from_(table).select(Count("*")).where(table.parent == segment).run()[0][0]
		frappe.db.set_value(constants.SEGMENT, segment, "member_count", count, update_modified=False)
		return {"segment": segment, "segment_type": seg_type, "member_count": count}
	try:
		members = matching_customers(criteria, rows if rows is not None else customer_rows())
	except ValueError as e:
		frappe.throw(_("Criteria (criteria): {0}").format(str(e)), CRMInputError)
	replace_members(segment, members)
	return {"segment": segment, "segment_type": seg_type, "member_count": len(members)}


def evaluate_all_segments() -> dict:
	"""Daily job: re-evaluate every dynamic segment against one set of customer rows."""
	names = frappe.get_all(constants.SEGMENT, filters={"segment_type": "Dynamic"}, pluck="name")
	rows = customer_rows() if names else []
	results = {}
	for name in names:
		try:
			results[name] = evaluate_segment(name, rows)["member_count"]
		except frappe.ValidationError:
			frappe.log_error(title=_("Segment {0} could not be evaluated").format(name))
	return {"segments": len(names), "member_counts": results}


def refresh_segment(segment: str) -> dict:
	"""Re-evaluate a segment the session user may write, now."""
	get_record(constants.SEGMENT, segment, "segment", ptype="write")
	return evaluate_segment(segment)


def get_segment_members(segment: str, start: int = 0, limit: int = 100) -> dict:
	"""Members of a segment the session user may read (customer, company name), paginated (at most 1,000
	a page), with the total count."""
	get_record(constants.SEGMENT, segment, "segment")
	start, limit = max(cint(start), 0), min(max(cint(limit), 1), 1000)
	members = frappe.get_all(
		MEMBER,
		filters={"parent": segment, "parenttype": constants.SEGMENT},
		fields=["customer", "company_name"],
		order_by="idx asc",
		start=start,
		limit=limit,
	)
	total = frappe.db.count(MEMBER, {"parent": segment, "parenttype": constants.SEGMENT})
	return {"segment": segment, "member_count": total, "members": members}
