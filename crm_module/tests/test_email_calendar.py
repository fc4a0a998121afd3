"""Email -> interactions and CRM dates <-> calendar Events (services/integrations/email_capture.py, calendar_sync.py).

Mail goes through Frappe's own paths: `InboundMail` with raw RFC822 messages on Email Accounts without
a mailbox (incoming disabled), and the desk composer (`communication.email.make`) for sent mail.

In production the capture is a background job queued after the mail's commit; most tests here ask for it at
once (`frappe.flags.crm_capture_mail_now`) to look at what it records. The tests of the job itself (queued
after commit, once per Communication, failures logged and retried) leave the flag off.
"""

import base64
import uuid
from datetime import timedelta
from unittest.mock import patch

import frappe
from frappe.core.doctype.communication.email import make
from frappe.email.receive import InboundMail
from frappe.utils import add_days, get_datetime, getdate, now_datetime, nowdate

from crm_module import constants
from crm_module.domain.mail import counterpart_order
from crm_module.exceptions import CRMInputError
from crm_module.services.integrations import calendar_sync, email_capture
from crm_module.tests import factories as f
from crm_module.tests.compat import IntegrationTestCase

ACCOUNT_1 = "CRM Test Sales Inbox"
ACCOUNT_2 = "CRM Test Support Inbox"
PDF = b"%PDF-1.4 crm test attachment"
TAG = uuid.uuid4().hex[:8]  # addresses of this run only (a committed earlier run cannot match)


def raw_mail(
	sender: str,
	to: str,
	subject: str,
	body: str,
	message_id: str | None = None,
	attachment: tuple[str, bytes] | None = None,
	in_reply_to: str | None = None,
) -> tuple[bytes, str]:
	"""An RFC822 message as a mail server hands it over, and its Message-ID (without brackets)."""
	message_id = message_id or f"{uuid.uuid4().hex}@mail.example.org"
	boundary = "crm-test-boundary"
	headers = [
		f"From: {sender}",
		f"To: {to}",
		f"Subject: {subject}",
		"Date: Mon, 02 Mar 2026 10:15:00 +0000",
		f"Message-ID: <{message_id}>",
		"MIME-Version: 1.0",
	]
	if in_reply_to:
		headers.append(f"In-Reply-To: <{in_reply_to}>")
	if attachment:
		filename, content = attachment
		headers.append(f'Content-Type: multipart/mixed; boundary="{boundary}"')
		parts = [
			f"--{boundary}",
			'Content-Type: text/plain; charset="utf-8"',
			"",
			body,
			f"--{boundary}",
			f'Content-Type: application/pdf; name="{filename}"',
			f'Content-Disposition: attachment; filename="{filename}"',
			"Content-Transfer-Encoding: base64",
			"",
			base64.b64encode(content).decode(),
			f"--{boundary}--",
		]
		text = "\r\n".join(headers) + "\r\n\r\n" + "\r\n".join(parts) + "\r\n"
	else:
		headers.append('Content-Type: text/plain; charset="utf-8"')
		text = "\r\n".join(headers) + "\r\n\r\n" + body + "\r\n"
	return text.encode(), message_id


def email_account(name: str, address: str, user: str | None = None) -> "frappe.Document":
	if not frappe.db.exists("Email Account", name):
		frappe.get_doc(
			{
				"doctype": "Email Account",
				"email_account_name": name,
				"email_id": address,
				"enable_incoming": 0,
				"enable_outgoing": 0,
				"awaiting_password": 1,
				"connected_user": user,
			}
		).insert(ignore_permissions=True)
	return frappe.get_doc("Email Account", name)


def receive(account, raw: bytes):
	"""What Frappe's mailbox pull does with one message."""
	return InboundMail(raw, account).process()


def interactions(**filters) -> list[dict]:
	return frappe.get_all(
		constants.INTERACTION,
		filters=filters,
		fields=[
			"name",
			"interaction_type",
			"direction",
			"subject",
			"description",
			"customer",
			"contact",
			"lead",
			"conducted_by",
			"owner",
			"message_id",
			"communication",
		],
	)


