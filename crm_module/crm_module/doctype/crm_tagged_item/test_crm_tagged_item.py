"""Tags: usage counter on add/remove (service, desk insert and delete alike), unique pairs, tag filter."""

import frappe

from crm_module import constants
from crm_module.exceptions import CRMConflictError, CRMInputError, CRMNotFoundError
from crm_module.services import tags
from crm_module.tests import factories as f
from crm_module.tests.compat import IntegrationTestCase


class TestCRMTaggedItem(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.rep_a, cls.rep_b = f.rep(1), f.rep(2)
		cls.tag = (
			frappe.get_doc({"doctype": constants.TAG, "tag_name": "Enterprise Test", "color": "#ff0000"})
			.insert()
			.name
		)
		with f.as_user(cls.rep_a):
			cls.customer = f.make_customer("Tagged Co").name
			cls.lead = f.make_lead("Tagged Lead").name
		with f.as_user(cls.rep_b):
			cls.other_customer = f.make_customer("Other Tagged Co").name

	def usage(self) -> int:
		return frappe.db.get_value(constants.TAG, self.tag, "usage_count")

	def test_add_remove_keeps_usage_count(self):
		with f.as_user(self.rep_a):
			self.assertEqual(tags.add_tag(constants.CUSTOMER, self.customer, self.tag)["usage_count"], 1)
			self.assertEqual(tags.add_tag(constants.LEAD, self.lead, self.tag)["usage_count"], 2)
			with self.assertRaises(CRMConflictError) as ctx:
				tags.add_tag(constants.CUSTOMER, self.customer, self.tag)
			self.assertIn("already tagged", str(ctx.exception))
			self.assertEqual(self.usage(), 2)
			self.assertEqual(
				[t.tag for t in tags.get_document_tags(constants.CUSTOMER, self.customer)], [self.tag]
			)
			self.assertEqual(tags.get_tagged_names(self.tag, constants.CUSTOMER), [self.customer])
			self.assertEqual(tags.remove_tag(constants.LEAD, self.lead, self.tag)["usage_count"], 1)
			with self.assertRaises(CRMNotFoundError):
				tags.remove_tag(constants.LEAD, self.lead, self.tag)
		self.assertEqual(self.usage(), 1)
		# deleting the item from the desk recounts too
		frappe.delete_doc(
			constants.TAGGED_ITEM, frappe.db.get_value(constants.TAGGED_ITEM, {"tag": self.tag}, "name")
		)
		self.assertEqual(self.usage(), 0)

	def test_refusals(self):
		with f.as_user(self.rep_a):
			self.assertRaises(
				CRMNotFoundError, tags.add_tag, constants.CUSTOMER, self.customer, "No Such Tag"
			)
			self.assertRaises(CRMInputError, tags.add_tag, "User", self.rep_a, self.tag)
			self.assertRaises(
				frappe.PermissionError, tags.add_tag, constants.CUSTOMER, self.other_customer, self.tag
			)
		self.assertEqual(self.usage(), 0)

	def test_tag_filter_respects_permissions(self):
		tags.add_tag(constants.CUSTOMER, self.other_customer, self.tag)
		with f.as_user(self.rep_a):
			self.assertEqual(tags.get_tagged_names(self.tag, constants.CUSTOMER), [])
		with f.as_user(self.rep_b):
			self.assertEqual(tags.get_tagged_names(self.tag, constants.CUSTOMER), [self.other_customer])
