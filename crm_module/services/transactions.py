"""Savepoints, and the database errors that no savepoint can undo.

`with savepoint("name"):` runs a block inside a savepoint of the request's transaction: released when the
block succeeds, rolled back to when it raises, and the error always goes on to the caller. A caller that
wants to carry on after a failure catches it outside the block, and lets `fatal_db_error` errors through:
after a deadlock MariaDB has already rolled back the whole transaction (the savepoint is gone with it),
after a lost connection nothing can be rolled back, and a lock wait that timed out means the work has to
be retried as a whole. Those reach the request (or job), which rolls everything back.
"""

import itertools
from collections.abc import Iterator
from contextlib import contextmanager

import frappe

# MariaDB / client codes after which the connection is gone: server shutdown, connection killed, server
# gone away, lost connection during a query, disconnected for inactivity
LOST_CONNECTION = frozenset({1053, 1927, 2006, 2013, 4031})

_numbers = itertools.count(1)


def fatal_db_error(error: BaseException | None) -> bool:
	"""True for a database error that leaves nothing to roll back to or must be retried as a whole:
	deadlock, lock wait timeout, lost connection (looked for in the error and what caused it)."""
	seen = set()
	while error is not None and id(error) not in seen:
		seen.add(id(error))
		if isinstance(error, frappe.QueryDeadlockError | frappe.QueryTimeoutError):
			return True
		if _is_driver_error(error):
			return True
		error = error.__cause__ or error.__context__
	return False


def _is_driver_error(error: BaseException) -> bool:
	db = getattr(frappe.local, "db", None)
	if db is None:
		return False
	try:
		if db.is_interface_error(error):
			return True
		if not isinstance(error, db.OperationalError):
			return False
		return bool(db.is_deadlocked(error) or db.is_timedout(error) or error.args[0] in LOST_CONNECTION)
	except (AttributeError, IndexError, TypeError):
		return False


# ER_SP_DOES_NOT_EXIST: the savepoint is gone, because something inside the block committed (ERPNext
# commits inside some saves, e.g. a Contact with a phone number) and a commit ends every savepoint
SAVEPOINT_GONE = 1305


@contextmanager
def savepoint(name: str, discard: bool = False) -> Iterator[None]:
	"""Run the block inside a savepoint called `name` (made unique, so blocks may nest): rolled back to
	when the block raises (unless the database can no longer do it, see `fatal_db_error`), then the error
	is raised again; released when it succeeds, or rolled back to all the same with `discard` (a dry
	run). A savepoint that a commit inside the block has already ended is no error of its own: the
	block's error goes on and a success stays one; but a dry run whose savepoint is gone has written
	for real, and says so (the database's error)."""
	point = f"{name}_{next(_numbers)}"
	frappe.db.savepoint(point)
	try:
		yield
	except BaseException as error:
		if not fatal_db_error(error):
			_end(point, rollback=True)
		raise
	if discard:
		frappe.db.rollback(save_point=point)
	else:
		_end(point, rollback=False)


def _end(point: str, rollback: bool) -> None:
	try:
		if rollback:
			frappe.db.rollback(save_point=point)
		else:
			frappe.db.release_savepoint(point)
	except Exception as error:
		if not _savepoint_gone(error):
			raise


def _savepoint_gone(error: BaseException) -> bool:
	args = getattr(error, "args", ())
	return bool(args) and args[0] == SAVEPOINT_GONE
