"""Opportunity lifecycle: stage moves, probability, close/reopen, deal stage rows, derived figures."""

import frappe
from frappe.utils import add_days, getdate, nowdate

from crm_module import constants
from crm_module.exceptions import StageTransitionError
from crm_module.services.sales.opportunity_jobs import refresh_days_in_pipeline
from crm_module.tests import factories as f
from crm_module.tests.compat import IntegrationTestCase


def deal_stages(opportunity: str) -> list[dict]:
	return frappe.get_all(
		constants.DEAL_STAGE,
		filters={"opportunity": opportunity},
		fields=["from_stage", "to_stage", "is_reopen", "days_in_previous_stage", "moved_by", "notes"],
		order_by="moved_on asc, creation asc",
	)


def timeline_types(opportunity: str) -> list[str]:
	return frappe.get_all(
		constants.TIMELINE,
		filters={"reference_doctype": constants.OPPORTUNITY, "reference_name": opportunity},
		pluck="activity_type",
		order_by="activity_date asc, creation asc",
	)


class TestCRMOpportunity(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.customer = f.make_customer("Opportunity Test Co", ignore_permissions=True).name

	def test_insert_defaults_pipeline_and_records_initial_placement(self):
		opp = f.make_opportunity(self.customer, value=1000, stage_name="Prospecting")
		self.assertEqual(opp.pipeline, constants.DEFAULT_PIPELINE)
		self.assertEqual(opp.probability_percent, 10)
		self.assertEqual(opp.status, "Open")
		self.assertEqual(float(opp.forecast_amount), 100.0)
		self.assertEqual(opp.days_in_pipeline, 0)
		rows = deal_stages(opp.name)
		self.assertEqual(len(rows), 1)
		self.assertIsNone(rows[0].from_stage)
		self.assertEqual(rows[0].to_stage, f.stage("Prospecting"))
		self.assertEqual(timeline_types(opp.name), ["Opportunity Created"])

	def test_stage_move_sets_probability_and_writes_one_row(self):
		opp = f.make_opportunity(self.customer, value=2000)
		frappe.db.set_value(constants.OPPORTUNITY, opp.name, "stage_changed_on", add_days(nowdate(), -3))
		opp.reload()
		opp.stage = f.stage("Proposal")
		opp.flags.stage_note = "Sent the proposal"
		opp.save()
		self.assertEqual(opp.probability_percent, 50)
		self.assertEqual(float(opp.forecast_amount), 1000.0)
		rows = deal_stages(opp.name)
		self.assertEqual(len(rows), 2)
		self.assertEqual(
			(rows[1].from_stage, rows[1].to_stage), (f.stage("Prospecting"), f.stage("Proposal"))
		)
		self.assertEqual(rows[1].days_in_previous_stage, 3)
		self.assertEqual(rows[1].notes, "Sent the proposal")
		self.assertEqual(timeline_types(opp.name), ["Opportunity Created", "Stage Change"])
		# a save without a stage move writes nothing
		opp.description = "more detail"
		opp.save()
		self.assertEqual(len(deal_stages(opp.name)), 2)
		self.assertEqual(len(timeline_types(opp.name)), 2)

	def test_explicit_probability_is_kept_across_moves(self):
		opp = f.make_opportunity(self.customer, value=1000, probability_percent=40)
		self.assertEqual(opp.probability_percent, 40)
		self.assertTrue(opp.probability_is_manual)
		opp.stage = f.stage("Negotiation")
		opp.save()
		self.assertEqual(opp.probability_percent, 40)
		opp.probability_is_manual = 0
		opp.save()
		self.assertEqual(opp.probability_percent, 75)
		opp.probability_percent = 90  # changed by the user: explicit from now on
		opp.save()
		self.assertTrue(opp.probability_is_manual)
		self.assertEqual(float(opp.forecast_amount), 900.0)

	def test_lost_requires_reason_and_writes_nothing_without(self):
		opp = f.make_opportunity(self.customer, value=500)
		opp.stage = f.stage("Closed Lost")
		with self.assertRaises(StageTransitionError) as ctx:
			opp.save()
		self.assertIn("win_loss_reason", str(ctx.exception))
		self.assertEqual(frappe.db.get_value(constants.OPPORTUNITY, opp.name, "status"), "Open")
		self.assertEqual(len(deal_stages(opp.name)), 1)
		self.assertEqual(timeline_types(opp.name), ["Opportunity Created"])

	def test_close_and_reopen(self):
		opp = f.make_opportunity(self.customer, value=800)
		opp.stage, opp.win_loss_reason = f.stage("Closed Lost"), "Budget cut"
		opp.save()
		self.assertEqual((opp.status, opp.probability_percent), ("Lost", 0))
		self.assertEqual(getdate(opp.actual_close_date), getdate(nowdate()))
		self.assertEqual(float(opp.forecast_amount), 0.0)
		opp.stage = f.stage("Qualification")
		opp.save()
		self.assertEqual((opp.status, opp.probability_percent), ("Open", 25))
		self.assertIsNone(opp.actual_close_date)
		rows = deal_stages(opp.name)
		self.assertEqual([r.is_reopen for r in rows], [0, 0, 1])
		self.assertEqual(rows[1].notes, "Budget cut")
		self.assertEqual(
			timeline_types(opp.name), ["Opportunity Created", "Opportunity Lost", "Opportunity Reopened"]
		)
		opp.stage = f.stage("Closed Won")
		opp.save()
		self.assertEqual(
			(opp.status, opp.probability_percent, float(opp.forecast_amount)), ("Won", 100, 800.0)
		)

	def test_stage_must_belong_to_pipeline(self):
		pipeline = frappe.get_doc({"doctype": constants.PIPELINE, "pipeline_name": "Renewals Test"}).insert()
		for name, order, prob, final, outcome in (
			("Renewal Due", 1, 60, 0, ""),
			("Renewed", 2, 100, 1, "Won"),
			("Churned", 3, 0, 1, "Lost"),
		):
			frappe.get_doc(
				{
					"doctype": constants.PIPELINE_STAGE,
					"pipeline": pipeline.name,
					"stage_name": name,
					"stage_order": order,
					"probability": prob,
					"is_final": final,
					"outcome": outcome,
				}
			).insert()
		count = frappe.db.count(constants.OPPORTUNITY)
		with self.assertRaises(StageTransitionError):
			f.make_opportunity(self.customer, pipeline=pipeline.name)  # Prospecting - Default
		self.assertEqual(frappe.db.count(constants.OPPORTUNITY), count)
		opp = f.make_opportunity(
			self.customer, pipeline=pipeline.name, stage=f.stage("Renewal Due", pipeline.name)
		)
		self.assertEqual(opp.probability_percent, 60)
		# no stage given: the pipeline's first open stage
		opp2 = frappe.get_doc(
			{
				"doctype": constants.OPPORTUNITY,
				"customer": self.customer,
				"opportunity_name": "Renewal without stage",
				"value": 10,
				"pipeline": pipeline.name,
			}
		).insert()
		self.assertEqual(opp2.stage, f.stage("Renewal Due", pipeline.name))

	def test_daily_refresh_is_set_based(self):
		opp = f.make_opportunity(self.customer, value=1000)
		closed = f.make_opportunity(self.customer, value=1000)
		closed.stage = f.stage("Closed Won")
		closed.save()
		ten_days_ago = add_days(nowdate(), -10)
		frappe.db.set_value(constants.OPPORTUNITY, opp.name, "creation", ten_days_ago)
		frappe.db.set_value(
			constants.OPPORTUNITY,
			closed.name,
			{"creation": add_days(nowdate(), -20), "actual_close_date": add_days(nowdate(), -5)},
		)
		with self.assertQueryCount(1):
			refresh_days_in_pipeline()
		self.assertEqual(frappe.db.get_value(constants.OPPORTUNITY, opp.name, "days_in_pipeline"), 10)
		self.assertEqual(frappe.db.get_value(constants.OPPORTUNITY, closed.name, "days_in_pipeline"), 15)

	def test_delete_takes_history_along(self):
		opp = f.make_opportunity(self.customer, value=10)
		opp.stage = f.stage("Qualification")
		opp.save()
		frappe.delete_doc(constants.OPPORTUNITY, opp.name)
		self.assertEqual(deal_stages(opp.name), [])
		self.assertEqual(timeline_types(opp.name), [])

	def test_kanban_board_ships_with_the_app(self):
		board = frappe.get_doc("Kanban Board", "CRM Opportunities")
		self.assertEqual((board.reference_doctype, board.field_name), (constants.OPPORTUNITY, "stage"))
		self.assertEqual(
			[col.column_name for col in board.columns],
			frappe.get_all(
				constants.PIPELINE_STAGE,
				filters={"pipeline": constants.DEFAULT_PIPELINE},
				pluck="name",
				order_by="stage_order asc",
			),
		)
