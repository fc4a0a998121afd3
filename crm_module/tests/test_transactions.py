"""The one savepoint helper (crm_module/services/transactions.py): a failed block leaves nothing and its
error goes on; a successful block stays; a dry run is rolled back; blocks nest; and errors after which
the database has nothing to roll back to (deadlock, lost connection) are recognised and never rolled
back to a savepoint, nor swallowed by the callers that carry on after other failures."""

from unittest.mock import patch

import frappe
import pymysql

from crm_module import constants
from crm_module.services.transactions import fatal_db_error, savepoint
from crm_module.tests.compat import IntegrationTestCase

TAG = frappe.generate_hash(length=6)


def make_tag(name: str) -> None:
	frappe.get_doc({"doctype": constants.TAG, "tag_name": f"{name} {TAG}"}).insert(ignore_permissions=True)


def tag_exists(name: str) -> bool:
	return bool(frappe.db.exists(constants.TAG, f"{name} {TAG}"))


class TestSavepoint(IntegrationTestCase):
	def test_a_failed_block_is_rolled_back_and_its_error_goes_on(self):
		make_tag("Before")
		with self.assertRaises(ValueError), savepoint("crm_test"):
			make_tag("Inside")
			raise ValueError("refused")
		self.assertFalse(tag_exists("Inside"))
		self.assertTrue(tag_exists("Before"))  # only the block is undone

	def test_a_successful_block_stays_and_a_discarded_one_does_not(self):
		with savepoint("crm_test"):
			make_tag("Kept")
		with savepoint("crm_test", discard=True):
			make_tag("Dry")
		self.assertEqual((tag_exists("Kept"), tag_exists("Dry")), (True, False))

	def test_blocks_of_the_same_name_nest(self):
		with savepoint("crm_test"):
			make_tag("Outer")
			with self.assertRaises(KeyError), savepoint("crm_test"):
				make_tag("Inner")
				raise KeyError("inner")
			with savepoint("crm_test"):
				make_tag("Second")
		self.assertEqual([tag_exists(name) for name in ("Outer", "Inner", "Second")], [True, False, True])

	def test_a_savepoint_ended_inside_the_block_is_no_error_of_its_own(self):
		"""A commit inside the block (ERPNext commits in some saves) ends every savepoint; rolling back
		to an older savepoint does the same to the newer ones, without committing the test's data."""
		frappe.db.savepoint("crm_test_older")  # only to end the helper's savepoint from inside
		with savepoint("crm_test"):
			make_tag("Ended")
			frappe.db.rollback(save_point="crm_test_older")
		with self.assertRaises(ValueError), savepoint("crm_test"):
			frappe.db.rollback(save_point="crm_test_older")
			raise ValueError("the block's own error goes on")
		with self.assertRaises(Exception) as caught, savepoint("crm_test", discard=True):
			frappe.db.rollback(save_point="crm_test_older")  # a dry run that cannot be undone says so
		self.assertEqual(caught.exception.args[0], 1305)

	def test_no_rollback_to_a_savepoint_after_a_deadlock(self):
		deadlock = frappe.QueryDeadlockError(pymysql.OperationalError(1213, "Deadlock found"))
		with patch.object(frappe.db, "rollback") as rollback, self.assertRaises(frappe.QueryDeadlockError):
			with savepoint("crm_test"):
				raise deadlock
		rollback.assert_not_called()

	def test_fatal_database_errors(self):
		def raised(inner: Exception, outer: type[Exception] = RuntimeError) -> Exception:
			try:
				try:
					raise inner
				except Exception as error:
					raise outer("wrapped") from error
			except Exception as error:
				return error

		fatal = [
			frappe.QueryDeadlockError("deadlock"),
			frappe.QueryTimeoutError("lock wait timeout"),
			pymysql.OperationalError(2013, "Lost connection to server during query"),
			pymysql.OperationalError(2006, "Server has gone away"),
			pymysql.err.InterfaceError(0, ""),
			raised(pymysql.OperationalError(1213, "Deadlock found")),  # found behind another error
		]
		harmless = [
			frappe.ValidationError("bad value"),
			frappe.PermissionError(),
			pymysql.IntegrityError(1062, "Duplicate entry"),
			pymysql.OperationalError(1054, "Unknown column"),
			ValueError(),
		]
		self.assertEqual([fatal_db_error(error) for error in fatal], [True] * len(fatal))
		self.assertEqual([fatal_db_error(error) for error in harmless], [False] * len(harmless))

	def test_a_migrated_row_that_fails_is_skipped_but_a_deadlock_goes_on(self):
		from crm_module.domain import migration_map as mm
		from crm_module.services.migration.core import Migration

		migration = Migration(mm.ERPNEXT, dry_run=True)
		source = frappe._dict(name=f"SRC-{TAG}", modified=frappe.utils.now_datetime())

		def build(error):
			def raising(row, notes):
				make_tag(f"Row {error.__class__.__name__}")  # written, then undone with the row
				raise error

			return raising

		self.assertIsNone(migration.migrate("Lead", source, constants.LEAD, build(ValueError("no company"))))
		self.assertEqual(migration.report.sections["Lead"].problems, [f"Lead SRC-{TAG}: no company"])
		self.assertFalse(tag_exists("Row ValueError"))
		with self.assertRaises(frappe.QueryDeadlockError):
			migration.migrate("Lead", source, constants.LEAD, build(frappe.QueryDeadlockError("deadlock")))
