"""Kanban boards of opportunities: one per pipeline, in step with its stages; card moves are checked saves.

The boards are `crm_module.services.sales.boards`, kept by the CRM Pipeline and CRM Pipeline Stage doc events;
card moves go through Frappe's Kanban methods, which `crm_module.access.overrides` replaces for CRM
boards (a move is a save of the opportunity by the caller, refused without write access).
"""

import json

import frappe

from crm_module import constants
from crm_module.services.pipeline import clear_stage_cache
from crm_module.services.sales import boards
from crm_module.setup import install
from crm_module.tests import factories as f
from crm_module.tests.api_case import CRMAPITestCase
from crm_module.tests.compat import IntegrationTestCase

KANBAN = "frappe.desk.doctype.kanban_board.kanban_board."


def columns(board: str) -> list[tuple[str, str, str]]:
	return [(c.column_name, c.status, c.indicator) for c in frappe.get_doc("Kanban Board", board).columns]


def column_names(board: str) -> list[str]:
	return [name for name, _status, _indicator in columns(board)]


def add_stage(pipeline: str, stage_name: str, order: int, outcome: str = "") -> str:
	return (
		frappe.get_doc(
			{
				"doctype": constants.PIPELINE_STAGE,
				"pipeline": pipeline,
				"stage_name": stage_name,
				"stage_order": order,
				"probability": 30,
				"is_final": 1 if outcome else 0,
				"outcome": outcome,
			}
		)
		.insert()
		.name
	)


