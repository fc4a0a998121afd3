"""Lead scoring: gather inputs set-based, score with `crm_module.domain.lead_scoring`, store CRM Lead Score rows.

Inputs per lead, each from ONE grouped query for all leads asked for (chunked IN lists for explicit names):
- lead properties (fit rules, prediction): `CRM Sales Lead`;
- engagement: interactions linked to the lead dated within the last 90 days (day - 90 .. end of day):
  count, meetings, sentiment counts;
- activity: those interactions plus non-"Interaction" timeline entries of the lead: counts within 30 and
  90 days and the most recent date (days since last activity; none -> recency 0).
"""

from datetime import date

import frappe
from frappe import _
from frappe.query_builder import Case
from frappe.query_builder.functions import Count, Max, Sum
from frappe.utils import add_days, getdate, today

from crm_module import constants as c
from crm_module.crm_module.doctype.crm_module_settings.crm_module_settings import get_scoring_config
from crm_module.domain import lead_scoring
from crm_module.exceptions import CRMNotFoundError
from crm_module.services import bulk
from crm_module.utils import throw_input

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
CLOSED_STATUSES = ("Converted", "Lost", "Unqualified")
COMPONENT_FIELDS = {"engagement": "engagement_score", "fit": "fit_score", "activity": "activity_score"}
# the seed's API spells the explicit scores in camelCase
ALIASES = {
	"engagementScore": "engagement_score",
	"fitScore": "fit_score",
	"activityScore": "activity_score",
	"totalScore": "total_score",
	"scoringDate": "scoring_date",
}


def lead_properties(names: list[str] | None, open_only: bool = False) -> list[dict]:
	lead = frappe.qb.DocType(c.LEAD)

	def query(chunk):
		q = frappe.qb.from_(lead).select(*(lead[f] for f in LEAD_FIELDS))
		if chunk is not None:
			q = q.where(lead.name.isin(chunk))
		if open_only:
			q = q.where(lead.status.notin(CLOSED_STATUSES))
		return q

	rows = bulk.run_chunked(query, names)
	for row in rows:
		row["email"] = row["email_id"]  # the domain derives email_domain / email_type from "email"
	return rows


def lead_stats(names: list[str] | None, day: date) -> dict[str, dict]:
	"""{lead: stats for `lead_scoring.score_lead`} from one interaction and one timeline query."""
	since90, since30, until = add_days(day, -90), add_days(day, -30), add_days(day, 1)
	inter = frappe.qb.DocType(c.INTERACTION)
	timeline = frappe.qb.DocType(c.TIMELINE)

	def interactions(chunk):
		q = (
			frappe.qb.from_(inter)
			.select(
				inter.lead.as_("lead"),
				Count("*").as_("n90"),
				bulk.count_if(inter.interaction_date >= since30).as_("n30"),
				bulk.count_if(inter.interaction_type == "Meeting").as_("meetings"),
				bulk.count_if(inter.sentiment == "Positive").as_("positive"),
				bulk.count_if(inter.sentiment == "Neutral").as_("neutral"),
				bulk.count_if(inter.sentiment == "Negative").as_("negative"),
				Max(inter.interaction_date).as_("last"),
			)
			.where(
				inter.lead.isnotnull()
				& (inter.interaction_date >= since90)
				& (inter.interaction_date < until)
			)
			.groupby(inter.lead)
		)
		return q.where(inter.lead.isin(chunk)) if chunk is not None else q

	def activities(chunk):
		q = (
			frappe.qb.from_(timeline)
			.select(
				timeline.lead.as_("lead"),
				Count("*").as_("n90"),
				bulk.count_if(timeline.activity_date >= since30).as_("n30"),
				Max(timeline.activity_date).as_("last"),
			)
			.where(
				timeline.lead.isnotnull()
				& (timeline.activity_type != "Interaction")
				& (timeline.activity_date >= since90)
				& (timeline.activity_date < until)
			)
			.groupby(timeline.lead)
		)
		return q.where(timeline.lead.isin(chunk)) if chunk is not None else q

	stats: dict[str, dict] = {}
	for row in bulk.run_chunked(interactions, names):
		stats[row.lead] = {
			"interactions_90d": int(row.n90),
			"meetings_90d": int(row.meetings or 0),
			"positive": int(row.positive or 0),
			"neutral": int(row.neutral or 0),
			"negative": int(row.negative or 0),
			"activities_30d": int(row.n30 or 0),
			"activities_90d": int(row.n90),
			"last": row["last"],
		}
	for row in bulk.run_chunked(activities, names):
		s = stats.setdefault(row.lead, {"activities_30d": 0, "activities_90d": 0, "last": None})
		s["activities_30d"] += int(row.n30 or 0)
		s["activities_90d"] += int(row.n90)
		s["last"] = max(filter(None, (s["last"], row["last"])))
	for s in stats.values():
		last = s.pop("last")
		s["days_since_last_activity"] = max(0, (day - getdate(last)).days) if last else None
	return stats


def compute_scores(leads: list[dict], stats: dict[str, dict], day: date) -> list[dict]:
	"""CRM Lead Score row values for each lead (pure computation)."""
	config = get_scoring_config()
	rows = []
	for lead in leads:
		result = lead_scoring.score_lead(lead, stats.get(lead["name"], {}), config)
		rows.append(
			{
				"lead": lead["name"],
				"scoring_date": day,
				"engagement_score": result.engagement,
				"fit_score": result.fit,
				"activity_score": result.activity,
				"total_score": result.total,
				"grade": result.grade,
				"factors": frappe.as_json(result.factors, indent=None),
			}
		)
	return rows


