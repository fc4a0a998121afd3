"""Frappe whitelisted methods that count, search, chart or tag without applying row rules.

Each override handles CRM doctypes itself (through `frappe.get_list`, which applies the rule table)
and hands every other doctype to Frappe's original, unchanged. Registered in
`hooks.override_whitelisted_methods`.
"""

import inspect

import frappe
from frappe import _
from frappe import client as frappe_client
from frappe.client import get_count as frappe_get_count
from frappe.client import validate_link as frappe_validate_link
from frappe.desk import like as frappe_like
from frappe.desk import search as frappe_search
from frappe.desk.doctype.dashboard_chart import dashboard_chart as frappe_chart
from frappe.desk.doctype.kanban_board import kanban_board as frappe_kanban
from frappe.desk.doctype.notification_log import notification_log as frappe_notification
from frappe.desk.doctype.number_card import number_card as frappe_card
from frappe.desk.doctype.tag import tag as frappe_tag
from frappe.desk.form import document_follow as frappe_follow
from frappe.desk.listview import get_group_by_count as frappe_group_by_count
from frappe.model import rename_doc as frappe_rename
from frappe.model.document import Document

from crm_module.access.records import can_reach
from crm_module.access.rules import CHILD_PARENTS, RULES
from crm_module.access.users import has_crm_role, is_unrestricted
from crm_module.constants import MODULE


def is_crm(doctype) -> bool:
	if not isinstance(doctype, str) or not doctype:
		return False
	return (
		doctype in RULES
		or doctype in CHILD_PARENTS
		or frappe.db.get_value("DocType", doctype, "module", cache=True) == MODULE
	)


# Frappe doctypes the ERPNext / Contact sync (issue 20) writes CRM customers and contacts into. Frappe
# answers link validation, link titles, a `get` by filters and charts of them without asking whether the
# caller may read them (existence oracles); for these doctypes the overrides answer only those who may.
SYNCED = ("Customer", "Contact")


def closed(doctype, docname=None) -> bool:
	"""A synced doctype (or one record of it) the session user may neither read nor select."""
	if doctype not in SYNCED:
		return False
	if not (frappe.has_permission(doctype, "select") or frappe.has_permission(doctype, "read")):
		return True
	if isinstance(docname, str) and docname and frappe.db.exists(doctype, docname):
		return not (
			frappe.has_permission(doctype, "select", docname)
			or frappe.has_permission(doctype, "read", docname)
		)
	return False


def reads_all(doctype) -> bool:
	"""True but for a synced doctype the session user may not read every record of (no role, or only
	the records they own): charts of it, whose heatmap counts every row, are refused to them."""
	if doctype not in SYNCED:
		return True
	from frappe.permissions import get_role_permissions

	perms = get_role_permissions(frappe.get_meta(doctype))
	return bool(perms.get("read")) and "read" not in (perms.get("if_owner") or {})


def _parse_filters(filters):
	filters = frappe.parse_json(filters) if isinstance(filters, str) else filters
	return filters or []


@frappe.whitelist()
def get_count(doctype: str, filters=None, debug=False, cache=False) -> int:
	"""`frappe.client.get_count` counts with no permission at all (for any doctype, so a `like` filter
	spells out notes, file names or tags character by character); count what the caller may list."""
	if not isinstance(doctype, str) or not frappe.db.exists("DocType", doctype):
		return frappe_get_count(doctype, filters, debug, cache)
	rows = frappe.get_list(
		doctype, filters=_parse_filters(filters), fields=["count(*) as count"], order_by=None
	)
	return rows[0].count if rows else 0


def has_row_rules(doctype) -> bool:
	"""Doctypes whose rows are filtered per user (CRM doctypes, File, ToDo, Notification Log...)."""
	return is_crm(doctype) or bool(frappe.get_hooks("permission_query_conditions", {}).get(doctype))


