"""Install-time seed: roles, default pipeline, Kanban board, indexes; all idempotent."""

import frappe

from crm_module import constants
from crm_module.setup import install
from crm_module.tests.compat import IntegrationTestCase


def index_columns(doctype: str) -> dict[str, list[str]]:
	"""{index name: [columns in order]} read from SHOW INDEX."""
	rows = frappe.db.sql(f"SHOW INDEX FROM `tab{doctype}`", as_dict=True)
	indexes: dict[str, list[str]] = {}
	for row in sorted(rows, key=lambda r: (r.Key_name, r.Seq_in_index)):
		indexes.setdefault(row.Key_name, []).append(row.Column_name)
	return indexes


class TestInstall(IntegrationTestCase):
	def test_roles_exist(self):
		for role in (constants.ROLE_MANAGER, constants.ROLE_USER):
			self.assertTrue(frappe.db.exists("Role", role), role)

	def test_default_pipeline_and_stages(self):
		self.assertEqual(
			frappe.db.get_value(constants.PIPELINE, {"is_default": 1}), constants.DEFAULT_PIPELINE
		)
		stages = frappe.get_all(
			constants.PIPELINE_STAGE,
			filters={"pipeline": constants.DEFAULT_PIPELINE},
			fields=["stage_name", "stage_order", "probability", "expected_cycle_days", "is_final", "outcome"],
			order_by="stage_order asc",
		)
		# (name, order, probability %, expected cycle days, final, outcome) as seeded by install.py
		self.assertEqual(
			[
				(
					s.stage_name,
					s.stage_order,
					s.probability,
					s.expected_cycle_days,
					s.is_final,
					s.outcome or "",
				)
				for s in stages
			],
			[
				("Prospecting", 1, 10, 14, 0, ""),
				("Qualification", 2, 25, 14, 0, ""),
				("Proposal", 3, 50, 21, 0, ""),
				("Negotiation", 4, 75, 14, 0, ""),
				("Closed Won", 5, 100, 0, 1, "Won"),
				("Closed Lost", 6, 0, 0, 1, "Lost"),
			],
		)

	def test_seed_is_idempotent(self):
		before = (
			frappe.db.count(constants.PIPELINE),
			frappe.db.count(constants.PIPELINE_STAGE),
			frappe.db.count("Role", {"name": ("in", [constants.ROLE_MANAGER, constants.ROLE_USER])}),
			frappe.db.count("Kanban Board", {"reference_doctype": constants.OPPORTUNITY}),
		)
		install.ensure_setup_records()
		install.ensure_setup_records()
		after = (
			frappe.db.count(constants.PIPELINE),
			frappe.db.count(constants.PIPELINE_STAGE),
			frappe.db.count("Role", {"name": ("in", [constants.ROLE_MANAGER, constants.ROLE_USER])}),
			frappe.db.count("Kanban Board", {"reference_doctype": constants.OPPORTUNITY}),
		)
		self.assertEqual(before, after)

	def test_kanban_board_columns_follow_stages(self):
		board = frappe.get_doc("Kanban Board", install.KANBAN_BOARD)
		self.assertEqual(board.field_name, "stage")
		self.assertEqual(
			[col.column_name for col in board.columns][:2],
			["Prospecting - Default", "Qualification - Default"],
		)

	def test_seed_indexes_exist(self):
		"""The seed's indexing strategy, read back from the database."""
		expected = {
			constants.CUSTOMER: [["account_owner"], ["segment"]],
			constants.CONTACT: [["customer"]],
			constants.INTERACTION: [["owner", "interaction_date"]],
			constants.OPPORTUNITY: [["opportunity_owner", "stage"]],
			constants.LEAD: [["lead_owner", "status"]],
			constants.TAGGED_ITEM: [
				["reference_doctype", "reference_name"],
				["tag", "reference_doctype", "reference_name"],
			],
			constants.TIMELINE: [["customer", "activity_date"]],
			constants.LEAD_SCORE: [["lead", "scoring_date"]],
			constants.HEALTH_SCORE: [["customer", "score_date"]],
		}
		for doctype, wanted in expected.items():
			present = list(index_columns(doctype).values())
			for columns in wanted:
				self.assertIn(columns, present, f"{doctype} lacks an index on {columns}")

	def test_unique_daily_rows_are_enforced_by_the_database(self):
		uniques = {
			row.Key_name
			for row in frappe.db.sql("SHOW INDEX FROM `tabCRM Lead Score`", as_dict=True)
			if not row.Non_unique
		}
		self.assertIn("unique_lead_scoring_date", uniques)
