# Copyright (c) 2026, crm_module contributors
# For license information, please see license.txt

"""Opportunity lifecycle: every save plans the stage move, so desk, API and imports behave alike.

The first placement on insert counts as a move with an empty `from_stage`: it writes the first CRM Deal
Stage row (0 days in the previous stage) and an "Opportunity Created" timeline entry.

Products (issue 20): with lines, each line's amount and the opportunity's value (their total) are computed
to the cent (crm_module/domain/opportunity_lines.py) before anything derived from the value (forecast
amount, and through it dashboard, reports and targets); without lines the typed value stands.
"""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import flt, getdate, now_datetime, nowdate

from crm_module import constants
from crm_module.access import index as access_index
from crm_module.domain.forecasting import days_in_pipeline, deal_category, forecast_amount
from crm_module.domain.opportunity_lines import Line, line_amount, lines_total
from crm_module.domain.pipeline import (
	LossReasonRequired,
	Stage,
	find_stage,
	first_open_stage,
	plan_stage_move,
)
from crm_module.exceptions import StageTransitionError
from crm_module.services.pipeline import get_default_pipeline, get_pipeline_stages
from crm_module.services.timeline import record_activity_timeline
from crm_module.utils import default_currency, domain_call, require_range, throw_input


class CRMOpportunity(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from crm_module.crm_module.doctype.crm_opportunity_line.crm_opportunity_line import (
			CRMOpportunityLine,
		)

		actual_close_date: DF.Date | None
		competitors: DF.SmallText | None
		contact: DF.Link | None
		currency: DF.Link | None
		customer: DF.Link
		customer_name: DF.Data | None
		days_in_pipeline: DF.Int
		description: DF.TextEditor | None
		erpnext_sales_doctype: DF.Literal["", "Quotation", "Sales Order"]
		erpnext_sales_document: DF.DynamicLink | None
		expected_close_date: DF.Date | None
		forecast_amount: DF.Currency
		forecast_category: DF.Literal["", "Pipeline", "Best Case", "Commit", "Closed"]
		forecast_category_override: DF.Literal["", "Pipeline", "Best Case", "Commit"]
		lead: DF.Link | None
		lines: DF.Table[CRMOpportunityLine]
		opportunity_name: DF.Data
		opportunity_owner: DF.Link | None
		opportunity_type: DF.Literal["", "New Business", "Upsell", "Cross-sell", "Renewal", "Other"]
		pipeline: DF.Link | None
		probability_is_manual: DF.Check
		probability_percent: DF.Percent
		source: DF.Literal[
			"", "Inbound", "Outbound", "Referral", "Website", "Partner", "Event", "Campaign", "Other"
		]
		stage: DF.Link
		stage_changed_on: DF.Datetime | None
		status: DF.Literal["Open", "Won", "Lost"]
		value: DF.Currency
		win_loss_reason: DF.SmallText | None
	# end: auto-generated types

	def before_validate(self):
		self.set_pipeline_and_stage()
		if not self.currency:
			self.currency = default_currency()

	def validate(self):
		self.apply_lines()
		if (self.value or 0) < 0:
			throw_input(_("Value (value) must not be negative, got {0}").format(self.value))
		require_range(self, "probability_percent", 0, 100)
		if not self.opportunity_owner:
			self.opportunity_owner = frappe.session.user
		self.apply_stage()
		self.update_derived_figures()

	def on_update(self):
		move = self.flags.pop("stage_move", None)
		if move:
			self.record_stage_move(move)

	def on_trash(self):
		"""The stage history and timeline entries of an opportunity go with it."""
		frappe.db.delete(constants.DEAL_STAGE, {"opportunity": self.name})
		entries = {"reference_doctype": self.doctype, "reference_name": self.name}
		access_index.forget(
			constants.TIMELINE, frappe.get_all(constants.TIMELINE, filters=entries, pluck="name")
		)
		frappe.db.delete(constants.TIMELINE, entries)

	# ------------------------------------------------------------------ product lines

	def apply_lines(self):
		"""Each line's product name, rate (new lines) and amount; the value is the lines' total."""
		if not self.lines:
			return
		before = self.get_doc_before_save()
		stored = {row.name for row in before.lines} if before else set()
		products = line_products(self.lines)
		for row in self.lines:
			if row.item_type not in LINE_ITEM_TYPES:
				throw_input(
					_("Row {0}: Item Type (item_type) must be one of {1}").format(
						row.idx, ", ".join(LINE_ITEM_TYPES)
					)
				)
			product = products.get((row.item_type, row.item)) if row.item else None
			if row.item and not product:
				throw_input(_("Row {0}: {1} {2} not found").format(row.idx, _(row.item_type), row.item))
			new = row.name not in stored
			row.currency = self.currency
			if product:
				if new and not product.active:
					throw_input(
						_("Row {0}: {1} {2} is not active").format(row.idx, _(row.item_type), row.item)
					)
				row.product_name = row.product_name or product.title
				if new and not row.rate and product.price and product.currency in (None, "", self.currency):
					row.rate = product.price
			if not row.product_name:
				throw_input(
					_("Row {0}: Product Name (product_name) or Item (item) is required").format(row.idx)
				)
			try:
				row.amount = float(line_amount(row.qty, row.rate, row.discount_percent))
			except ValueError as error:
				throw_input(_("Row {0}: {1}").format(row.idx, _(str(error))))
		self.value = float(lines_total(Line(row.qty, row.rate, row.discount_percent) for row in self.lines))

	# ------------------------------------------------------------------ pipeline and stage

	def set_pipeline_and_stage(self):
		"""Pipeline defaults to the stage's pipeline, else the default one; stage to its first open stage."""
		if not self.pipeline:
			stage_pipeline = self.stage and frappe.db.get_value(
				constants.PIPELINE_STAGE, self.stage, "pipeline"
			)
			self.pipeline = stage_pipeline or get_default_pipeline()
		if not self.stage and self.pipeline:
			stages = stage_objects(self.pipeline)
			if stages:
				self.stage = first_open_stage(stages).name

	def apply_stage(self):
		"""Plan the move to `stage` (also on saves without a move, to keep probability and status right)."""
		stages = stage_objects(self.pipeline)
		names = {s.name for s in stages}
		if self.stage not in names:
			frappe.throw(
				_("Stage (stage) {0} does not belong to pipeline (pipeline) {1}").format(
					frappe.bold(self.stage), frappe.bold(self.pipeline)
				),
				StageTransitionError,
			)
		before = self.get_doc_before_save()
		from_stage = None if self.is_new() or not before else before.stage
		target = find_stage(stages, self.stage)
		if self.is_new():
			explicit = bool(self.probability_is_manual) or bool(self.probability_percent)
		else:
			explicit = bool(self.probability_is_manual) or (
				flt(before.probability_percent) != flt(self.probability_percent)
			)
		last_moved = getdate(before.stage_changed_on or before.creation) if before else None
		try:
			move = plan_stage_move(
				stages,
				from_stage if from_stage in names else None,  # a pipeline switch plans from outside
				self.stage,
				self.probability_percent,
				explicit,
				self.win_loss_reason,
				getdate(nowdate()),
				last_moved,
			)
		except LossReasonRequired:
			frappe.throw(
				_("Win/Loss Reason (win_loss_reason) is required to close {0} as lost in stage {1}").format(
					frappe.bold(self.opportunity_name), frappe.bold(self.stage)
				),
				StageTransitionError,
			)
		except ValueError as error:
			throw_input(_(str(error)))
		self.probability_is_manual = 1 if explicit and move.status == "Open" else 0
		self.probability_percent = move.probability
		self.status = move.status
		if not (self.is_new() or from_stage != move.stage):
			return
		now = now_datetime()
		self.stage_changed_on = now
		if target.is_final:
			self.actual_close_date = (self.is_new() and self.actual_close_date) or move.actual_close_date
		else:
			self.actual_close_date = None
		if move.is_reopen:
			self.win_loss_reason = None
		self.flags.stage_move = frappe._dict(
			from_stage=from_stage,
			to_stage=move.stage,
			status=move.status,
			is_reopen=move.is_reopen,
			days_in_previous_stage=move.days_in_previous_stage,
			moved_on=now,
			notes=self.flags.get("stage_note") or (move.loss_reason if move.status == "Lost" else None),
			reason=(before.win_loss_reason if before and move.is_reopen else self.win_loss_reason),
		)

	def update_derived_figures(self):
		self.forecast_amount = domain_call(forecast_amount, self.value, self.probability_percent)
		stage = find_stage_row(self.pipeline, self.stage)
		self.forecast_category = domain_call(
			deal_category, self.status, stage.get("forecast_category"), self.forecast_category_override
		)
		self.days_in_pipeline = days_in_pipeline(
			self.creation or now_datetime(), self.actual_close_date, nowdate()
		)

	# ------------------------------------------------------------------ side effects of a move

	def record_stage_move(self, move: frappe._dict):
		"""Exactly one CRM Deal Stage row and one timeline entry per move (the first placement included)."""
		frappe.get_doc(
			{
				"doctype": constants.DEAL_STAGE,
				"opportunity": self.name,
				"from_stage": move.from_stage,
				"to_stage": move.to_stage,
				"is_reopen": 1 if move.is_reopen else 0,
				"moved_on": move.moved_on,
				"moved_by": frappe.session.user,
				"days_in_previous_stage": move.days_in_previous_stage,
				"notes": move.notes,
			}
		).insert(ignore_permissions=True)
		activity_type, title = self.timeline_entry_for(move)
		record_activity_timeline(
			customer=self.customer,
			lead=self.lead,
			activity_type=activity_type,
			title=title,
			description=move.notes,
			reference_doctype=self.doctype,
			reference_name=self.name,
			is_important=move.status != "Open" or move.is_reopen,
			metadata={
				"from_stage": move.from_stage,
				"to_stage": move.to_stage,
				"value": flt(self.value),
				"probability_percent": flt(self.probability_percent),
				"days_in_previous_stage": move.days_in_previous_stage,
				"reason": move.reason,
			},
			activity_date=move.moved_on,
		)

	def timeline_entry_for(self, move: frappe._dict) -> tuple[str, str]:
		name = self.opportunity_name
		if move.status == "Won":
			return "Opportunity Won", _("Opportunity won: {0}").format(name)
		if move.status == "Lost":
			return "Opportunity Lost", _("Opportunity lost: {0}").format(name)
		if move.is_reopen:
			return "Opportunity Reopened", _("Opportunity reopened: {0}").format(name)
		if move.from_stage is None:
			return "Opportunity Created", _("Opportunity created: {0}").format(name)
		return "Stage Change", _("{0} moved to {1}").format(name, move.to_stage)


LINE_ITEM_TYPES = (constants.CATALOG_PRODUCT, "Item")


def line_products(lines) -> dict[tuple[str, str], frappe._dict]:
	"""(item type, item) -> title, price, currency, active of the products the lines name: one query per
	item type (ERPNext Items: their name, no price; CRM Catalog Products: name, price, currency)."""
	wanted: dict[str, set[str]] = {}
	for row in lines:
		if row.item and row.item_type in LINE_ITEM_TYPES:
			wanted.setdefault(row.item_type, set()).add(row.item)
	found = {}
	for item_type, names in wanted.items():
		if item_type == "Item":
			if not frappe.db.exists("DocType", "Item"):
				continue
			rows = frappe.get_all(
				"Item",
				filters={"name": ("in", list(names))},
				fields=["name", "item_name as title", "disabled"],
			)
			for row in rows:
				found[(item_type, row.name)] = frappe._dict(
					title=row.title, price=0, currency=None, active=not row.disabled
				)
		else:
			rows = frappe.get_all(
				item_type,
				filters={"name": ("in", list(names))},
				fields=["name", "product_name as title", "price", "currency", "is_active"],
			)
			for row in rows:
				found[(item_type, row.name)] = frappe._dict(
					title=row.title, price=flt(row.price), currency=row.currency, active=bool(row.is_active)
				)
	return found


def find_stage_row(pipeline: str | None, stage: str | None) -> dict:
	"""The cached stage row of `stage` in `pipeline` ({} when unknown)."""
	return (
		next((row for row in get_pipeline_stages(pipeline) if row["name"] == stage), {}) if pipeline else {}
	)


def stage_objects(pipeline: str | None) -> list[Stage]:
	"""The pipeline's stages as domain objects (from the cached stage lookup)."""
	if not pipeline:
		return []
	return [
		Stage(
			name=row.name,
			order=int(row.stage_order),
			probability=flt(row.probability),
			is_final=bool(row.is_final),
			outcome=row.outcome or None,
		)
		for row in map(frappe._dict, get_pipeline_stages(pipeline))
	]


def on_doctype_update():
	frappe.db.add_index(constants.OPPORTUNITY, ["opportunity_owner", "stage"], "owner_stage_index")
	frappe.db.add_index(constants.OPPORTUNITY, ["status", "stage"], "status_stage_index")
	# the dashboard's top open deals: the highest values straight from the index
	frappe.db.add_index(constants.OPPORTUNITY, ["status", "value"], "status_value_index")
	# covering indexes: the open pipeline per stage, and the totals per status, read no table rows
	frappe.db.add_index(
		constants.OPPORTUNITY,
		["status", "stage", "currency", "value", "forecast_amount", "creation"],
		"open_stage_figures_index",
	)
	frappe.db.add_index(
		constants.OPPORTUNITY,
		["status", "currency", "creation", "value", "actual_close_date", "modified"],
		"status_figures_index",
	)
	# My Day and targets: the open deals closing in a month
	frappe.db.add_index(constants.OPPORTUNITY, ["status", "expected_close_date"], "status_close_date_index")