def validate_explicit_scores(scores: dict) -> dict:
	"""Check explicit component scores (each 0-100; total and grade, when given, consistent)."""
	if not isinstance(scores, dict):
		throw_input(_("Scores (scores) must be an object"))
	scores = {ALIASES.get(k, k): v for k, v in scores.items()}
	config = get_scoring_config()
	values = {}
	for name, field in COMPONENT_FIELDS.items():
		label = _(frappe.get_meta(c.LEAD_SCORE).get_label(field))
		value = scores.get(field)
		if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 100:
			throw_input(
				_("{0} ({1}) must be a number between 0 and 100, got {2}").format(label, field, value)
			)
		values[name] = lead_scoring.validate_component(field, value)
	total = lead_scoring.total_score(values["engagement"], values["fit"], values["activity"], config.weights)
	given_total = scores.get("total_score")
	if given_total is not None and given_total != total:
		throw_input(
			_("Total Score (total_score) {0} does not match the components: expected {1}").format(
				given_total, total
			)
		)
	grade = lead_scoring.grade_for(total, config.thresholds)
	given_grade = scores.get("grade")
	if given_grade is not None and given_grade != grade:
		if given_grade not in lead_scoring.GRADES:
			throw_input(_("Grade (grade) must be one of A, B, C, D, got {0}").format(given_grade))
		throw_input(
			_("Grade (grade) {0} does not match the total score {1}: expected {2}").format(
				given_grade, total, grade
			)
		)
	return {
		"engagement_score": values["engagement"],
		"fit_score": values["fit"],
		"activity_score": values["activity"],
		"total_score": total,
		"grade": grade,
		"factors": frappe.as_json({"source": "explicit", "by": frappe.session.user}, indent=None),
	}


def score_lead(lead: str, scores: dict | None = None, scoring_date: str | None = None) -> dict:
	"""Score one lead for `scoring_date` (default today) with explicit `scores` or computed ones; rescoring
	the same day updates that day's row. Returns the stored row."""
	if not frappe.db.exists(c.LEAD, lead):
		frappe.throw(_("{0} {1} not found").format(_(c.LEAD), lead), CRMNotFoundError)
	if scores and "scoringDate" in scores and not scoring_date:
		scoring_date = scores["scoringDate"]
	day = getdate(scoring_date or today())
	if scores:
		values = validate_explicit_scores(scores)
	else:
		(values,) = compute_scores(lead_properties([lead]), lead_stats([lead], day), day)
	name = frappe.db.get_value(c.LEAD_SCORE, {"lead": lead, "scoring_date": day})
	doc = frappe.get_doc(c.LEAD_SCORE, name) if name else frappe.new_doc(c.LEAD_SCORE)
	doc.update({**values, "lead": lead, "scoring_date": day})
	doc.save(ignore_permissions=True)
	from crm_module.services.prediction import predict_leads

	predict_leads([lead])
	return {
		**{f: doc.get(f) for f in ("name", "lead", *COMPONENT_FIELDS.values(), "total_score", "grade")},
		"scoring_date": str(doc.scoring_date),
		"factors": frappe.parse_json(doc.factors),
		"conversion_probability": frappe.db.get_value(c.LEAD, lead, "conversion_probability"),
	}


def score_leads(
	names: list[str] | None = None, scoring_date: str | None = None, publish_progress: bool = False
) -> dict:
	"""Score many leads set-based (all open leads when `names` is None) and store one row per lead."""
	day = getdate(scoring_date or today())
	leads = lead_properties(names, open_only=names is None)
	stats = lead_stats(names, day)
	done = 0
	for chunk in bulk.chunks(leads, 5000):
		rows = compute_scores(list(chunk), stats, day)
		bulk.replace_day_rows(c.LEAD_SCORE, "lead", "scoring_date", day, rows, "CRM-LS-")
		latest = {
			row["lead"]: {"latest_score": row["total_score"], "latest_grade": row["grade"], "scored_on": day}
			for lead, row in zip(chunk, rows, strict=True)
			if not lead["scored_on"] or getdate(lead["scored_on"]) <= day
		}
		bulk.update_values(c.LEAD, latest)
		done += len(chunk)
		if publish_progress:
			frappe.publish_progress(
				done * 100 / len(leads),
				title=_("Scoring leads"),
				description=_("{0} of {1}").format(done, len(leads)),
			)
	return {"scored": len(leads), "scoring_date": str(day)}


def score_all_leads() -> dict:
	"""Daily job: score every open lead, retrain the conversion model and refresh predictions."""
	from crm_module.services.prediction import predict_leads, train_model

	result = score_leads()
	result["model"] = train_model()
	result["predicted"] = predict_leads()
	return result


def enqueue_bulk_scoring(names: list[str] | None = None) -> dict:
	"""Score leads in the background (long queue) with a progress bar for the caller."""
	job = frappe.enqueue(
		"crm_module.services.scoring.score_leads",
		queue="long",
		timeout=3600,
		names=names,
		publish_progress=True,
		now=bool(frappe.flags.in_test),
	)
	return {"queued": True, "job_id": getattr(job, "id", None), "leads": len(names) if names else None}
