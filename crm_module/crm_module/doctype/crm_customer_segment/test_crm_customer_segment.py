import frappe

from crm_module import constants
from crm_module.exceptions import CRMInputError
from crm_module.tests.compat import IntegrationTestCase
from crm_module.tests.factories import make_customer


class TestCRMCustomerSegment(IntegrationTestCase):
	def test_dynamic_segment_needs_valid_criteria(self):
		doc = frappe.get_doc(
			{"doctype": constants.SEGMENT, "segment_name": "No criteria", "segment_type": "Dynamic"}
		)
		with self.assertRaises(CRMInputError) as ctx:
			doc.insert(ignore_permissions=True)
		self.assertIn("Criteria (criteria)", str(ctx.exception))

	def test_criteria_are_normalised_and_evaluated_on_save(self):
		customer = make_customer(
			"Churned Segment Co", ignore_permissions=True, lifecycle_stage="Churned"
		).name
		criteria = '{"conditions": [{"field": "lifecycle_stage", "operator": "=", "value": "Churned"}]}'
		doc = frappe.get_doc(
			{
				"doctype": constants.SEGMENT,
				"segment_name": "Churned",
				"segment_type": "Dynamic",
				"criteria": criteria,
			}
		).insert(ignore_permissions=True)
		self.assertEqual(frappe.parse_json(doc.criteria)["match"], "all")
		self.assertIn(customer, [m.customer for m in doc.members])
		self.assertEqual(doc.member_count, len(doc.members))
		self.assertTrue(doc.last_evaluated_on)
