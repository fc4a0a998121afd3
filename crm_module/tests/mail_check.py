"""The mail tier's checks (scripts/mail_tier.sh): Frappe Email Accounts against a real IMAP and SMTP server.

Run by the tier on a throwaway site as
`bench --site S execute crm_module.tests.mail_check.run --kwargs "{'imap_port': …, 'smtp_port': …, 'password': …}"`
once it has started Dovecot (IMAP) and Exim (SMTP) on 127.0.0.1 with the mailboxes rep@crm.test,
other@crm.test, customer@outside.test and stranger@outside.test (one password). Mail travels for real: sent
with smtplib to the SMTP server, delivered by it into the mailboxes, pulled by Frappe over IMAP with
`pull_from_email_account` (what the scheduler's `pull` queues per account), replies sent by Frappe's Email
Queue through the SMTP server and read back over IMAP with imaplib.

The capture of a Communication runs in a background job queued after commit (`email_capture.queue_capture`).
Here no worker runs: `queued_captures` lets the real `frappe.enqueue` calls happen, keeps the capture jobs
among them, and the check runs each one as the worker would, after the pull has committed.

Each check prints PASS or FAIL with what it saw; the last lines are `mail checks: N passed, M failed` and
`mail proved: …`, which the tier puts in its summary. Not a unit-test module: it needs the servers.
"""

import email
import imaplib
import smtplib
import time
import uuid
from contextlib import contextmanager
from email.message import EmailMessage
from email.utils import make_msgid

import frappe
from frappe.email.doctype.email_account.email_account import pull_from_email_account
from frappe.utils import get_files_path

from crm_module import constants
from crm_module.services.integrations import email_capture
from crm_module.tests import factories as f

HOST = "127.0.0.1"
REP = "rep@crm.test"
OTHER = "other@crm.test"
CUSTOMER = "customer@outside.test"
STRANGER = "stranger@outside.test"
REP_ACCOUNT = "CRM Rep Mailbox"
OTHER_ACCOUNT = "CRM Other Mailbox"
ATTACHMENT = b"Quote 2026-117: 40 seats, 12 months, EUR 9,600.\n"