@frappe.whitelist()
def get_group_by_count(doctype: str, current_filters: str, field: str) -> list[dict]:
	"""The sidebar's "Assigned To" counts: only over records the caller sees."""
	if field != "assigned_to" or not is_crm(doctype) or is_unrestricted():
		return frappe_group_by_count(doctype, current_filters, field)
	names = frappe.get_list(
		doctype, filters=_parse_filters(current_filters), fields=["name"], order_by=None, run=False
	)
	return frappe.db.sql(
		f"""select `tabToDo`.`allocated_to` as name, count(*) as count
		from `tabToDo` join `tabUser` on `tabUser`.`name` = `tabToDo`.`allocated_to`
		where `tabToDo`.`status` != 'Cancelled' and `tabUser`.`user_type` = 'System User'
			and `tabToDo`.`reference_type` = %(doctype)s and `tabToDo`.`reference_name` in ({names})
		group by `tabToDo`.`allocated_to` order by count desc limit 50""",
		{"doctype": doctype},
		as_dict=True,
	)


@frappe.whitelist()
def search_widget(
	doctype: str,
	txt: str,
	query: str | None = None,
	searchfield: str | None = None,
	start: int = 0,
	page_length: int = 10,
	filters=None,
	filter_fields=None,
	as_dict: bool = False,
	reference_doctype: str | None = None,
	ignore_user_permissions: bool = False,
):
	"""`ignore_user_permissions` turns every permission off in Frappe's search (not just User
	Permissions); never for doctypes whose rows are filtered per user."""
	if has_row_rules(doctype):
		ignore_user_permissions = False
	return frappe_search.search_widget(
		doctype,
		txt,
		query,
		searchfield=searchfield,
		start=start,
		page_length=page_length,
		filters=filters,
		filter_fields=filter_fields,
		as_dict=as_dict,
		reference_doctype=reference_doctype,
		ignore_user_permissions=ignore_user_permissions,
	)


@frappe.whitelist()
def search_link(
	doctype: str,
	txt: str,
	query: str | None = None,
	filters=None,
	page_length: int = 10,
	searchfield: str | None = None,
	reference_doctype: str | None = None,
	ignore_user_permissions: bool = False,
):
	if has_row_rules(doctype):
		ignore_user_permissions = False
	return frappe_search.search_link(
		doctype,
		txt,
		query=query,
		filters=filters,
		page_length=page_length,
		searchfield=searchfield,
		reference_doctype=reference_doctype,
		ignore_user_permissions=ignore_user_permissions,
	)


@frappe.whitelist()
def validate_link(doctype: str, docname: str, fields=None):
	"""Link validation answers "does not exist" for CRM records the caller does not reach."""
	if isinstance(doctype, str) and doctype in RULES and isinstance(docname, str):
		if not can_reach(doctype, docname):
			return frappe._dict(name=None)
	if closed(doctype, docname):
		return frappe._dict(name=None)
	return frappe_validate_link(doctype, docname, fields)


# ---------------------------------------------------------------- charts and number cards from requests


def _require_fields(doctype: str, *fieldnames) -> None:
	"""Chart and card configs sent in a request name fields; for CRM doctypes they must be real ones."""
	meta = frappe.get_meta(doctype)
	for fieldname in fieldnames:
		if (
			fieldname
			and fieldname not in ("name", "creation", "modified", "owner")
			and not meta.has_field(fieldname)
		):
			frappe.throw(_("{0} is not a field of {1}").format(fieldname, _(doctype)), frappe.PermissionError)


@frappe.whitelist()
def chart_get(
	chart_name=None,
	chart=None,
	no_cache=None,
	filters=None,
	from_date=None,
	to_date=None,
	timespan=None,
	time_interval=None,
	heatmap_year=None,
	refresh=None,
):
	config = (
		frappe.get_doc("Dashboard Chart", chart_name)
		if chart_name
		else frappe._dict(frappe.parse_json(chart))
	)
	doctype = config.get("parent_document_type") or config.get("document_type")
	if not reads_all(config.get("document_type")) or not reads_all(doctype):
		# a heatmap counts with `get_all` (no permission at all)
		frappe.throw(_("You cannot chart {0}").format(_(config.get("document_type"))), frappe.PermissionError)
	if is_crm(config.get("document_type")) or is_crm(doctype):
		_require_fields(
			config.document_type,
			config.get("based_on"),
			config.get("value_based_on"),
			config.get("group_by_based_on"),
			config.get("aggregate_function_based_on"),
		)
		if config.get("type") == "Heatmap" and not is_unrestricted():
			frappe.throw(_("Heatmaps of CRM records are for CRM Managers"), frappe.PermissionError)
		# Frappe caches chart data per chart name for everybody; CRM figures differ per user
		chart = frappe.as_json(config.as_dict() if isinstance(config, Document) else dict(config))
		# the unwrapped function skips Frappe's request wrapper, which turns empty parameters into None
		# (an empty `to_date` would otherwise be an "Invalid Date")
		result = inspect.unwrap(frappe_chart.get)(
			chart=chart,
			filters=filters or None,
			from_date=from_date or None,
			to_date=to_date or None,
			timespan=timespan or None,
			time_interval=time_interval or None,
			heatmap_year=heatmap_year or None,
		)
		return titled_group_labels(config, result)
	return frappe_chart.get(
		chart_name=chart_name,
		chart=chart,
		no_cache=no_cache,
		filters=filters,
		from_date=from_date,
		to_date=to_date,
		timespan=timespan,
		time_interval=time_interval,
		heatmap_year=heatmap_year,
		refresh=refresh,
	)