class TestBoards(IntegrationTestCase):
	@classmethod
	def tearDownClass(cls):
		super().tearDownClass()  # rolls the pipelines, stages and boards back
		clear_stage_cache()

	def test_the_install_pipeline_has_the_crm_opportunities_board(self):
		self.assertEqual(install.KANBAN_BOARD, "CRM Opportunities")
		board = frappe.get_doc("Kanban Board", "CRM Opportunities")
		self.assertEqual(
			(board.reference_doctype, board.field_name, board.private, board.show_labels),
			(constants.OPPORTUNITY, "stage", 0, 1),
		)
		self.assertEqual(
			json.loads(board.filters), [[constants.OPPORTUNITY, "pipeline", "=", constants.DEFAULT_PIPELINE]]
		)
		self.assertEqual(
			json.loads(board.fields), ["customer_name", "value", "probability_percent", "expected_close_date"]
		)
		stages = frappe.get_all(
			constants.PIPELINE_STAGE,
			filters={"pipeline": constants.DEFAULT_PIPELINE},
			pluck="name",
			order_by="stage_order asc",
		)
		self.assertEqual(column_names("CRM Opportunities"), stages)
		# card order is never kept on the shared board
		self.assertFalse([c.order for c in board.columns if c.order])

	def test_every_pipeline_gets_a_board_that_follows_its_stages(self):
		pipeline = frappe.get_doc(
			{"doctype": constants.PIPELINE, "pipeline_name": "Board Test Renewals"}
		).insert()
		board = "CRM Opportunities: Board Test Renewals"
		self.assertEqual(boards.board_name(pipeline.name), board)
		self.assertEqual(column_names(board), [])
		self.assertEqual(
			json.loads(frappe.db.get_value("Kanban Board", board, "filters")),
			[[constants.OPPORTUNITY, "pipeline", "=", "Board Test Renewals"]],
		)

		# stages added: columns in stage order, won green, lost red
		intro = add_stage(pipeline.name, "Intro", 1)
		lost = add_stage(pipeline.name, "Churned", 9, "Lost")
		renewed = add_stage(pipeline.name, "Renewed", 5, "Won")
		quote = add_stage(pipeline.name, "Quote", 2)
		self.assertEqual(
			columns(board),
			[
				(intro, "Active", "Gray"),
				(quote, "Active", "Gray"),
				(renewed, "Active", "Green"),
				(lost, "Active", "Red"),
			],
		)

		# what a manager set on a column survives every change below
		doc = frappe.get_doc("Kanban Board", board)
		doc.columns[1].indicator = "Blue"
		doc.columns[1].status = "Archived"
		doc.save()

		# reordered
		frappe.get_doc(constants.PIPELINE_STAGE, intro).update({"stage_order": 3}).save()
		self.assertEqual(column_names(board), [quote, intro, renewed, lost])

		# renamed (the document; a new stage_name alone keeps the name and the column)
		frappe.get_doc(constants.PIPELINE_STAGE, quote).update({"stage_name": "Offer"}).save()
		self.assertEqual(column_names(board), [quote, intro, renewed, lost])
		offer = frappe.rename_doc(constants.PIPELINE_STAGE, quote, "Offer - Board Test Renewals", force=True)
		self.assertEqual(columns(board)[0], (offer, "Archived", "Blue"))
		self.assertEqual(column_names(board), [offer, intro, renewed, lost])

		# deleted
		frappe.delete_doc(constants.PIPELINE_STAGE, intro)
		self.assertEqual(column_names(board), [offer, renewed, lost])

		# the other pipelines' boards are untouched
		default_stages = frappe.get_all(
			constants.PIPELINE_STAGE,
			filters={"pipeline": constants.DEFAULT_PIPELINE},
			pluck="name",
			order_by="stage_order asc",
		)
		self.assertEqual(column_names("CRM Opportunities"), default_stages)

		# the pipeline deleted: its board goes with it
		frappe.delete_doc(constants.PIPELINE, pipeline.name)
		self.assertFalse(frappe.db.exists("Kanban Board", board))
		self.assertTrue(frappe.db.exists("Kanban Board", "CRM Opportunities"))

	def test_a_renamed_pipeline_takes_its_board_along(self):
		pipeline = frappe.get_doc({"doctype": constants.PIPELINE, "pipeline_name": "Board Test Old"}).insert()
		stage = add_stage(pipeline.name, "Intro", 1)
		frappe.rename_doc(constants.PIPELINE, "Board Test Old", "Board Test New", force=True)
		self.assertFalse(frappe.db.exists("Kanban Board", "CRM Opportunities: Board Test Old"))
		board = frappe.get_doc("Kanban Board", "CRM Opportunities: Board Test New")
		self.assertEqual(board.kanban_board_name, board.name)
		self.assertEqual(json.loads(board.filters)[0][3], "Board Test New")
		self.assertEqual(column_names(board.name), [stage])

	def test_install_and_migrate_make_missing_boards_and_change_nothing_else(self):
		pipeline = frappe.get_doc(
			{"doctype": constants.PIPELINE, "pipeline_name": "Board Test Lost"}
		).insert()
		add_stage(pipeline.name, "Intro", 1)
		# a pipeline without its board, e.g. made before boards followed pipelines
		frappe.delete_doc("Kanban Board", boards.board_name(pipeline.name))
		stray = frappe.get_doc(
			{
				"doctype": "Kanban Board",
				"kanban_board_name": "CRM Opportunities: No Such Pipeline",
				"reference_doctype": constants.OPPORTUNITY,
				"field_name": "stage",
			}
		).insert()
		install.make_kanban_board()
		self.assertTrue(frappe.db.exists("Kanban Board", "CRM Opportunities: Board Test Lost"))
		self.assertFalse(frappe.db.exists("Kanban Board", stray.name))
		modified = dict(frappe.get_all("Kanban Board", fields=["name", "modified"], as_list=True))
		install.make_kanban_board()
		install.make_kanban_board()
		self.assertEqual(
			dict(frappe.get_all("Kanban Board", fields=["name", "modified"], as_list=True)), modified
		)

	def test_a_board_lists_only_its_pipelines_opportunities(self):
		pipeline = frappe.get_doc(
			{"doctype": constants.PIPELINE, "pipeline_name": "Board Test Filter"}
		).insert()
		stage = add_stage(pipeline.name, "Intro", 1)
		customer = f.make_customer("Board Filter Co", ignore_permissions=True).name
		mine = f.make_opportunity(customer, "In the other pipeline", 5, pipeline=pipeline.name, stage=stage)
		default = f.make_opportunity(customer, "In the default pipeline", 5)
		for board, present, absent in (
			(boards.board_name(pipeline.name), mine.name, default.name),
			("CRM Opportunities", default.name, mine.name),
		):
			filters = json.loads(frappe.db.get_value("Kanban Board", board, "filters"))
			names = frappe.get_list(constants.OPPORTUNITY, filters=filters, pluck="name", limit=0)
			self.assertIn(present, names)
			self.assertNotIn(absent, names)


