"""CRM Interaction controller rules: what validate refuses or fills in, the timeline row after insert, and
the contact's / customer's "last contacted" dates that on_update moves forward but never back."""

import json

import frappe
from frappe.utils import get_datetime

from crm_module import constants
from crm_module.exceptions import CRMInputError
from crm_module.tests import factories as f
from crm_module.tests.compat import IntegrationTestCase

OLDEST, MIDDLE, NEWEST = "2024-03-01 09:00:00", "2024-03-05 14:30:00", "2024-03-09 17:15:00"


def last_contacted(contact: str):
	return frappe.db.get_value(constants.CONTACT, contact, "last_contacted_on")


def last_interaction(customer: str) -> tuple:
	"""The customer's last interaction and last activity (an interaction is both)."""
	return frappe.db.get_value(constants.CUSTOMER, customer, ["last_interaction_on", "last_activity_on"])


def timeline_rows(interaction: str) -> list[dict]:
	return frappe.get_all(
		constants.TIMELINE,
		filters={"reference_doctype": constants.INTERACTION, "reference_name": interaction},
		fields=[
			"activity_type",
			"title",
			"description",
			"customer",
			"lead",
			"activity_date",
			"performed_by",
			"metadata",
		],
	)


class TestCRMInteraction(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.customer = f.make_customer("Interaction Test Co", ignore_permissions=True).name
		cls.other_customer = f.make_customer("Interaction Other Co", ignore_permissions=True).name
		cls.contact = f.make_contact(cls.customer, "Ivy", ignore_permissions=True).name
		cls.other_contact = f.make_contact(cls.other_customer, "Otto", ignore_permissions=True).name
		cls.lead = f.make_lead("Interaction Lead", ignore_permissions=True).name

	def count(self) -> int:
		return frappe.db.count(constants.INTERACTION)

	# ------------------------------------------------------------------ validate

	def test_customer_or_lead_is_required(self):
		before = self.count()
		with self.assertRaises(CRMInputError) as ctx:
			f.make_interaction(None, "Nobody to talk to", ignore_permissions=True)
		self.assertIn("(customer)", str(ctx.exception))
		self.assertIn("(lead)", str(ctx.exception))
		self.assertEqual(self.count(), before)

	def test_a_lead_alone_is_enough(self):
		doc = f.make_interaction(lead=self.lead, subject="Lead call", ignore_permissions=True)
		self.assertEqual((doc.customer, doc.lead), (None, self.lead))

	def test_negative_duration_is_rejected(self):
		before = self.count()
		with self.assertRaises(CRMInputError) as ctx:
			f.make_interaction(self.customer, duration_minutes=-1, ignore_permissions=True)
		self.assertIn("duration_minutes", str(ctx.exception))
		self.assertEqual(self.count(), before)
		zero = f.make_interaction(self.customer, duration_minutes=0, ignore_permissions=True)
		self.assertEqual(zero.duration_minutes, 0)

	def test_contact_of_another_customer_is_rejected(self):
		before = self.count()
		with self.assertRaises(CRMInputError) as ctx:
			f.make_interaction(self.customer, contact=self.other_contact, ignore_permissions=True)
		message = str(ctx.exception)
		self.assertIn("(contact)", message)
		self.assertIn(self.other_contact, message)
		self.assertIn(self.other_customer, message)
		self.assertEqual(self.count(), before)

	def test_opportunity_of_another_customer_is_rejected(self):
		theirs = f.make_opportunity(self.other_customer, "Not our deal", 100, ignore_permissions=True).name
		before = self.count()
		with self.assertRaises(CRMInputError) as ctx:
			f.make_interaction(self.customer, opportunity=theirs, ignore_permissions=True)
		self.assertIn("(opportunity)", str(ctx.exception))
		self.assertIn(theirs, str(ctx.exception))
		self.assertEqual(self.count(), before)
		ours = f.make_opportunity(self.customer, "Our deal", 100, ignore_permissions=True).name
		doc = f.make_interaction(self.customer, opportunity=ours, ignore_permissions=True)
		self.assertEqual(doc.opportunity, ours)

	def test_conducted_by_defaults_to_the_users_full_name(self):
		user = f.make_user("crm.interaction.rep@example.com", first_name="Ingrid", last_name="Interviewer")
		with f.as_user(user):
			customer = f.make_customer("Ingrid's Co").name
			doc = f.make_interaction(customer, "Defaulted")
			kept = f.make_interaction(customer, "Explicit", conducted_by="John Smith")
		self.assertEqual(doc.conducted_by, "Ingrid Interviewer")
		self.assertEqual(kept.conducted_by, "John Smith")

	# ------------------------------------------------------------------ after_insert

	def test_after_insert_writes_one_timeline_row_with_the_metadata(self):
		opportunity = f.make_opportunity(self.customer, "Timeline deal", 100, ignore_permissions=True).name
		doc = f.make_interaction(
			self.customer,
			"Pricing review",
			interaction_type="Meeting",
			interaction_date=MIDDLE,
			contact=self.contact,
			opportunity=opportunity,
			outcome="Positive",
			sentiment="Neutral",
			next_step="Send the revised quote",
			ignore_permissions=True,
		)
		rows = timeline_rows(doc.name)
		self.assertEqual(len(rows), 1, rows)
		row = rows[0]
		self.assertEqual(
			(row.activity_type, row.title, row.description, row.customer, row.lead),
			("Interaction", "Meeting: Pricing review", "Send the revised quote", self.customer, None),
		)
		self.assertEqual(row.activity_date, get_datetime(MIDDLE))
		self.assertEqual(row.performed_by, frappe.session.user)
		self.assertEqual(
			json.loads(row.metadata),
			{
				"interaction_type": "Meeting",
				"outcome": "Positive",
				"sentiment": "Neutral",
				"contact": self.contact,
				"opportunity": opportunity,
			},
		)
		# a later save is an update, not another touchpoint
		doc.subject = "Pricing review (notes added)"
		doc.save(ignore_permissions=True)
		self.assertEqual(len(timeline_rows(doc.name)), 1)

	def test_lead_interaction_lands_on_the_lead(self):
		doc = f.make_interaction(lead=self.lead, subject="Discovery", ignore_permissions=True)
		rows = timeline_rows(doc.name)
		self.assertEqual(
			[(r.customer, r.lead, r.title) for r in rows], [(None, self.lead, "Call: Discovery")]
		)
		self.assertEqual(
			json.loads(rows[0].metadata),
			{
				"interaction_type": "Call",
				"outcome": "",
				"sentiment": "",
				"contact": None,
				"opportunity": None,
			},
		)

	# ------------------------------------------------------------------ on_update

	def test_last_contacted_moves_forward_never_back(self):
		customer = f.make_customer("Forward Only Co", ignore_permissions=True).name
		contact = f.make_contact(customer, "Flo", ignore_permissions=True).name
		self.assertEqual((last_contacted(contact), last_interaction(customer)), (None, (None, None)))

		middle = f.make_interaction(
			customer, "middle", contact=contact, interaction_date=MIDDLE, ignore_permissions=True
		)
		self.assertEqual(last_contacted(contact), get_datetime(MIDDLE))
		self.assertEqual(last_interaction(customer), (get_datetime(MIDDLE),) * 2)

		f.make_interaction(
			customer, "newest", contact=contact, interaction_date=NEWEST, ignore_permissions=True
		)
		self.assertEqual(last_contacted(contact), get_datetime(NEWEST))
		self.assertEqual(last_interaction(customer), (get_datetime(NEWEST),) * 2)

		# an older interaction, inserted or re-dated later, never moves them back
		f.make_interaction(
			customer, "oldest", contact=contact, interaction_date=OLDEST, ignore_permissions=True
		)
		middle.interaction_date = OLDEST
		middle.save(ignore_permissions=True)
		self.assertEqual(last_contacted(contact), get_datetime(NEWEST))
		self.assertEqual(last_interaction(customer), (get_datetime(NEWEST),) * 2)

	def test_without_a_contact_only_the_customer_moves(self):
		customer = f.make_customer("No Contact Co", ignore_permissions=True).name
		bystander = f.make_contact(customer, "Bea", ignore_permissions=True).name
		f.make_interaction(customer, "email", interaction_date=NEWEST, ignore_permissions=True)
		self.assertEqual(last_interaction(customer), (get_datetime(NEWEST),) * 2)
		self.assertIsNone(last_contacted(bystander))
