"""Email Templates on CRM forms (issue 21 §3; services/integrations/mail_templates.py).

Templates are rendered the way the desk composer does it: `get_email_template(name, doc)` with the open
form's document as JSON. The interaction recording a mail names the template it was written from.
"""

import uuid

import frappe
from frappe.core.doctype.communication.email import make
from frappe.email.doctype.email_template.email_template import get_email_template
from frappe.utils import fmt_money

from crm_module import constants
from crm_module.exceptions import CRMProtectedFieldError
from crm_module.patches.v0_8 import email_templates as patch
from crm_module.services.integrations import mail_templates
from crm_module.tests import factories as f
from crm_module.tests.compat import IntegrationTestCase

FOLLOW_UP = "CRM: Follow-up after a call"
PROPOSAL = "CRM: Proposal sent"
RENEWAL = "CRM: Renewal reminder"
TAG = uuid.uuid4().hex[:8]


def render(template: str, doc) -> dict:
	"""What the composer gets for `doc`'s form (the form sends its document as JSON)."""
	return get_email_template(template, frappe.as_json(doc.as_dict()))


class TestEmailTemplates(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.rep = f.make_user("crm.tpl.rep@example.com", (constants.ROLE_USER,), "Rita", "Rep")
		cls.other_rep = f.rep(2)
		cls.customer = f.make_customer(f"Template Corp {TAG}", account_owner=cls.rep, ignore_permissions=True)
		cls.contact = f.make_contact(
			cls.customer.name,
			"Ada",
			last_name="Lovelace",
			is_primary=1,
			emails=[{"email_id": f"ada@tpl-{TAG}.example", "is_primary": 1}],
			ignore_permissions=True,
		)
		cls.opportunity = f.make_opportunity(
			cls.customer.name,
			"Renewal 2027",
			value=12500,
			contact=cls.contact.name,
			opportunity_owner=cls.rep,
			ignore_permissions=True,
		)
		cls.lead = f.make_lead(
			"Grace Hopper", company_name="Hopper Labs", lead_owner=cls.rep, ignore_permissions=True
		)
		cls.value = fmt_money(12500, currency=cls.opportunity.currency)

	def setUp(self):
		frappe.set_user(self.rep)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.flags.crm_capture_mail_now = False

	def test_the_templates_are_installed_with_names_of_their_own(self):
		for name in (FOLLOW_UP, PROPOSAL, RENEWAL):
			self.assertTrue(frappe.db.exists("Email Template", name), name)
		# ERPNext installs "Dispatch Notification"; Frappe CRM none: the "CRM: " prefix keeps clear of both
		self.assertEqual(sorted(mail_templates.TEMPLATES), [FOLLOW_UP, PROPOSAL, RENEWAL])
		self.assertTrue(all(name.startswith("CRM: ") for name in mail_templates.TEMPLATES))
		for template in mail_templates.TEMPLATES.values():
			self.assertLessEqual(len(template["subject"]), 140)  # Email Template.subject is Data

	def test_the_patch_adds_a_missing_template_and_leaves_an_edited_one(self):
		frappe.set_user("Administrator")
		frappe.db.set_value("Email Template", PROPOSAL, "subject", "Our offer")
		frappe.delete_doc("Email Template", RENEWAL, ignore_permissions=True)
		patch.execute()
		self.assertEqual(frappe.db.get_value("Email Template", PROPOSAL, "subject"), "Our offer")
		self.assertEqual(
			frappe.db.get_value("Email Template", RENEWAL, "subject"),
			mail_templates.TEMPLATES[RENEWAL]["subject"],
		)
		self.assertEqual(mail_templates.ensure_templates(), [])  # run twice, same site

	def test_proposal_on_an_opportunity(self):
		mail = render(PROPOSAL, self.opportunity)
		self.assertEqual(mail["subject"], "Our proposal: Renewal 2027")
		self.assertEqual(
			mail["message"],
			"<p>Hi Ada,</p>\n"
			f"<p>Please find our proposal attached for Renewal 2027 (Template Corp {TAG}).</p>\n"
			f"<p>Total: {self.value}</p>\n"
			"<p>I am happy to go through it with you; just reply to this email.</p>\n"
			"<p>Best regards,<br>Rita Rep</p>",
		)

	def test_each_crm_form_gets_the_same_fields(self):
		expected = {
			constants.OPPORTUNITY: ("Ada", f"Template Corp {TAG}", "Renewal 2027", self.value),
			constants.CUSTOMER: ("Ada", f"Template Corp {TAG}", "Renewal 2027", self.value),
			constants.CONTACT: ("Ada", f"Template Corp {TAG}", "Renewal 2027", self.value),
			constants.LEAD: ("Grace", "Hopper Labs", "", ""),
		}
		docs = {
			constants.OPPORTUNITY: self.opportunity,
			constants.CUSTOMER: self.customer,
			constants.CONTACT: self.contact,
			constants.LEAD: self.lead,
		}
		for doctype, doc in docs.items():
			fields = mail_templates.crm_mail_fields(doctype, doc.name)
			self.assertEqual(
				(fields["first_name"], fields["customer"], fields["opportunity"], fields["value"]),
				expected[doctype],
				doctype,
			)
			self.assertEqual(fields["owner"], "Rita Rep", doctype)
			for template in (FOLLOW_UP, PROPOSAL, RENEWAL):
				mail = render(template, doc)
				text = mail["subject"] + mail["message"]
				# nothing left unrendered (Frappe's Jinja prints an undefined name as "{{ name }}")
				self.assertNotIn("{{", text, (doctype, template))
				self.assertNotIn("{%", text, (doctype, template))
				self.assertIn(f"<p>Hi {expected[doctype][0]},</p>", mail["message"], (doctype, template))
				self.assertIn("Rita Rep</p>", mail["message"], (doctype, template))

	def test_renewal_on_a_lead_without_a_deal_and_the_follow_up_on_a_customer(self):
		renewal = render(RENEWAL, self.lead)
		self.assertEqual(renewal["subject"], "Your renewal is coming up")
		self.assertEqual(
			renewal["message"],
			"<p>Hi Grace,</p>\n"
			"<p>Your agreement with us (Hopper Labs) is coming up for renewal.</p>\n"
			"<p>Shall we schedule a short call to review it?</p>\n"
			"<p>Best regards,<br>Rita Rep</p>",
		)
		follow_up = render(FOLLOW_UP, self.customer)
		self.assertEqual(follow_up["subject"], "Following up on our call")
		self.assertIn(f"on the phone today about Template Corp {TAG}.", follow_up["message"])
		self.assertIn(f"<p>Regarding Renewal 2027 ({self.value}): </p>", follow_up["message"])

	def test_a_user_who_cannot_read_the_record_gets_no_crm_fields(self):
		frappe.set_user(self.other_rep)
		self.assertFalse(frappe.has_permission(constants.OPPORTUNITY, "read", doc=self.opportunity.name))
		mail = get_email_template(
			PROPOSAL, frappe.as_json({"doctype": constants.OPPORTUNITY, "name": self.opportunity.name})
		)
		self.assertTrue(mail["message"].startswith("<p>Hi there,</p>"))
		self.assertNotIn("Template Corp", mail["message"])
		self.assertNotIn("12,500", mail["message"])
		self.assertEqual(
			mail_templates.crm_mail_fields(constants.CUSTOMER, self.customer.name),
			{"first_name": "", "customer": "", "owner": "", "opportunity": "", "value": ""},
		)

	def test_the_interaction_records_the_template_the_mail_was_written_from(self):
		frappe.flags.crm_capture_mail_now = True
		mail = render(PROPOSAL, self.opportunity)
		sent = make(
			doctype=constants.OPPORTUNITY,
			name=self.opportunity.name,
			subject=mail["subject"],
			content=mail["message"],
			recipients=f"ada@tpl-{TAG}.example",
			email_template=PROPOSAL,
			send_email=False,
		)
		rows = frappe.get_all(
			constants.INTERACTION,
			filters={"communication": sent["name"]},
			fields=["email_template", "opportunity", "contact", "direction", "subject"],
		)
		self.assertEqual(len(rows), 1)
		self.assertEqual(
			(rows[0].email_template, rows[0].opportunity, rows[0].contact, rows[0].direction),
			(PROPOSAL, self.opportunity.name, self.contact.name, "Outbound"),
		)
		self.assertEqual(rows[0].subject, "Our proposal: Renewal 2027")
		# a mail written without a template records none
		plain = make(
			doctype=constants.OPPORTUNITY,
			name=self.opportunity.name,
			subject="Quick question",
			content="<p>Free text</p>",
			recipients=f"ada@tpl-{TAG}.example",
			send_email=False,
		)
		self.assertIsNone(
			frappe.db.get_value(constants.INTERACTION, {"communication": plain["name"]}, "email_template")
		)

	def test_a_crm_user_cannot_set_the_template_of_an_interaction(self):
		with self.assertRaises(CRMProtectedFieldError):
			f.make_interaction(self.customer.name, "Logged by hand", email_template=PROPOSAL)
