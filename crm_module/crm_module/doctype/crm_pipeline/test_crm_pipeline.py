"""CRM Pipeline controller: exactly one default pipeline, and deleting a pipeline takes its stages (and
their cached copy) along unless opportunities still use it."""

import frappe

from crm_module import constants
from crm_module.services.pipeline import get_pipeline_stages
from crm_module.tests import factories as f
from crm_module.tests.compat import IntegrationTestCase


def make_pipeline(name: str, **kwargs):
	return frappe.get_doc({"doctype": constants.PIPELINE, "pipeline_name": name, **kwargs}).insert()


def add_stages(pipeline: str) -> list[str]:
	names = []
	for stage_name, order, probability, is_final, outcome in (
		("Intro", 1, 20, 0, ""),
		("Signed", 2, 100, 1, "Won"),
	):
		names.append(
			frappe.get_doc(
				{
					"doctype": constants.PIPELINE_STAGE,
					"pipeline": pipeline,
					"stage_name": stage_name,
					"stage_order": order,
					"probability": probability,
					"is_final": is_final,
					"outcome": outcome,
				}
			)
			.insert()
			.name
		)
	return names


def defaults() -> list[str]:
	return frappe.get_all(constants.PIPELINE, filters={"is_default": 1}, pluck="name", order_by="name")


def stage_rows(pipeline: str) -> list[str]:
	return frappe.get_all(
		constants.PIPELINE_STAGE, filters={"pipeline": pipeline}, pluck="name", order_by="stage_order"
	)


class TestCRMPipeline(IntegrationTestCase):
	def setUp(self):
		# every test starts from the installed state: "Default" is the one default pipeline
		self.assertEqual(defaults(), [constants.DEFAULT_PIPELINE])

	def tearDown(self):
		# the class rolls back at its end; put the default back for the next test in the class
		frappe.db.set_value(constants.PIPELINE, {"is_default": 1}, "is_default", 0)
		frappe.db.set_value(constants.PIPELINE, constants.DEFAULT_PIPELINE, "is_default", 1)

	# ------------------------------------------------------------------ validate

	def test_first_pipeline_becomes_default(self):
		# as on a fresh site: no pipeline is the default yet
		frappe.db.set_value(constants.PIPELINE, constants.DEFAULT_PIPELINE, "is_default", 0)
		self.assertEqual(defaults(), [])
		first = make_pipeline("Pipeline Test First")
		self.assertEqual(first.is_default, 1)
		self.assertEqual(defaults(), ["Pipeline Test First"])

	def test_non_default_save_keeps_the_existing_default(self):
		other = make_pipeline("Pipeline Test Other")
		self.assertEqual(other.is_default, 0)
		other.description = "edited"
		other.save()
		self.assertEqual(other.is_default, 0)
		self.assertEqual(defaults(), [constants.DEFAULT_PIPELINE])

	def test_the_default_cannot_be_unset_while_no_other_is_default(self):
		default = frappe.get_doc(constants.PIPELINE, constants.DEFAULT_PIPELINE)
		default.is_default = 0
		default.save()
		self.assertEqual(default.is_default, 1)
		self.assertEqual(defaults(), [constants.DEFAULT_PIPELINE])

	# ------------------------------------------------------------------ on_update

	def test_only_one_default(self):
		renewals = make_pipeline("Pipeline Test Renewals", is_default=1)
		self.assertEqual(defaults(), ["Pipeline Test Renewals"])
		default = frappe.get_doc(constants.PIPELINE, constants.DEFAULT_PIPELINE)
		default.is_default = 1
		default.save()
		self.assertEqual(defaults(), [constants.DEFAULT_PIPELINE])
		renewals.reload()
		self.assertEqual(renewals.is_default, 0)

	# ------------------------------------------------------------------ on_trash

	def test_delete_is_refused_while_opportunities_use_it(self):
		pipeline = make_pipeline("Pipeline Test In Use").name
		stages = add_stages(pipeline)
		customer = f.make_customer("Pipeline Test Co", ignore_permissions=True).name
		f.make_opportunity(customer, "Pipeline test deal", 10, pipeline=pipeline, stage=stages[0])
		with self.assertRaises(frappe.LinkExistsError) as ctx:
			frappe.delete_doc(constants.PIPELINE, pipeline)
		self.assertIn(pipeline, str(ctx.exception))
		self.assertTrue(frappe.db.exists(constants.PIPELINE, pipeline))
		self.assertEqual(stage_rows(pipeline), stages)
		self.assertEqual([s["name"] for s in get_pipeline_stages(pipeline)], stages)

	def test_delete_removes_its_stages_and_their_cached_copy(self):
		pipeline = make_pipeline("Pipeline Test Unused").name
		stages = add_stages(pipeline)
		keep = stage_rows(constants.DEFAULT_PIPELINE)
		# fill the cache first: a stale cache would still list the deleted stages
		self.assertEqual([s["name"] for s in get_pipeline_stages(pipeline)], stages)
		frappe.delete_doc(constants.PIPELINE, pipeline)
		self.assertFalse(frappe.db.exists(constants.PIPELINE, pipeline))
		self.assertEqual(stage_rows(pipeline), [])
		self.assertEqual(get_pipeline_stages(pipeline), [])
		self.assertEqual(stage_rows(constants.DEFAULT_PIPELINE), keep, "other pipelines keep their stages")