class MailCheck:
	def __init__(self, imap_port: int, smtp_port: int, password: str):
		self.imap_port = int(imap_port)
		self.smtp_port = int(smtp_port)
		self.password = password
		self.passed: list[str] = []
		self.failed: list[str] = []
		self.tag = uuid.uuid4().hex[:6]
		self.failed_on_purpose = ""  # the Communication whose capture `capture_that_raises` breaks

	# --- reporting ----------------------------------------------------------------------------------------

	def check(self, label: str, ok: bool, seen) -> bool:
		print(f"{'PASS' if ok else 'FAIL'}: {label} ({seen})", flush=True)
		(self.passed if ok else self.failed).append(label)
		return ok

	# --- the servers --------------------------------------------------------------------------------------

	def send(
		self, sender: str, to: list[str], subject: str, body: str, attachment: bytes | None = None
	) -> str:
		"""A mail from outside, handed to the SMTP server; returns its Message-ID."""
		message = EmailMessage()
		message["From"] = sender
		message["To"] = ", ".join(to)
		message["Subject"] = subject
		message["Message-ID"] = make_msgid(domain="outside.test")
		message.set_content(body)
		if attachment is not None:
			message.add_attachment(
				attachment, maintype="text", subtype="plain", filename="quote-2026-117.txt"
			)
		with smtplib.SMTP(HOST, self.smtp_port, timeout=10) as smtp:
			smtp.send_message(message)
		return message["Message-ID"]

	def mailbox(self, address: str, subject: str, wait: float = 15.0) -> list[email.message.Message]:
		"""The messages with `subject` in the mailbox's INBOX, read over IMAP without marking them seen;
		waits up to `wait` s for the server's delivery."""
		deadline = time.monotonic() + wait
		while True:
			imap = imaplib.IMAP4(HOST, self.imap_port, timeout=10)
			try:
				imap.login(address, self.password)
				imap.select("INBOX", readonly=True)
				_, data = imap.search(None, "SUBJECT", f'"{subject}"')
				found = []
				for number in data[0].split():
					_, parts = imap.fetch(number, "(BODY.PEEK[])")
					found.append(email.message_from_bytes(parts[0][1]))
			finally:
				imap.logout()
			if found or time.monotonic() >= deadline:
				return found
			time.sleep(0.2)

	# --- the site -----------------------------------------------------------------------------------------

	def email_account(self, name: str, address: str, outgoing: bool) -> None:
		"""An Email Account as a user sets one up for a plain loopback server: IMAP without SSL/STARTTLS,
		SMTP without TLS, both logging in with the mailbox's address and password (Frappe logs in to the
		SMTP server whenever the account has a password). Frappe connects to both servers when it saves one."""
		frappe.get_doc(
			{
				"doctype": "Email Account",
				"email_account_name": name,
				"email_id": address,
				"password": self.password,
				"awaiting_password": 0,
				"enable_incoming": 1,
				"use_imap": 1,
				"email_server": HOST,
				"incoming_port": self.imap_port,
				"use_ssl": 0,
				"use_starttls": 0,
				"email_sync_option": "UNSEEN",
				"imap_folder": [{"folder_name": "INBOX"}],
				"enable_outgoing": int(outgoing),
				"default_outgoing": int(outgoing),
				"smtp_server": HOST if outgoing else None,
				"smtp_port": self.smtp_port if outgoing else None,
				"use_tls": 0,
				"use_ssl_for_outgoing": 0,
				"no_smtp_authentication": 0,
				"create_contact": 0,
			}
		).insert(ignore_permissions=True)

	def setup(self) -> None:
		frappe.set_user("Administrator")
		self.rep = f.make_user(REP, (constants.ROLE_USER,), first_name="Rita", last_name="Rep")
		self.customer = f.make_customer(
			f"Outside Trading {self.tag}", account_owner=self.rep, ignore_permissions=True
		)
		self.contact = f.make_contact(
			self.customer.name,
			"Carla",
			last_name="Customer",
			emails=[{"email_id": CUSTOMER, "is_primary": 1}],
			ignore_permissions=True,
		)
		self.email_account(REP_ACCOUNT, REP, outgoing=True)
		self.email_account(OTHER_ACCOUNT, OTHER, outgoing=False)
		frappe.db.set_single_value(constants.SETTINGS, "create_leads_from_unknown_senders", 0)
		frappe.db.commit()

	@contextmanager
	def queued_captures(self):
		"""Every `frappe.enqueue` goes through; the capture jobs among them are also kept (their kwargs)."""
		jobs: list[dict] = []
		real = frappe.enqueue

		def enqueue(method, *args, **kwargs):
			if method == email_capture.JOB:
				jobs.append(kwargs)
				return None  # no worker here: `run_captures` runs it
			return real(method, *args, **kwargs)

		frappe.enqueue = enqueue
		try:
			yield jobs
		finally:
			frappe.enqueue = real

	def run_captures(self, jobs: list[dict]) -> None:
		"""The queued capture jobs, run as the worker runs them (its own commit)."""
		for job in jobs:
			email_capture.capture_job(job["communication"])
			frappe.db.commit()

	def pull(self, *accounts: str) -> list[dict]:
		"""The accounts pulled as the scheduler's job does, then their capture jobs run; returns the jobs."""
		with self.queued_captures() as jobs:
			for account in accounts:
				pull_from_email_account(account)
				frappe.db.commit()
		self.run_captures(jobs)
		return jobs

	def interactions(self, **filters) -> list:
		return frappe.get_all(
			constants.INTERACTION,
			filters=filters,
			fields=["name", "direction", "customer", "contact", "lead", "communication", "message_id"],
		)

	# --- the checks ---------------------------------------------------------------------------------------

	def inbound_with_attachment(self) -> None:
		subject = f"Question about our quote {self.tag}"
		message_id = self.send(
			CUSTOMER, [REP], subject, "Hello Rita,\nplease see the attached quote.\nCarla", ATTACHMENT
		)
		self.check(
			"delivered by SMTP into rep@crm.test's mailbox", len(self.mailbox(REP, subject)) == 1, subject
		)
		with self.queued_captures() as jobs:
			pull_from_email_account(REP_ACCOUNT)
			frappe.db.commit()
			comms = frappe.get_all(
				"Communication",
				filters={"subject": subject},
				fields=["name", "sent_or_received", "email_account"],
			)
			before = len(self.interactions(communication=("in", [c.name for c in comms] or [""])))
		self.check(
			"pulled over IMAP as one received Communication",
			[(c.sent_or_received, c.email_account) for c in comms] == [("Received", REP_ACCOUNT)],
			comms,
		)
		if not comms:
			return
		comm = comms[0].name
		mine = [job for job in jobs if job.get("communication") == comm]
		self.check(
			"its capture queued once, after commit, as a deduplicated job",
			before == 0
			and len(mine) == 1
			and mine[0].get("enqueue_after_commit") is True
			and mine[0].get("deduplicate") is True
			and mine[0].get("job_id") == email_capture.job_id(comm),
			f"{len(mine)} job(s), {before} interaction(s) before the job ran",
		)
		self.run_captures(jobs)
		self.run_captures(jobs)  # the job again (a retry): still one interaction
		rows = self.interactions(communication=comm)
		self.check(
			"one inbound CRM Interaction on the contact who sent it",
			[(r.direction, r.contact, r.customer, r.message_id) for r in rows]
			== [("Inbound", self.contact.name, self.customer.name, message_id.strip("<>"))],
			rows,
		)
		files = frappe.get_all(
			"File",
			filters={
				"attached_to_doctype": constants.INTERACTION,
				"attached_to_name": rows[0].name if rows else "",
			},
			fields=["file_name", "file_url", "is_private"],
		)
		content = None
		if len(files) == 1:
			path = get_files_path(files[0].file_url.rsplit("/", 1)[-1], is_private=files[0].is_private)
			with open(path, "rb") as stored:
				content = stored.read()
		self.check(
			"the attachment on the interaction, byte for byte",
			len(files) == 1 and files[0].file_name == "quote-2026-117.txt" and content == ATTACHMENT,
			[(x.file_name, x.file_url) for x in files],
		)

	def reply_from_the_desk(self) -> None:
		subject = f"Your quote, revised {self.tag}"
		from frappe.core.doctype.communication.email import make

		with self.queued_captures() as jobs:
			frappe.set_user(self.rep)
			try:
				sent = make(
					doctype=constants.CONTACT,
					name=self.contact.name,
					subject=subject,
					content="<p>Dear Carla,</p><p>here is the revised quote: 36 seats.</p>",
					recipients=CUSTOMER,
					send_email=1,
				)
			finally:
				frappe.set_user("Administrator")
			frappe.db.commit()
		queue = frappe.get_all(
			"Email Queue", filters={"communication": sent["name"]}, fields=["name", "status"]
		)
		for row in queue:
			frappe.get_doc("Email Queue", row.name).send()  # what the scheduler's `flush` does per mail
		frappe.db.commit()
		statuses = frappe.get_all("Email Queue", filters={"communication": sent["name"]}, pluck="status")
		self.check("the composer's mail sent from the Email Queue", statuses == ["Sent"], statuses)
		found = self.mailbox(CUSTOMER, subject)
		body = ""
		if len(found) == 1:
			for part in found[0].walk():
				if part.get_content_type() in ("text/plain", "text/html"):
					body += part.get_payload(decode=True).decode(errors="replace")
		self.check(
			"delivered by SMTP into customer@outside.test's mailbox, found over IMAP",
			len(found) == 1
			and "36 seats" in body
			and REP in (found[0]["From"] or "") + (found[0]["Reply-To"] or ""),
			[(m["From"], m["To"], m["Subject"]) for m in found],
		)
		self.run_captures(jobs)
		rows = self.interactions(communication=sent["name"])
		self.check(
			"one outbound CRM Interaction on the contact",
			[(r.direction, r.contact, r.customer) for r in rows]
			== [("Outbound", self.contact.name, self.customer.name)],
			rows,
		)

	def one_message_two_accounts(self) -> None:
		subject = f"For both of you {self.tag}"
		message_id = self.send(CUSTOMER, [REP, OTHER], subject, "Same mail to the rep and to the office.")
		in_boxes = [len(self.mailbox(address, subject)) for address in (REP, OTHER)]
		self.check("delivered into both mailboxes", in_boxes == [1, 1], in_boxes)
		self.pull(REP_ACCOUNT, OTHER_ACCOUNT)
		self.pull(OTHER_ACCOUNT, REP_ACCOUNT)  # either order, pulled again
		comms = frappe.get_all("Communication", filters={"subject": subject}, pluck="name")
		rows = self.interactions(message_id=message_id.strip("<>"))
		by_comm = self.interactions(communication=("in", comms or [""]))
		self.check(
			"pulled through two Email Accounts: one interaction",
			len(rows) == 1 and len(by_comm) == 1 and rows[0].contact == self.contact.name,
			f"{len(comms)} Communication(s), {len(rows)} interaction(s)",
		)

	def capture_that_raises(self) -> None:
		subject = f"Meeting notes {self.tag}"
		self.send(CUSTOMER, [REP], subject, "Notes from today's call.")
		self.mailbox(REP, subject)
		real = email_capture.capture

		def broken(comm):
			raise RuntimeError("capture broken on purpose")

		email_capture.capture = broken
		try:
			self.pull(REP_ACCOUNT)
		finally:
			email_capture.capture = real
		comms = frappe.get_all("Communication", filters={"subject": subject}, pluck="name")
		logged = frappe.get_all(
			"Error Log",
			filters={"method": email_capture.failed_title(comms[0]) if comms else ""},
			pluck="name",
		)
		self.check(
			"a capture that raises: the mail is stored all the same, the failure in Error Log",
			len(comms) == 1 and not self.interactions(communication=comms[0]) and len(logged) == 1,
			f"{len(comms)} Communication(s), {len(logged)} Error Log(s)",
		)
		if not comms:
			return
		self.failed_on_purpose = comms[0]
		with self.queued_captures() as jobs:
			done = email_capture.retry_failed()
			frappe.db.commit()
		self.run_captures(jobs)
		rows = self.interactions(communication=comms[0])
		self.check(
			"the hourly retry records it: one interaction on the contact",
			done["retried"] == [comms[0]] and [r.contact for r in rows] == [self.contact.name],
			f"retried {done['retried']}, {len(rows)} interaction(s)",
		)

	def unknown_sender(self) -> None:
		lead_of = {"email_id": STRANGER}
		subject_off = f"Can you quote 10 seats? {self.tag}"
		self.send(STRANGER, [REP], subject_off, "Hi, we are interested. Sam")
		self.mailbox(REP, subject_off)
		self.pull(REP_ACCOUNT)
		comm_off = frappe.get_all("Communication", filters={"subject": subject_off}, pluck="name")
		self.check(
			"unknown sender, setting off: the mail is stored, no lead, no interaction",
			len(comm_off) == 1
			and not frappe.db.exists(constants.LEAD, lead_of)
			and not self.interactions(communication=("in", comm_off or [""])),
			f"{len(comm_off)} Communication(s), lead: {frappe.db.exists(constants.LEAD, lead_of)}",
		)
		frappe.db.set_single_value(constants.SETTINGS, "create_leads_from_unknown_senders", 1)
		frappe.db.commit()
		subject_on = f"Following up on 10 seats {self.tag}"
		self.send(STRANGER, [REP], subject_on, "Hi again. Sam")
		self.mailbox(REP, subject_on)
		self.pull(REP_ACCOUNT)
		leads = frappe.get_all(constants.LEAD, filters=lead_of, fields=["name", "lead_owner", "source"])
		comm_on = frappe.get_all("Communication", filters={"subject": subject_on}, pluck="name")
		rows = self.interactions(communication=("in", comm_on or [""]))
		self.check(
			"unknown sender, setting on: one lead (owned by the mailbox's user) with the mail on it",
			len(leads) == 1
			and leads[0].lead_owner == self.rep
			and len(rows) == 1
			and rows[0].lead == leads[0].name
			and rows[0].direction == "Inbound",
			f"{leads}, {len(rows)} interaction(s)",
		)
		frappe.db.set_single_value(constants.SETTINGS, "create_leads_from_unknown_senders", 0)
		frappe.db.commit()


