"""Small helpers shared by controllers, services and the API."""

from collections.abc import Callable
from typing import Any, TypeVar

import frappe
from frappe import _

from crm_module.exceptions import CRMInputError

T = TypeVar("T")


def throw_input(message: str, title: str | None = None) -> None:
	frappe.throw(message, CRMInputError, title=title or _("Invalid Value"))


def domain_call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
	"""Call framework-free domain code; its ValueError (which names the field) becomes a 400."""
	try:
		return fn(*args, **kwargs)
	except ValueError as e:
		throw_input(_(str(e)))
		raise  # unreachable, keeps type checkers calm


def labelled_call(doctype: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
	"""`domain_call` for rules about one doctype's fields: a message that starts with a field name of
	`doctype` says "Label (fieldname) ..." the way the desk shows the field."""
	try:
		return fn(*args, **kwargs)
	except ValueError as e:
		message = str(e)
		fieldname, _sep, rest = message.partition(" ")
		field = frappe.get_meta(doctype).get_field(fieldname)
		if field:
			message = f"{_(field.label)} ({fieldname}) {rest}"
		throw_input(_(message))
		raise  # unreachable, keeps type checkers calm


def require_range(doc, fieldname: str, low: float, high: float, allow_empty: bool = True) -> None:
	"""Reject a numeric field outside [low, high] with a message naming the field."""
	value = doc.get(fieldname)
	if value in (None, "") and allow_empty:
		return
	if value is None or not (low <= float(value) <= high):
		label = _(doc.meta.get_label(fieldname)) if doc.meta.get_field(fieldname) else fieldname
		throw_input(
			_("{0} ({1}) must be between {2} and {3}, got {4}").format(label, fieldname, low, high, value)
		)


def add_index(doctype: str, fields: list[str], index_name: str | None = None, unique: bool = False) -> None:
	"""Composite index helper for `on_doctype_update` (idempotent)."""
	if unique:
		frappe.db.add_unique(doctype, fields, constraint_name=index_name)
	else:
		frappe.db.add_index(doctype, fields, index_name=index_name)


def default_currency() -> str:
	"""The site's currency: the global default (set by the setup wizard / ERPNext), else USD."""
	return frappe.db.get_default("currency") or "USD"
