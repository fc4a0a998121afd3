import frappe

from crm_module import constants
from crm_module.exceptions import CRMInputError
from crm_module.services.pipeline import get_pipeline_stages
from crm_module.tests.compat import IntegrationTestCase


class TestCRMPipelineStage(IntegrationTestCase):
	def setUp(self):
		if not frappe.db.exists(constants.PIPELINE, "Renewals"):
			frappe.get_doc({"doctype": constants.PIPELINE, "pipeline_name": "Renewals"}).insert()

	def stage(self, name, order, **kwargs):
		return frappe.get_doc(
			{
				"doctype": constants.PIPELINE_STAGE,
				"pipeline": "Renewals",
				"stage_name": name,
				"stage_order": order,
				**kwargs,
			}
		)

	def test_name_is_stage_and_pipeline(self):
		doc = self.stage("Renewal Due", 1, probability=40).insert()
		self.assertEqual(doc.name, "Renewal Due - Renewals")

	def test_same_stage_name_in_two_pipelines(self):
		doc = self.stage("Prospecting", 2).insert()
		self.assertEqual(doc.name, "Prospecting - Renewals")
		self.assertTrue(frappe.db.exists(constants.PIPELINE_STAGE, "Prospecting - Default"))

	def test_probability_out_of_range(self):
		with self.assertRaises(CRMInputError) as ctx:
			self.stage("Odd", 3, probability=140).insert()
		self.assertIn("probability", str(ctx.exception))

	def test_final_stage_needs_outcome_and_fixes_probability(self):
		self.assertRaises(CRMInputError, self.stage("Done", 9, is_final=1).insert)
		won = self.stage("Renewed", 9, is_final=1, outcome="Won", probability=20).insert()
		self.assertEqual(won.probability, 100)

	def test_order_unique_within_pipeline(self):
		self.stage("One", 5).insert()
		with self.assertRaises(CRMInputError) as ctx:
			self.stage("Two", 5).insert()
		self.assertIn("stage_order", str(ctx.exception))

	def test_stage_cache_is_invalidated(self):
		before = [s.stage_name for s in get_pipeline_stages("Renewals")]
		self.stage("Late Addition", 42).insert()
		after = [s["stage_name"] for s in get_pipeline_stages("Renewals")]
		self.assertNotIn("Late Addition", before)
		self.assertIn("Late Addition", after)

	def test_only_one_default_pipeline(self):
		renewals = frappe.get_doc(constants.PIPELINE, "Renewals")
		renewals.is_default = 1
		renewals.save()
		self.assertEqual(
			frappe.get_all(constants.PIPELINE, filters={"is_default": 1}, pluck="name"), ["Renewals"]
		)
		default = frappe.get_doc(constants.PIPELINE, constants.DEFAULT_PIPELINE)
		default.is_default = 1
		default.save()
		self.assertEqual(
			frappe.get_all(constants.PIPELINE, filters={"is_default": 1}, pluck="name"),
			[constants.DEFAULT_PIPELINE],
		)
