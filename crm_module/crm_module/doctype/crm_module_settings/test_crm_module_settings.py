import frappe

from crm_module import constants
from crm_module.exceptions import CRMInputError
from crm_module.services.settings import (
	clear_settings_cache,
	get_health_weights,
	get_scoring_config,
)
from crm_module.tests.compat import IntegrationTestCase


class TestCRMModuleSettings(IntegrationTestCase):
	def tearDown(self):
		frappe.db.rollback()
		clear_settings_cache()  # the cache outlives the rolled-back settings

	def settings(self, **values):
		doc = frappe.get_doc(constants.SETTINGS)
		doc.update(values)
		return doc

	def test_validation_names_the_field(self):
		cases = {
			"fit_weight": {"fit_weight": -1},
			"engagement_weight": {"engagement_weight": 0, "fit_weight": 0, "activity_weight": 0},
			"grade_a_threshold": {"grade_a_threshold": 301},
			"descending": {"grade_a_threshold": 100, "grade_b_threshold": 180},
			"health_activity_weight": {"health_activity_weight": -0.1},
		}
		for needle, values in cases.items():
			with self.subTest(needle=needle), self.assertRaises(CRMInputError) as ctx:
				self.settings(**values).save(ignore_permissions=True)
			self.assertIn(needle, str(ctx.exception))

	def test_fit_rules_are_validated(self):
		doc = self.settings()
		doc.append("fit_rules", {"field": "source", "operator": "=", "value": "Referral", "points": 150})
		with self.assertRaises(CRMInputError) as ctx:
			doc.save(ignore_permissions=True)
		self.assertIn("Fit Rules row 1", str(ctx.exception))

	def test_config_is_cached_and_cleared_on_save(self):
		get_scoring_config()
		doc = self.settings(engagement_weight=2, fit_weight=1, activity_weight=1, grade_a_threshold=250)
		doc.set(
			"fit_rules", [{"field": "email_domain", "operator": "ends with", "value": ".edu", "points": 40}]
		)
		doc.health_satisfaction_weight = 0.5
		doc.save(ignore_permissions=True)
		config = get_scoring_config()
		self.assertEqual(config.weights, (2.0, 1.0, 1.0))
		self.assertEqual(config.thresholds["A"], 250)
		self.assertEqual([r.points for r in config.fit_rules], [40])
		self.assertEqual(get_health_weights().satisfaction, 0.5)
		self.assertEqual(frappe.cache.get_value("crm_module:scoring_config")["weights"], [2.0, 1.0, 1.0])
