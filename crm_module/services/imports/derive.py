"""What the controllers of opportunities and internal notes check and derive with the database, for the
new rows of a file at once (`RULES[doctype](run, rows, matched)`; `engine.check_set` calls it last).

CRM Opportunity (`crm_opportunity.py`: `before_validate`, `validate`): the pipeline (the stage's, else the
default one) and its first open stage, the stage belonging to the pipeline, the first placement planned as
a move (`domain.pipeline.plan_stage_move`: probability, status, close date, a lost stage's required
reason), the currency, the customer's name (`fetch_from`), forecast amount and category, days in the
pipeline.

CRM Internal Note (`crm_internal_note.py`): a taggable reference document that exists, the customer it
belongs to, the title from the content, the mentions (picked users and @mentions of enabled users).

Matched rows (updates) of opportunities may not change what re-plans the deal (`PLANNED`): the engine
refuses those; a note's reference cannot change (`FIXED`).
"""

from frappe import _
from frappe.utils import flt, strip_html

from crm_module import constants
from crm_module.domain.forecasting import days_in_pipeline, deal_category, forecast_amount
from crm_module.domain.import_rows import Checked, empty
from crm_module.domain.pipeline import (
	LossReasonRequired,
	Stage,
	first_open_stage,
	plan_stage_move,
)
from crm_module.services.imports import checks
from crm_module.services.notes import parse_mentions
from crm_module.services.pipeline import get_all_stages, get_default_pipeline
from crm_module.utils import default_currency

# required fields the controller fills before Frappe checks what is mandatory: the rules here check them
FILLED = {constants.OPPORTUNITY: ("stage",)}
# fields an update may not change, per doctype (with the reason the row is refused)
PLANNED = ("stage", "pipeline", "probability_percent", "probability_is_manual", "value")
FIXED = {
	constants.OPPORTUNITY: (
		PLANNED,
		"{0} re-plans the deal: change it on the opportunity (one stage move at a time), not by import",
	),
	constants.NOTE: (("reference_doctype", "reference_name"), "{0}: a note stays on its document"),
}


# ------------------------------------------------------------------ opportunities


def stages_by_pipeline() -> dict[str, list[tuple[Stage, dict]]]:
	out: dict[str, list] = {}
	for row in get_all_stages():
		stage = Stage(
			name=row["name"],
			order=int(row["stage_order"]),
			probability=flt(row["probability"]),
			is_final=bool(row["is_final"]),
			outcome=row["outcome"] or None,
		)
		out.setdefault(row["pipeline"], []).append((stage, row))
	return out


def opportunity_rules(run, rows: list[Checked], matched: dict) -> None:
	"""`before_validate` and `validate` of CRM Opportunity for the new rows (see the module docstring)."""
	rows = [r for r in rows if r.ok]
	if not rows:
		return
	pipelines = stages_by_pipeline()
	pipeline_of = {stage.name: pipeline for pipeline, stages in pipelines.items() for stage, _ in stages}
	default_pipeline = get_default_pipeline()
	currency = default_currency()
	today = run.now.date()
	customers = {r.values["customer"] for r in rows if r.values.get("customer")}
	sql = f"select `name`, `company_name` from `tab{constants.CUSTOMER}` where `name` in {{values}}"
	names = dict(checks.lookup(sql, customers)) if customers else {}
	for row in rows:
		values = row.values
		if not values.get("pipeline"):
			values["pipeline"] = pipeline_of.get(values.get("stage")) or default_pipeline
		stages = pipelines.get(values["pipeline"], [])
		if not values.get("stage") and stages:
			values["stage"] = first_open_stage([s for s, _ in stages]).name
		by_name = {stage.name: (stage, stage_row) for stage, stage_row in stages}
		if not values.get("stage"):
			row.refuse("stage", "Stage (stage) is required: the pipeline has no open stage")
			continue
		if values.get("stage") not in by_name:
			row.refuse(
				"stage",
				f"Stage (stage) {values.get('stage')} does not belong to pipeline (pipeline) {values['pipeline']}",
			)
			continue
		explicit = bool(values.get("probability_is_manual")) or bool(values.get("probability_percent"))
		try:
			move = plan_stage_move(
				[s for s, _ in stages],
				None,
				values["stage"],
				values.get("probability_percent"),
				explicit,
				values.get("win_loss_reason"),
				today,
				None,
			)
		except LossReasonRequired:
			row.refuse(
				"win_loss_reason",
				f"Win/Loss Reason (win_loss_reason) is required to close {values.get('opportunity_name')}"
				f" as lost in stage {values['stage']}",
			)
			continue
		except ValueError as error:
			row.refuse("stage", str(error))
			continue
		stage, stage_row = by_name[values["stage"]]
		values["currency"] = values.get("currency") or currency
		values["customer_name"] = names.get(values.get("customer"))
		values["probability_is_manual"] = 1 if explicit and move.status == "Open" else 0
		values["probability_percent"] = move.probability
		values["status"] = move.status
		values["stage_changed_on"] = run.now
		values["actual_close_date"] = (
			(values.get("actual_close_date") or move.actual_close_date) if stage.is_final else None
		)
		values["forecast_amount"] = forecast_amount(values.get("value") or 0, move.probability)
		values["forecast_category"] = deal_category(
			move.status, stage_row.get("forecast_category"), values.get("forecast_category_override")
		)
		values["days_in_pipeline"] = days_in_pipeline(run.now, values["actual_close_date"], today)
		if not values.get("opportunity_owner"):
			values["opportunity_owner"] = run.user