def run(imap_port: int, smtp_port: int, password: str) -> None:
	"""The tier's entry point (see the module docstring); raises when a check failed."""
	started = time.monotonic()
	checker = MailCheck(imap_port, smtp_port, password)
	try:
		checker.setup()
	except Exception:
		checker.check(
			"setup: a rep, a customer and its contact, two Email Accounts", False, frappe.get_traceback()
		)
		print(f"mail checks: 0 passed, {len(checker.failed)} failed", flush=True)
		raise SystemExit(1) from None
	for step in (
		checker.inbound_with_attachment,
		checker.reply_from_the_desk,
		checker.one_message_two_accounts,
		checker.capture_that_raises,
		checker.unknown_sender,
	):
		try:
			step()
		except Exception:
			frappe.db.rollback()
			checker.check(step.__name__, False, frappe.get_traceback())
	errors = frappe.get_all(
		"Error Log",
		filters={
			"method": ("like", f"{email_capture.FAILED}%"),
			"reference_name": ("!=", checker.failed_on_purpose),
		},
		pluck="method",
	)
	checker.check("no capture failure in Error Log", not errors, errors or "none")
	print(f"mail checks: {len(checker.passed)} passed, {len(checker.failed)} failed", flush=True)
	print(
		"mail proved: a customer's mail with an attachment pulled over IMAP is one interaction on its contact "
		"with the file; a desk reply went out by SMTP, was read back over IMAP and is one outbound interaction; "
		"one message through two accounts is one interaction; a capture that raises loses no mail and "
		"the hourly retry records it; an unknown sender is a lead only with the setting on"
		f" ({time.monotonic() - started:.1f}s)",
		flush=True,
	)
	if checker.failed:
		raise SystemExit(1)
