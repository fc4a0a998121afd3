"""One Kanban board of opportunities per pipeline, kept in step with the pipeline's stages.

The board of the install pipeline (``Default``) keeps its historical name "CRM Opportunities"; every other
pipeline's board is "CRM Opportunities: <pipeline>". A board shows its pipeline's opportunities only (its
`filters`), one column per stage in stage order (the column name is the stage's document name, the value
of the opportunity's `stage` link), and cards with the customer, value, probability and expected close
date (`fields`; the desk adds the currency and the owner's avatar, see crm_opportunity_list.js).

Boards follow their pipeline through doc events on CRM Pipeline and CRM Pipeline Stage (hooks.py): a
pipeline added gets a board, a pipeline deleted loses it, a stage added, renamed, reordered or deleted
adds, renames, moves or drops its column. A column keeps what a manager set on it (indicator, archived).
Card order is never stored on a board (the row rules decide who sees which card; see
crm_module/access/overrides.py), so columns carry no `order`.
"""

import json

import frappe
from frappe.model.rename_doc import rename_doc

from crm_module import constants

DEFAULT_BOARD = "CRM Opportunities"
BOARD_PREFIX = "CRM Opportunities: "
KANBAN_BOARD = "Kanban Board"
COLUMN_FIELD = "stage"
CARD_FIELDS = ("customer_name", "value", "probability_percent", "expected_close_date")
NAME_LENGTH = 140
OUTCOME_INDICATORS = {"Won": "Green", "Lost": "Red"}


def board_name(pipeline: str) -> str:
	"""The board of `pipeline`: "CRM Opportunities" for the install pipeline, else with its name."""
	if pipeline == constants.DEFAULT_PIPELINE:
		return DEFAULT_BOARD
	return f"{BOARD_PREFIX}{pipeline}"[:NAME_LENGTH]


def pipeline_filters(pipeline: str) -> str:
	return json.dumps([[constants.OPPORTUNITY, "pipeline", "=", pipeline]])


def app_boards() -> list[str]:
	"""Names of the boards this module made (one per pipeline, whether the pipeline still exists or not)."""
	return frappe.get_all(
		KANBAN_BOARD,
		filters={"reference_doctype": constants.OPPORTUNITY},
		or_filters=[["name", "=", DEFAULT_BOARD], ["name", "like", f"{BOARD_PREFIX}%"]],
		pluck="name",
	)


def stage_columns(pipeline: str) -> list[dict]:
	"""The pipeline's stages in order, as the board's columns (read afresh, not from the stage cache)."""
	stages = frappe.get_all(
		constants.PIPELINE_STAGE,
		filters={"pipeline": pipeline},
		fields=["name", "outcome"],
		order_by="stage_order asc, creation asc",
	)
	return [
		{"column_name": s.name, "indicator": OUTCOME_INDICATORS.get(s.outcome or "", "Gray")} for s in stages
	]


def sync_board(
	pipeline: str, reset_cards: bool = False, renamed: dict | None = None, reset_colours: bool = False
) -> str | None:
	"""Create or update the board of `pipeline` (delete it when the pipeline is gone); return its name.

	`reset_cards` puts the card fields and labels back to the module's (a new board always gets them);
	`renamed` maps old stage names to new ones so a renamed stage keeps its column's settings;
	`reset_colours` gives every column its stage's colour again (won green, lost red, others gray)."""
	name = board_name(pipeline)
	if not frappe.db.exists(constants.PIPELINE, pipeline):
		delete_board(name)
		return None
	renamed = renamed or {}
	if frappe.db.exists(KANBAN_BOARD, name):
		board = frappe.get_doc(KANBAN_BOARD, name)
	else:
		# inserted without columns: Kanban Board.before_insert would store every card's name in them
		board = frappe.get_doc(
			{
				"doctype": KANBAN_BOARD,
				"kanban_board_name": name,
				"reference_doctype": constants.OPPORTUNITY,
				"field_name": COLUMN_FIELD,
				"private": 0,
			}
		)
		board.insert(ignore_permissions=True)
		reset_cards = True
	before = board_state(board)
	board.reference_doctype = constants.OPPORTUNITY
	board.field_name = COLUMN_FIELD
	board.private = 0
	board.filters = pipeline_filters(pipeline)
	if reset_cards:
		board.fields = json.dumps(list(CARD_FIELDS))
		board.show_labels = 1
	kept = {renamed.get(col.column_name, col.column_name): col for col in board.columns}
	board.set("columns", [])
	for column in stage_columns(pipeline):
		existing = kept.get(column["column_name"])
		board.append(
			"columns",
			{
				"column_name": column["column_name"],
				"status": (existing and existing.status) or "Active",
				"indicator": (not reset_colours and existing and existing.indicator) or column["indicator"],
				"order": None,
			},
		)
	if board_state(board) != before:
		board.save(ignore_permissions=True)
	return name