def titled_group_labels(config, result):
	"""A Group By chart over a Link to a doctype shown by its title (CRM Pipeline Stage) labels its
	groups with the titles, "Proposal" instead of "Proposal - Default", as the desk shows such links;
	a title two groups share keeps their names, so no two groups read the same."""
	if not result or config.get("chart_type") != "Group By" or not result.get("labels"):
		return result
	field = frappe.get_meta(config.document_type).get_field(config.get("group_by_based_on"))
	if not field or field.fieldtype != "Link":
		return result
	meta = frappe.get_meta(field.options)
	if not (meta.show_title_field_in_link and meta.title_field):
		return result
	titles = dict(
		frappe.get_all(
			field.options,
			filters={"name": ("in", result["labels"])},
			fields=["name", meta.title_field],
			as_list=True,
		)
	)
	shown = [titles.get(name) or name for name in result["labels"]]
	result["labels"] = [
		title if shown.count(title) == 1 else name
		for name, title in zip(result["labels"], shown, strict=True)
	]
	return result


@frappe.whitelist()
def card_get_result(doc, filters, to_date=None):
	card = frappe.parse_json(doc)
	if is_crm(card.get("document_type")) or is_crm(card.get("parent_document_type")):
		_require_fields(card.document_type, card.get("aggregate_function_based_on"))
	return frappe_card.get_result(doc, filters, to_date)


# ---------------------------------------------------------------- desk tags (`_user_tags`)


def _check_tag_write(dt: str, names) -> None:
	if dt in RULES:
		for name in names:
			if not can_reach(dt, name, read=False):
				frappe.throw(_("You cannot tag {0} {1}").format(_(dt), name), frappe.PermissionError)


@frappe.whitelist()
def add_tag(tag, dt, dn, color=None):
	_check_tag_write(dt, [dn])
	return frappe_tag.add_tag(tag, dt, dn, color)


@frappe.whitelist()
def add_tags(tags, dt, docs, color=None):
	_check_tag_write(dt, frappe.parse_json(docs) or [])
	return frappe_tag.add_tags(tags, dt, docs, color)


@frappe.whitelist()
def remove_tag(tag, dt, dn):
	_check_tag_write(dt, [dn])
	return frappe_tag.remove_tag(tag, dt, dn)


@frappe.whitelist()
def get_tagged_docs(doctype, tag):
	if doctype not in RULES:
		return frappe_tag.get_tagged_docs(doctype, tag)
	return frappe.get_list(doctype, filters=[["_user_tags", "like", tag]], fields=["name"], as_list=True)


# ---------------------------------------------------------------- titles, likes, renames, notifications


@frappe.whitelist()
def get_link_title(doctype, docname):
	"""The title shown for a link: only for CRM records the caller reaches."""
	if doctype in RULES and not can_reach(doctype, docname):
		return None
	if doctype in CHILD_PARENTS and not is_unrestricted():
		return None  # child rows are never link targets
	if is_crm(doctype) and not has_crm_role():
		return None
	if closed(doctype, docname):
		return None
	return frappe_search.get_link_title(doctype, docname)


@frappe.whitelist()
def toggle_like(doctype, name, add=False):
	if doctype in CHILD_PARENTS:
		frappe.throw(_("Rows of {0} cannot be liked").format(_(doctype)), frappe.ValidationError)
	if doctype in RULES and not can_reach(doctype, name):
		frappe.throw(_("You cannot like {0} {1}").format(_(doctype), name), frappe.PermissionError)
	return frappe_like.toggle_like(doctype, name, add)