def set_setting(value: int) -> None:
	frappe.db.set_single_value(constants.SETTINGS, "create_leads_from_unknown_senders", value)


def received(sender: str, subject: str = "Capture job") -> "frappe.Document":
	"""A received email's Communication, inserted the way Frappe's mail pull does."""
	return frappe.get_doc(
		{
			"doctype": "Communication",
			"communication_medium": "Email",
			"sent_or_received": "Received",
			"subject": subject,
			"content": "x",
			"message_id": f"{uuid.uuid4().hex}@x.example",
			"sender": sender,
			"recipients": "sales@our-company.example",
			"email_account": ACCOUNT_1,
		}
	).insert(ignore_permissions=True)


def failure_logs(communication: str) -> list[str]:
	"""Titles of the Error Logs naming `communication`, oldest first."""
	return frappe.get_all(
		"Error Log",
		filters={"reference_doctype": "Communication", "reference_name": communication},
		pluck="method",
		order_by="creation asc",
	)


def enqueue_failing_for_capture(method, *args, **kwargs):
	"""`frappe.enqueue` with the job queue unreachable, for the capture job only."""
	if method == email_capture.JOB:
		raise ConnectionError("Error 111 connecting to redis queue")


class TestEmailCalendar(IntegrationTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.rep_a, cls.rep_b = f.rep(1), f.rep(2)
		cls.customer = f.make_customer(
			"Email Capture Corp",
			account_owner=cls.rep_a,
			email_id=f"office@capture-{TAG}.example",
			ignore_permissions=True,
		)
		cls.contact = f.make_contact(
			cls.customer.name,
			"Ada",
			last_name="Mailer",
			emails=[
				{"email_id": f"ada@capture-{TAG}.example", "is_primary": 1},
				{"email_id": f"ada.private@home-{TAG}.example"},
			],
			ignore_permissions=True,
		)
		cls.lead = f.make_lead(
			"Lena Lead", email_id=f"lena@lead-{TAG}.example", lead_owner=cls.rep_a, ignore_permissions=True
		)
		cls.account_1 = email_account(ACCOUNT_1, "sales@our-company.example", cls.rep_a)
		cls.account_2 = email_account(ACCOUNT_2, "support@our-company.example")

	def setUp(self):
		frappe.set_user("Administrator")
		set_setting(0)
		frappe.flags.crm_capture_mail_now = True

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.flags.crm_capture_mail_now = False

	# --- email -> interactions -------------------------------------------------------------------------

	def test_received_email_becomes_one_interaction_with_its_attachment(self):
		raw, message_id = raw_mail(
			f'"Ada Mailer" <ADA.Private@Home-{TAG}.example>',
			"sales@our-company.example",
			"Question about the renewal",
			"Hello,\nwhat does <the> renewal cost?",
			attachment=("quote-request.pdf", PDF),
		)
		frappe.db.set_value(constants.CONTACT, self.contact.name, "last_contacted_on", None)
		comm = receive(self.account_1, raw)
		rows = interactions(message_id=message_id)
		self.assertEqual(len(rows), 1)
		row = rows[0]
		self.assertEqual(row.interaction_type, "Email")
		self.assertEqual(row.direction, "Inbound")
		self.assertEqual(row.subject, "Question about the renewal")
		self.assertEqual((row.customer, row.contact, row.lead), (self.customer.name, self.contact.name, None))
		self.assertEqual(row.communication, comm.name)
		self.assertEqual(row.conducted_by, self.rep_a)  # inbound: the owner of the matched record
		self.assertIn("what does &lt;the&gt; renewal cost?", row.description)
		self.assertNotIn("<the>", row.description)  # sanitised text
		# the attachment, saved by Frappe after the Communication, is on the interaction too
		comm_files = frappe.get_all(
			"File",
			filters={"attached_to_doctype": "Communication", "attached_to_name": comm.name},
			fields=["file_url", "file_name"],
		)
		files = frappe.get_all(
			"File",
			filters={"attached_to_doctype": constants.INTERACTION, "attached_to_name": row.name},
			fields=["file_url", "file_name"],
		)
		self.assertEqual(len(comm_files), 1)
		self.assertEqual(
			[(x.file_url, x.file_name) for x in files], [(comm_files[0].file_url, comm_files[0].file_name)]
		)
		self.assertTrue(comm_files[0].file_name.startswith("quote-request"))
		# the interaction hooks saw it like any other: the contact's last contact, the timeline
		self.assertEqual(
			get_datetime(frappe.db.get_value(constants.CONTACT, self.contact.name, "last_contacted_on")),
			get_datetime(frappe.db.get_value(constants.INTERACTION, row.name, "interaction_date")),
		)
		self.assertTrue(
			frappe.db.exists(
				constants.TIMELINE, {"reference_doctype": constants.INTERACTION, "reference_name": row.name}
			)
		)

	def test_the_same_message_through_a_second_account_adds_nothing(self):
		raw, message_id = raw_mail(
			f"office@capture-{TAG}.example",
			"sales@our-company.example, support@our-company.example",
			"Hi both",
			"x",
		)
		receive(self.account_1, raw)
		receive(self.account_2, raw)  # Frappe finds the Communication by Message-ID
		# a second Communication with the same Message-ID (e.g. another site path) adds nothing either
		frappe.get_doc(
			{
				"doctype": "Communication",
				"communication_medium": "Email",
				"sent_or_received": "Received",
				"subject": "Hi both",
				"content": "x",
				"message_id": message_id,
				"sender": f"office@capture-{TAG}.example",
				"recipients": "support@our-company.example",
				"email_account": ACCOUNT_2,
			}
		).insert(ignore_permissions=True)
		self.assertEqual(frappe.db.count("Communication", {"message_id": message_id}), 2)
		rows = interactions(message_id=message_id)
		self.assertEqual(len(rows), 1)
		self.assertEqual((rows[0].customer, rows[0].contact), (self.customer.name, None))

	def test_lead_email_and_recipient_match(self):
		comm = frappe.get_doc(
			{
				"doctype": "Communication",
				"communication_medium": "Email",
				"sent_or_received": "Received",
				"subject": "Intro",
				"content": "<p>Hi <b>there</b></p>",
				"message_id": f"{uuid.uuid4().hex}@x.example",
				"sender": "someone-unknown@elsewhere.example",
				"recipients": "sales@our-company.example",
				"cc": f"Lena <LENA@lead-{TAG}.example>",
				"email_account": ACCOUNT_1,
			}
		).insert(ignore_permissions=True)
		rows = interactions(communication=comm.name)
		self.assertEqual(len(rows), 1)
		self.assertEqual((rows[0].lead, rows[0].customer), (self.lead.name, None))
		self.assertIn("there", rows[0].description)
		self.assertNotIn("<b>", rows[0].description)

	def test_sending_from_a_crm_form_records_an_outbound_interaction_and_replies_thread(self):
		with f.as_user(self.rep_a):
			sent = make(
				doctype=constants.CUSTOMER,
				name=self.customer.name,
				subject="Your renewal quote",
				content="<p>Please find the quote.</p>",
				recipients=f"ada@capture-{TAG}.example",
				send_email=False,
			)
		rows = interactions(communication=sent["name"])
		self.assertEqual(len(rows), 1)
		row = rows[0]
		self.assertEqual(row.direction, "Outbound")
		self.assertEqual((row.customer, row.contact), (self.customer.name, self.contact.name))
		self.assertEqual(row.conducted_by, self.rep_a)
		self.assertEqual(row.owner, self.rep_a)
		self.assertTrue(row.message_id)
		# the answer comes from an address the CRM does not know: it threads to the same customer
		sent_message_id = frappe.db.get_value("Communication", sent["name"], "message_id")
		raw, reply_id = raw_mail(
			"assistant@capture-corp-mail.example",
			"sales@our-company.example",
			"Re: Your renewal quote",
			"Thanks, we will sign.",
			in_reply_to=sent_message_id,
		)
		reply = receive(self.account_1, raw)
		self.assertEqual(reply.in_reply_to, sent["name"])
		rows = interactions(message_id=reply_id)
		self.assertEqual(len(rows), 1)
		self.assertEqual((rows[0].customer, rows[0].direction), (self.customer.name, "Inbound"))

	def test_unknown_sender_is_left_alone_unless_the_setting_creates_a_lead(self):
		before = frappe.db.count(constants.INTERACTION)
		raw, message_id = raw_mail(
			f'"Nina Newcomer" <nina@prospect-{TAG}.example>', "sales@our-company.example", "Pricing?", "Hi"
		)
		receive(self.account_1, raw)
		self.assertEqual(frappe.db.count(constants.INTERACTION), before)
		self.assertFalse(frappe.db.exists(constants.LEAD, {"email_id": f"nina@prospect-{TAG}.example"}))

		set_setting(1)
		raw, message_id = raw_mail(
			f'"Omar Other" <omar@prospect-{TAG}.example>', "sales@our-company.example", "Pricing?", "Hi"
		)
		receive(self.account_1, raw)
		lead = frappe.db.get_value(
			constants.LEAD,
			{"email_id": f"omar@prospect-{TAG}.example"},
			["name", "lead_name", "lead_owner", "source"],
			as_dict=True,
		)
		self.assertEqual(
			(lead.lead_name, lead.lead_owner, lead.source), ("Omar Other", self.rep_a, "Inbound")
		)
		rows = interactions(message_id=message_id)
		self.assertEqual([(r.lead, r.direction) for r in rows], [(lead.name, "Inbound")])
		# a mailbox without a user of its own: no rep gets the lead (the app's rule for unowned leads
		# leaves it to its creator, the system account that pulls the mail)
		raw, _ = raw_mail(f"pat@prospect-{TAG}.example", "support@our-company.example", "Help", "Hi")
		receive(self.account_2, raw)
		owner = frappe.db.get_value(constants.LEAD, {"email_id": f"pat@prospect-{TAG}.example"}, "lead_owner")
		self.assertIn(owner, (None, "", "Administrator"))
		# automated senders never become leads
		raw, _ = raw_mail("MAILER-DAEMON@relay.example", "sales@our-company.example", "Undeliverable", "x")
		receive(self.account_1, raw)
		self.assertFalse(frappe.db.exists(constants.LEAD, {"email_id": "mailer-daemon@relay.example"}))

	def test_a_rep_who_does_not_reach_the_customer_cannot_see_the_interaction(self):
		raw, message_id = raw_mail(f"ada@capture-{TAG}.example", "sales@our-company.example", "Private", "x")
		receive(self.account_1, raw)
		name = interactions(message_id=message_id)[0].name
		doc = frappe.get_doc(constants.INTERACTION, name)
		self.assertTrue(frappe.has_permission(constants.INTERACTION, "read", doc=doc, user=self.rep_a))
		self.assertFalse(frappe.has_permission(constants.INTERACTION, "read", doc=doc, user=self.rep_b))
		with f.as_user(self.rep_b):
			self.assertFalse(frappe.get_list(constants.INTERACTION, filters={"name": name}))
		with f.as_user(self.rep_a):
			self.assertTrue(frappe.get_list(constants.INTERACTION, filters={"name": name}))
			# the email fields are the app's: a rep cannot rewrite them
			doc = frappe.get_doc(constants.INTERACTION, name)
			doc.message_id = "forged@x"
			self.assertRaises(frappe.PermissionError, doc.save)

	def test_non_email_communications_are_ignored(self):
		before = frappe.db.count(constants.INTERACTION)
		frappe.get_doc(
			{
				"doctype": "Communication",
				"communication_type": "Comment",
				"communication_medium": "Email",
				"content": "note",
				"sender": f"ada@capture-{TAG}.example",
			}
		).insert(ignore_permissions=True)
		self.assertEqual(frappe.db.count(constants.INTERACTION), before)

	# --- the capture job: after the commit, once, failures logged and retried --------------------------

	def test_the_capture_is_queued_after_the_commit_once_per_communication(self):
		frappe.flags.crm_capture_mail_now = False
		with patch("frappe.enqueue") as enqueue:
			comm = received(f"ada@capture-{TAG}.example")
			email_capture.queue_capture(comm.name)  # asked again for the same mail (e.g. by the retry)
		self.assertEqual(interactions(communication=comm.name), [])  # nothing inside the mail's insert
		calls = [c for c in enqueue.call_args_list if c.args[:1] == (email_capture.JOB,)]
		expected = {
			"queue": "short",
			"enqueue_after_commit": True,
			"job_id": f"crm_email_capture::{comm.name}",
			"deduplicate": True,
			"communication": comm.name,
		}
		self.assertEqual([c.kwargs for c in calls], [expected, expected])
		self.assertIs(frappe.get_attr(email_capture.JOB), email_capture.capture_job)
		# should both jobs run (Frappe skips a job only while one with its id waits or runs): one interaction
		job = frappe.get_attr(email_capture.JOB)
		first, second = (job(communication=c.kwargs["communication"]) for c in calls)
		rows = interactions(communication=comm.name)
		self.assertEqual([r.name for r in rows], [first])
		self.assertIsNone(second)
		self.assertEqual((rows[0].customer, rows[0].contact), (self.customer.name, self.contact.name))
		self.assertEqual(failure_logs(comm.name), [])

	def test_a_capture_that_raises_leaves_the_mail_stored_and_the_retry_records_it_once(self):
		# the harshest place: the job run inside the mail's own insert (tests only)
		with patch.object(email_capture, "match_addresses", side_effect=RuntimeError("matching broke")):
			comm = received(f"ada@capture-{TAG}.example", "Renewal, take two")
		self.assertTrue(frappe.db.exists("Communication", comm.name))  # the insert returned, the mail is kept
		self.assertEqual(frappe.db.get_value("Communication", comm.name, "subject"), "Renewal, take two")
		self.assertEqual(interactions(communication=comm.name), [])
		self.assertEqual(failure_logs(comm.name), [f"CRM email capture failed: Communication {comm.name}"])
		log = frappe.get_all(
			"Error Log", filters={"reference_name": comm.name}, fields=["reference_doctype", "error"]
		)[0]
		self.assertEqual(log.reference_doctype, "Communication")
		self.assertIn("matching broke", log.error)

		# the fault is gone: the hourly retry records the mail, once
		done = email_capture.retry_failed()
		self.assertEqual(done["retried"].count(comm.name), 1)
		self.assertNotIn(comm.name, done["given up"])
		rows = interactions(communication=comm.name)
		self.assertEqual(
			[(r.customer, r.contact, r.direction) for r in rows],
			[(self.customer.name, self.contact.name, "Inbound")],
		)
		self.assertEqual(
			failure_logs(comm.name), [f"CRM email capture failed (retried): Communication {comm.name}"]
		)
		done = email_capture.retry_failed()  # a handled failure is not tried again
		self.assertNotIn(comm.name, done["retried"] + done["given up"])
		self.assertEqual(len(interactions(communication=comm.name)), 1)

	def test_a_capture_that_keeps_failing_is_tried_three_times_and_leaves_nothing_half_made(self):
		set_setting(1)  # an unknown sender: the capture inserts a lead before the interaction fails
		sender = f"ivan@prospect-{TAG}.example"
		title = "CRM email capture failed{}: Communication {}"
		with patch.object(email_capture, "insert_interaction", side_effect=RuntimeError("insert broke")):
			comm = received(f'"Ivan Unlucky" <{sender}>')
			self.assertEqual(failure_logs(comm.name), [title.format("", comm.name)])
			for tries, state in ((2, "retried"), (3, "retried"), (3, "given up")):
				done = email_capture.retry_failed()
				self.assertEqual(done[state].count(comm.name), 1)
				self.assertEqual(len(failure_logs(comm.name)), tries)
			done = email_capture.retry_failed()
			self.assertNotIn(comm.name, done["retried"] + done["given up"])
		self.assertEqual(
			failure_logs(comm.name),
			[
				title.format(" (retried)", comm.name),
				title.format(" (retried)", comm.name),
				title.format(" (given up)", comm.name),
			],
		)
		self.assertFalse(frappe.db.exists(constants.LEAD, {"email_id": sender}))  # each try rolled back
		self.assertEqual(interactions(communication=comm.name), [])
		self.assertTrue(frappe.db.exists("Communication", comm.name))

	def test_an_unreachable_job_queue_never_reaches_the_mail(self):
		frappe.flags.crm_capture_mail_now = False
		with patch("frappe.enqueue", side_effect=enqueue_failing_for_capture):
			comm = received(f"office@capture-{TAG}.example")
		self.assertTrue(frappe.db.exists("Communication", comm.name))
		self.assertEqual(failure_logs(comm.name), [f"CRM email capture failed: Communication {comm.name}"])
		frappe.flags.crm_capture_mail_now = True
		email_capture.retry_failed()
		rows = interactions(communication=comm.name)
		self.assertEqual([(r.customer, r.contact) for r in rows], [(self.customer.name, None)])

	# --- calendar --------------------------------------------------------------------------------------

	def test_meeting_event_round_trip(self):
		start = get_datetime(add_days(nowdate(), 3) + " 14:00:00")
		with f.as_user(self.rep_a):
			meeting = f.make_interaction(
				self.customer.name,
				"Quarterly review",
				interaction_type="Meeting",
				interaction_date=start,
				duration_minutes=45,
				contact=self.contact.name,
			)
		meeting.reload()
		self.assertTrue(meeting.event)
		event = frappe.get_doc("Event", meeting.event)
		self.assertEqual((event.owner, event.event_type, event.status), (self.rep_a, "Private", "Open"))
		self.assertEqual(get_datetime(event.starts_on), start)
		self.assertEqual(get_datetime(event.ends_on), start + timedelta(minutes=45))
		self.assertEqual(
			[(p.reference_doctype, p.reference_docname) for p in event.event_participants],
			[(constants.CONTACT, self.contact.name)],
		)
		# private to the conducting rep
		with f.as_user(self.rep_b):
			self.assertFalse(frappe.get_list("Event", filters={"name": event.name}))
		with f.as_user(self.rep_a):
			self.assertTrue(frappe.get_list("Event", filters={"name": event.name}))

		# the interaction changes -> the Event follows (the same Event)
		later = start + timedelta(days=1)
		with f.as_user(self.rep_a):
			meeting.reload()
			meeting.subject = "Quarterly business review"
			meeting.interaction_date = later
			meeting.save()
		event.reload()
		self.assertEqual((event.subject, get_datetime(event.starts_on)), ("Quarterly business review", later))
		self.assertEqual(frappe.db.count("Event", {"subject": ("like", "Quarterly%")}), 1)

		# the rep moves the Event in their calendar -> the interaction moves
		moved = later + timedelta(hours=2)
		with f.as_user(self.rep_a):
			event.reload()
			event.starts_on = moved
			event.ends_on = moved + timedelta(minutes=90)
			event.save()
		meeting.reload()
		self.assertEqual(get_datetime(meeting.interaction_date), moved)
		self.assertEqual(meeting.duration_minutes, 90)
		self.assertEqual(meeting.cancelled, 0)

		# cancelling the Event cancels the meeting
		with f.as_user(self.rep_a):
			event.reload()
			event.status = "Cancelled"
			event.save()
		meeting.reload()
		self.assertEqual(meeting.cancelled, 1)
		self.assertEqual(get_datetime(meeting.interaction_date), moved)

		# the desk calendar shows it to the rep (end from the duration), not to another rep
		with f.as_user(self.rep_a):
			shown = calendar_sync.calendar_events(
				str(moved - timedelta(days=1)), str(moved + timedelta(days=1))
			)
		row = next(r for r in shown if r.name == meeting.name)
		self.assertEqual(get_datetime(row.interaction_end), moved + timedelta(minutes=90))
		with f.as_user(self.rep_b):
			shown = calendar_sync.calendar_events(
				str(moved - timedelta(days=1)), str(moved + timedelta(days=1))
			)
		self.assertNotIn(meeting.name, [r.name for r in shown])
		with f.as_user(self.rep_a), self.assertRaisesRegex(CRMInputError, "start must be a date"):
			calendar_sync.calendar_events("soon", str(moved))

		# deleting the interaction deletes its Event
		# (force: its activity timeline entry links it, and Frappe refuses to delete linked records)
		frappe.delete_doc(constants.INTERACTION, meeting.name, ignore_permissions=True, force=True)
		self.assertFalse(frappe.db.exists("Event", event.name))

	def test_an_event_deleted_from_the_calendar_unlinks_the_meeting(self):
		with f.as_user(self.rep_a):
			meeting = f.make_interaction(
				self.customer.name, "Site visit", interaction_type="Meeting", interaction_date=now_datetime()
			)
		meeting.reload()
		frappe.delete_doc("Event", meeting.event)  # Frappe lets System Managers delete Events
		self.assertIsNone(frappe.db.get_value(constants.INTERACTION, meeting.name, "event"))

	def test_next_step_date_and_lead_follow_up_in_the_owners_calendar(self):
		with f.as_user(self.rep_a):
			call = f.make_interaction(
				self.customer.name,
				"Discovery call",
				next_step="Send proposal",
				next_step_date=add_days(nowdate(), 5),
			)
		call.reload()
		self.assertFalse(call.event)  # a call has no meeting Event
		event = frappe.get_doc("Event", call.next_step_event)
		self.assertEqual((event.owner, event.all_day, event.event_type), (self.rep_a, 1, "Private"))
		self.assertEqual(getdate(event.starts_on), getdate(add_days(nowdate(), 5)))

		lead = f.make_lead("Felix Follow", lead_owner=self.rep_a, ignore_permissions=True)
		self.assertFalse(frappe.db.get_value(constants.LEAD, lead.name, "follow_up_event"))
		with f.as_user(self.rep_a):
			lead.reload()
			lead.follow_up_date = add_days(nowdate(), 2)
			lead.save()
		lead.reload()
		first = lead.follow_up_event
		event = frappe.get_doc("Event", first)
		self.assertEqual((event.owner, event.all_day, event.event_type), (self.rep_a, 1, "Private"))
		self.assertEqual(getdate(event.starts_on), getdate(add_days(nowdate(), 2)))
		self.assertIn("Felix Follow", event.subject)
		# a new date moves the same Event; moving the Event moves the follow-up date
		with f.as_user(self.rep_a):
			lead.follow_up_date = add_days(nowdate(), 4)
			lead.save()
			lead.reload()
			self.assertEqual(lead.follow_up_event, first)
			self.assertEqual(
				getdate(frappe.db.get_value("Event", first, "starts_on")), getdate(add_days(nowdate(), 4))
			)
			event.reload()
			event.starts_on = get_datetime(add_days(nowdate(), 6))
			event.save()
		self.assertEqual(
			getdate(frappe.db.get_value(constants.LEAD, lead.name, "follow_up_date")),
			getdate(add_days(nowdate(), 6)),
		)
		# cleared -> gone
		with f.as_user(self.rep_a):
			lead.reload()
			lead.follow_up_date = None
			lead.save()
		self.assertFalse(frappe.db.exists("Event", first))
		self.assertFalse(frappe.db.get_value(constants.LEAD, lead.name, "follow_up_event"))

	def test_matching_is_one_query_per_doctype(self):
		"""Contacts, customers, leads: three indexed look-ups, whatever the number of addresses."""
		ordered = counterpart_order(
			f"ADA@capture-{TAG}.example",
			", ".join(f"r{i}@nowhere.example" for i in range(30)) + f", lena@lead-{TAG}.example",
			f"office@capture-{TAG}.example",
			inbound=True,
		)
		with self.assertQueryCount(3):
			matched = email_capture.match_addresses(ordered)
		self.assertEqual([m.name for m in matched[f"ada@capture-{TAG}.example"]], [self.contact.name])
		self.assertEqual([m.name for m in matched[f"lena@lead-{TAG}.example"]], [self.lead.name])
		self.assertEqual([m.kind for m in matched[f"office@capture-{TAG}.example"]], ["customer"])
		self.assertEqual(len(matched), 3)