def board_state(board) -> tuple:
	return (
		board.reference_doctype,
		board.field_name,
		board.private,
		board.filters,
		board.fields,
		board.show_labels,
		tuple((c.column_name, c.status, c.indicator, c.order or None) for c in board.columns),
	)


def delete_board(name: str) -> None:
	if frappe.db.exists(KANBAN_BOARD, name):
		frappe.delete_doc(KANBAN_BOARD, name, ignore_permissions=True, force=True)


def sync_all_boards(reset_cards: bool = False, reset_colours: bool = False) -> list[str]:
	"""A board for every pipeline, in step with its stages (install, migrate); boards of pipelines that no
	longer exist are removed."""
	pipelines = frappe.get_all(constants.PIPELINE, pluck="name", order_by="creation asc")
	names = [sync_board(p, reset_cards, reset_colours=reset_colours) for p in pipelines]
	for name in set(app_boards()) - set(names):
		delete_board(name)
	return names


def delete_all_boards() -> None:
	"""Uninstall: the boards this module made."""
	for name in app_boards():
		delete_board(name)


# ---------------------------------------------------------------- doc events (hooks.py)


def on_pipeline_change(doc, method=None) -> None:
	"""CRM Pipeline inserted or saved: its board exists and follows its stages."""
	sync_board(doc.name)


def on_pipeline_delete(doc, method=None) -> None:
	"""CRM Pipeline deleted (its stages went with it): its board goes too."""
	delete_board(board_name(doc.name))


def on_pipeline_rename(doc, method=None, old_name=None, new_name=None, merge=False) -> None:
	"""A renamed pipeline: the old board goes, the new one takes its columns' settings."""
	old = board_name(old_name) if old_name else None
	new = board_name(new_name or doc.name)
	if old and old != new and frappe.db.exists(KANBAN_BOARD, old) and not frappe.db.exists(KANBAN_BOARD, new):
		rename_doc(
			doctype=KANBAN_BOARD, old=old, new=new, force=True, ignore_permissions=True, show_alert=False
		)
		frappe.db.set_value(KANBAN_BOARD, new, "kanban_board_name", new, update_modified=False)
	elif old and old != new:
		delete_board(old)
	sync_board(new_name or doc.name)


def on_stage_change(doc, method=None) -> None:
	"""CRM Pipeline Stage inserted, saved (reordered, outcome changed) or deleted: its board follows."""
	if doc.pipeline:
		sync_board(doc.pipeline)
	before = doc.get_doc_before_save() if method == "on_update" else None
	if before and before.pipeline and before.pipeline != doc.pipeline:
		sync_board(before.pipeline)


def on_stage_rename(doc, method=None, old_name=None, new_name=None, merge=False) -> None:
	"""A renamed stage keeps its column (and what was set on it) under the new name."""
	if doc.pipeline:
		sync_board(doc.pipeline, renamed={old_name: new_name} if old_name and not merge else None)