class TestBoardMoves(CRMAPITestCase):
	"""Dragging a card is a save of the opportunity by the caller, through the Kanban override."""

	prefix = "boards"

	def setUp(self):
		with f.as_user(self.rep_a):
			self.opportunity = f.make_opportunity(self.customer_a, "Board move deal", 1000).name
		frappe.db.commit()

	def stage_rows(self) -> list[dict]:
		return frappe.get_all(
			constants.DEAL_STAGE,
			filters={"opportunity": self.opportunity},
			fields=["from_stage", "to_stage", "moved_by", "notes"],
			order_by="creation asc, name asc",
		)

	def move(self, user: str, to_stage: str, from_stage: str | None = None):
		return self.post(
			KANBAN + "update_order_for_single_card",
			user,
			{
				"board_name": "CRM Opportunities",
				"docname": self.opportunity,
				"from_colname": from_stage or f.stage("Prospecting"),
				"to_colname": to_stage,
				"old_index": 0,
				"new_index": 0,
			},
		)

	def test_a_card_move_writes_exactly_one_stage_row(self):
		before = self.stage_rows()
		self.assertEqual(len(before), 1)  # the first placement
		board = self.assertOk(self.move(self.rep_a, f.stage("Qualification")))
		self.assertEqual(board["name"], "CRM Opportunities")
		self.assertFalse([c for c in board["columns"] if c.get("order")])  # no card order stored
		rows = self.stage_rows()
		self.assertEqual(len(rows), 2)
		self.assertEqual(
			(rows[1].from_stage, rows[1].to_stage, rows[1].moved_by),
			(f.stage("Prospecting"), f.stage("Qualification"), self.rep_a),
		)
		self.assertEqual(
			frappe.db.get_value(constants.OPPORTUNITY, self.opportunity, "stage"), f.stage("Qualification")
		)
		self.assertEqual(
			frappe.db.count(
				constants.TIMELINE,
				{"reference_name": self.opportunity, "activity_type": "Stage Change"},
			),
			1,
		)
		# the board re-sends its columns on load: nothing moves, nothing is written
		self.assertOk(
			self.post(
				KANBAN + "update_order",
				self.rep_a,
				{
					"board_name": "CRM Opportunities",
					"order": json.dumps({f.stage("Qualification"): [self.opportunity]}),
				},
			)
		)
		self.assertEqual(len(self.stage_rows()), 2)

	def test_a_drop_on_a_lost_stage_needs_the_reason(self):
		lost = f.stage("Closed Lost")
		self.assertFails(self.move(self.rep_a, lost), 400, "Win/Loss Reason")
		self.assertEqual(len(self.stage_rows()), 1)
		self.assertEqual(
			frappe.db.get_value(constants.OPPORTUNITY, self.opportunity, "stage"), f.stage("Prospecting")
		)
		# what the board's dialog does: the stage and the reason in one save, then the card's move
		self.assertOk(
			self.post(
				"frappe.client.set_value",
				self.rep_a,
				{
					"doctype": constants.OPPORTUNITY,
					"name": self.opportunity,
					"fieldname": {"stage": lost, "win_loss_reason": "Chose a competitor"},
				},
			)
		)
		self.assertOk(self.move(self.rep_a, lost))
		rows = self.stage_rows()
		self.assertEqual(len(rows), 2)
		self.assertEqual((rows[1].to_stage, rows[1].notes), (lost, "Chose a competitor"))
		self.assertEqual(frappe.db.get_value(constants.OPPORTUNITY, self.opportunity, "status"), "Lost")

	def test_a_rep_cannot_move_another_reps_card(self):
		reply = self.move(self.rep_b, f.stage("Negotiation"))
		self.assertFails(reply, 403)
		self.assertNotIn("Board move deal", reply.text)
		self.assertEqual(
			frappe.db.get_value(constants.OPPORTUNITY, self.opportunity, "stage"), f.stage("Prospecting")
		)
		self.assertEqual(len(self.stage_rows()), 1)
		# nor through the board's load-time call, nor by adding the card to a column
		self.assertFails(
			self.post(
				KANBAN + "update_order",
				self.rep_b,
				{
					"board_name": "CRM Opportunities",
					"order": json.dumps({f.stage("Negotiation"): [self.opportunity]}),
				},
			),
			403,
		)
		self.assertEqual(len(self.stage_rows()), 1)
		# the manager may
		self.assertOk(self.move(self.manager, f.stage("Negotiation")))
		self.assertEqual(len(self.stage_rows()), 2)
