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
from frappe.query_builder.functions import Count, Max
from frappe.utils import add_days, cint, getdate, today

from crm_module import constants
from crm_module.domain import lead_scoring
from crm_module.services import bulk
from crm_module.services.common import get_record, require_manager
from crm_module.services.insights.lead_inputs import lead_properties
from crm_module.services.insights.prediction import predict_leads, train_model
from crm_module.services.payload import require_object, snake, to_fields
from crm_module.services.settings import get_scoring_config
from crm_module.utils import labelled_call, throw_input

# what a request may give when it scores a lead by hand (camelCase keys are accepted too)
SCORE_KEYS = frozenset({*lead_scoring.SCORE_FIELDS, "total_score", "grade", "scoring_date"})


def lead_stats(names: list[str] | None, day: date) -> dict[str, dict]:
	"""{lead: stats for `lead_scoring.compute_lead_score`} from one interaction and one timeline query."""
	since90, since30, until = add_days(day, -90), add_days(day, -30), add_days(day, 1)
	inter = frappe.qb.DocType(constants.INTERACTION)
	timeline = frappe.qb.DocType(constants.TIMELINE)

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
		lead = stats.setdefault(row.lead, {"activities_30d": 0, "activities_90d": 0, "last": None})
		lead["activities_30d"] += int(row.n30 or 0)
		lead["activities_90d"] += int(row.n90)
		lead["last"] = max(filter(None, (lead["last"], row["last"])))
	for lead in stats.values():
		last = lead.pop("last")
		lead["days_since_last_activity"] = max(0, (day - getdate(last)).days) if last else None
	return stats


def compute_scores(leads: list[dict], stats: dict[str, dict], day: date) -> list[dict]:
	"""CRM Lead Score row values for each lead (pure computation); each distinct combination of inputs
	(`lead_scoring.input_key`) is scored once."""
	config = get_scoring_config()
	scored: dict[tuple, dict] = {}
	rows = []
	for lead in leads:
		lead_stats_ = stats.get(lead["name"], {})
		key = lead_scoring.input_key(lead, lead_stats_, config)
		values = scored.get(key)
		if values is None:
			result = lead_scoring.compute_lead_score(lead, lead_stats_, config)
			values = scored[key] = {
				"engagement_score": result.engagement,
				"fit_score": result.fit,
				"activity_score": result.activity,
				"total_score": result.total,
				"grade": result.grade,
				"factors": frappe.as_json(result.factors, indent=None),
			}
		rows.append({"lead": lead["name"], "scoring_date": day, **values})
	return rows


def explicit_score_values(scores: dict) -> dict:
	"""Explicit component scores (snake_case keys) as score row values; the rules are
	`domain.lead_scoring.explicit_scores`."""
	values = labelled_call(constants.LEAD_SCORE, lead_scoring.explicit_scores, scores, get_scoring_config())
	values["factors"] = frappe.as_json({"source": "explicit", "by": frappe.session.user}, indent=None)
	return values


def read_scores(scores: dict | str | None) -> tuple[dict, str | None]:
	"""The explicit scores of a request (an object or JSON text; camelCase or snake_case keys; empty means
	"compute them") and the ``scoringDate`` it may carry. Unknown keys are a 400 naming them."""
	if scores in (None, "") or (isinstance(scores, str) and not scores.strip()):
		return {}, None
	values = {}
	for key, value in require_object(scores, "scores").items():
		if snake(key) not in SCORE_KEYS:
			throw_input(_("scores.{0}: unknown score field").format(key))
		values[snake(key)] = value
	scoring_date = values.pop("scoring_date", None)
	if scoring_date is not None:
		scoring_date = to_fields(constants.LEAD_SCORE, {"scoring_date": scoring_date}, param="scores")[
			"scoring_date"
		]
	return values, scoring_date


def score_lead(
	lead: str,
	scores: dict | str | None = None,
	scoring_date: str | None = None,
	user: str | None = None,
	param: str = "lead",
) -> dict:
	"""Score one lead the acting `user` may write (`param` names the lead in messages): explicit `scores`
	(see `read_scores`) or computed ones when empty, for `scoring_date` (default: the date in the scores,
	else today). Rescoring the same day updates that day's row. Returns the stored row with the lead's new
	conversion probability."""
	get_record(constants.LEAD, lead, param, user, "write")
	explicit, date_in_scores = read_scores(scores)
	day = getdate(scoring_date or date_in_scores or today())
	if explicit:
		values = explicit_score_values(explicit)
	else:
		(values,) = compute_scores(lead_properties([lead]), lead_stats([lead], day), day)
	name = frappe.db.get_value(constants.LEAD_SCORE, {"lead": lead, "scoring_date": day})
	doc = frappe.get_doc(constants.LEAD_SCORE, name) if name else frappe.new_doc(constants.LEAD_SCORE)
	doc.update({**values, "lead": lead, "scoring_date": day})
	doc.save(ignore_permissions=True)
	predict_leads([lead])
	return {
		**{f: doc.get(f) for f in ("name", "lead", *lead_scoring.SCORE_FIELDS, "total_score", "grade")},
		"scoring_date": str(doc.scoring_date),
		"factors": frappe.parse_json(doc.factors),
		"conversion_probability": frappe.db.get_value(constants.LEAD, lead, "conversion_probability"),
	}


def get_score_history(lead: str, limit: int = 90, user: str | None = None) -> list[dict]:
	"""The score rows of a lead the acting `user` may read, oldest first (at most 366)."""
	get_record(constants.LEAD, lead, "lead", user)
	rows = frappe.get_all(
		constants.LEAD_SCORE,
		filters={"lead": lead},
		fields=["scoring_date", "total_score", "grade", *lead_scoring.SCORE_FIELDS],
		order_by="scoring_date desc",
		limit=min(cint(limit), 366),
	)
	return rows[::-1]


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
		bulk.replace_day_rows(constants.LEAD_SCORE, "lead", "scoring_date", day, rows, "CRM-LS-")
		latest = {
			row["lead"]: {"latest_score": row["total_score"], "latest_grade": row["grade"], "scored_on": day}
			for lead, row in zip(chunk, rows, strict=True)
			if not lead["scored_on"] or getdate(lead["scored_on"]) <= day
		}
		bulk.update_values(constants.LEAD, latest)
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
	result = score_leads()
	result["model"] = train_model()
	result["predicted"] = predict_leads()
	return result


def enqueue_bulk_scoring(names: list | str | None = None) -> dict:
	"""Managers: score the named leads (default: all active leads) in the background (long queue) with a
	progress bar for the caller."""
	require_manager()
	names = frappe.parse_json(names) if isinstance(names, str) and names else names
	if names is not None and not isinstance(names, list):
		throw_input(_("Leads (leads) must be a list of lead names"))
	job = frappe.enqueue(
		"crm_module.services.insights.scoring.score_leads",
		queue="long",
		timeout=3600,
		names=names or None,
		publish_progress=True,
		now=bool(frappe.flags.in_test),
	)
	return {"queued": True, "job_id": getattr(job, "id", None), "leads": len(names) if names else None}