# ------------------------------------------------------------------ internal notes


def note_rules(run, rows: list[Checked], matched: dict) -> None:
	"""`validate` of CRM Internal Note for the new rows (see the module docstring)."""
	rows = [r for r in rows if r.ok]
	wanted: dict[str, set[str]] = {}
	for row in rows:
		doctype = row.values.get("reference_doctype")
		if doctype not in constants.TAGGABLE_DOCTYPES:
			allowed = ", ".join(constants.TAGGABLE_DOCTYPES)
			row.refuse(
				"reference_doctype",
				f"Reference Document Type (reference_doctype) must be one of {allowed}, got {doctype}",
			)
			continue
		wanted.setdefault(doctype, set()).add(row.values.get("reference_name"))
	found: dict[tuple[str, str], tuple] = {}  # (doctype, lower-cased name) -> (stored name, its customer)
	for doctype, names in wanted.items():
		field = "converted_customer" if doctype == constants.LEAD else "customer"
		customer = "`name`" if doctype == constants.CUSTOMER else f"`{field}`"
		sql = f"select `name`, {customer} from `tab{doctype}` where `name` in {{values}}"
		for name, owner in checks.lookup(sql, {n for n in names if n}):
			found[(doctype, str(name).lower())] = (name, owner)
	candidates = set()
	for row in rows:
		if not row.ok:
			continue
		values = row.values
		stored = found.get((values["reference_doctype"], str(values.get("reference_name")).lower()))
		if stored is None:
			row.refuse(
				"reference_name",
				f"Reference Name (reference_name): {values['reference_doctype']} {values.get('reference_name')} not found",
			)
			continue
		values["reference_name"], values["customer"] = stored
		if empty(values.get("title")):
			text = " ".join(strip_html(values.get("content") or "").split())
			values["title"] = (text[:77] + "...") if len(text) > 80 else text or _("Note")
		picked = [child.get("user") for child in values.get("mentions") or [] if child.get("user")]
		values["mentions"] = list(dict.fromkeys(picked + parse_mentions(values.get("content"))))
		candidates.update(values["mentions"])
	enabled = set()
	if candidates:
		sql = "select `name` from `tabUser` where `enabled` = 1 and `name` in {values}"
		enabled = {name for (name,) in checks.lookup(sql, candidates)}
	for row in rows:
		if row.ok:
			row.values["mentions"] = [{"user": u} for u in row.values["mentions"] if u in enabled]


def fixed_fields_changed(doctype: str, changes: dict[str, dict]) -> dict[str, str]:
	"""{record: reason} of the matched records whose changes touch what an update may not change."""
	if doctype not in FIXED:
		return {}
	fields, template = FIXED[doctype]
	out = {}
	for name, changed in changes.items():
		touched = [f for f in fields if f in changed]
		if touched:
			out[name] = (touched[0], template.format(touched[0]))
	return out


RULES = {constants.OPPORTUNITY: opportunity_rules, constants.NOTE: note_rules}