def _refuse_rename(doctype) -> None:
	if is_crm(doctype) and not is_unrestricted():
		frappe.throw(
			_("Only a CRM Manager can rename or merge {0} records").format(_(doctype)), frappe.PermissionError
		)


@frappe.whitelist()
def rename_doc(doctype: str, old_name: str, new_name: str, merge: bool = False):
	_refuse_rename(doctype)
	return frappe_client.rename_doc(doctype, old_name, new_name, merge)


@frappe.whitelist()
def update_document_title(**kwargs):
	_refuse_rename(kwargs.get("doctype"))
	accepted = inspect.signature(frappe_rename.update_document_title).parameters
	return frappe_rename.update_document_title(**{k: v for k, v in kwargs.items() if k in accepted})


@frappe.whitelist()
def mark_as_read(docname: str):
	"""Only the recipient marks a notification read."""
	if frappe.db.get_value("Notification Log", docname, "for_user") not in (frappe.session.user, None):
		frappe.throw(_("Not your notification"), frappe.PermissionError)
	return frappe_notification.mark_as_read(docname)


# ---------------------------------------------------------------- Kanban boards of CRM doctypes
# Frappe keeps each column's card order (record names) on the shared board and answers a move of a
# card you cannot see differently depending on its current column. For CRM boards, card moves go
# through the record's own permission check and no card order is stored.


def _crm_board(board_name: str):
	board = frappe.get_doc("Kanban Board", board_name)
	return board if board.reference_doctype in RULES else None


def _move_card(board, name: str, column: str) -> None:
	if not can_reach(board.reference_doctype, name, read=False):
		frappe.throw(_("You cannot move {0}").format(name), frappe.PermissionError)
	if frappe.db.get_value(board.reference_doctype, name, board.field_name) != column:
		frappe.set_value(board.reference_doctype, name, board.field_name, column)


@frappe.whitelist()
def kanban_update_order(board_name, order):
	board = _crm_board(board_name)
	if board is None:
		return frappe_kanban.update_order(board_name, order)
	updated = []
	for column, cards in (frappe.parse_json(order) or {}).items():
		for card in cards or []:
			_move_card(board, card, column)
			updated.append({"name": card, "column": column})
	return board, updated


@frappe.whitelist()
def kanban_update_order_for_single_card(board_name, docname, from_colname, to_colname, old_index, new_index):
	board = _crm_board(board_name)
	if board is None:
		return frappe_kanban.update_order_for_single_card(
			board_name, docname, from_colname, to_colname, old_index, new_index
		)
	_move_card(board, docname, to_colname)
	return board


@frappe.whitelist()
def kanban_add_card(board_name, docname, colname):
	board = _crm_board(board_name)
	if board is None:
		return frappe_kanban.add_card(board_name, docname, colname)
	if not can_reach(board.reference_doctype, docname):
		frappe.throw(_("You cannot see {0}").format(docname), frappe.PermissionError)
	return board


# ---------------------------------------------------------------- documents named by filters, follows


@frappe.whitelist()
def client_get(doctype: str, name=None, filters=None, parent=None):
	"""`frappe.client.get` by `filters` loads the first matching row *before* checking permission, so
	403-or-404 tells whether another rep's record matches (any field, one character at a time). For CRM
	doctypes the filters select among the rows the caller may list."""
	if filters and not name and (is_crm(doctype) or doctype in SYNCED):
		names = frappe.get_list(
			doctype,
			filters=_parse_filters(filters),
			pluck="name",
			limit=1,
			parent_doctype=parent,
			order_by=None,
		)
		if not names:
			frappe.throw(_("{0} not found").format(_(doctype)), frappe.DoesNotExistError)
		name, filters = names[0], None
	return frappe_client.get(doctype, name=name, filters=filters, parent=parent)


@frappe.whitelist()
def follow_document(doctype, doc_name, user):
	"""Following a document mails its changes; only to someone who reaches it."""
	if doctype in RULES and not (can_reach(doctype, doc_name) and can_reach(doctype, doc_name, user)):
		frappe.throw(_("You cannot follow {0} {1}").format(_(doctype), doc_name), frappe.PermissionError)
	return frappe_follow.follow_document(doctype, doc_name, user)
