"""Dashboard figures cached per user and window, dropped by every write that can change a figure.

The cache key carries a *generation* that any write to what the figures read (document hooks on
`FIGURE_SOURCES`, pipeline stages, ToDos that point at those records) and every bulk job replaces, right away and again
after the transaction commits (so a reader that computed figures from the old data between the two
cannot keep them). A warm read is one Redis GET; nothing is served after a change. The expiry only
bounds memory: correctness never depends on it. Figures computed on a read replica that has not yet
applied everything the primary committed are returned but not stored (`crm_module.replica`).
"""

import frappe

from crm_module import constants, replica
from crm_module.services.imports.context import data_import_of

GENERATION_KEY = "crm_module:metrics_generation"
EXPIRES_IN = 24 * 3600


def generation() -> str:
	value = frappe.cache.get_value(GENERATION_KEY)
	if not value:
		value = frappe.generate_hash(length=8)
		frappe.cache.set_value(GENERATION_KEY, value)
	return value


def cached(name: str, user: str, compute, *args):
	"""`compute(*args)` for `user`, from the cache when nothing changed since it was stored."""
	key = f"crm_module:{name}:{generation()}:{user}:{':'.join(str(a) for a in args)}"
	value = frappe.cache.get_value(key, expires=True)  # expires=True: no per-request memo of a miss
	if value is None:
		# on a read replica that lags behind the primary the figures may predate the write that started this
		# generation: return them, never store them under it
		fresh = replica.may_cache()
		value = compute(*args)
		if fresh:
			frappe.cache.set_value(key, value, expires_in_sec=EXPIRES_IN)
	return value


def invalidate(*args, **_kwargs) -> None:
	"""Start a new generation now and again after commit (document hook and job helper)."""
	if args and data_import_of(args[0]):
		return  # a Data Import invalidates once when it has finished (services/imports/followup.py)
	_new_generation()
	if getattr(frappe.db, "after_commit", None) is not None:
		frappe.db.after_commit.add(_new_generation)


# the doctypes the cached figures are computed from (`crm_module.services.reporting.metrics`); their writes
# invalidate (hooks.py), and so do assignments on them, which change who sees what
FIGURE_SOURCES = (constants.CUSTOMER, constants.LEAD, constants.OPPORTUNITY, constants.INTERACTION)


def invalidate_for_todo(todo, method: str | None = None) -> None:
	"""Assignments change who sees what: a ToDo on a record the figures read invalidates too."""
	before = todo.get_doc_before_save() if method != "on_trash" else None
	if todo.reference_type in FIGURE_SOURCES or (before and before.reference_type in FIGURE_SOURCES):
		invalidate()


def _new_generation() -> None:
	frappe.cache.set_value(GENERATION_KEY, frappe.generate_hash(length=8))
