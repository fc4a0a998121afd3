"""Email -> CRM Interaction: every email Frappe records as a Communication (received through an Email
Account, or sent from a form's "New Email" composer) that concerns a CRM contact, customer or lead
becomes one CRM Interaction of type Email.

* Which record: the Communication's reference (an email sent from a CRM form, or a reply Frappe
  threaded to one), else the interaction of the message it replies to (`in_reply_to`), else its
  addresses: sender, To and Cc, matched in one indexed query per doctype against contacts' email
  rows, leads' and customers' email fields (addresses lower-cased; the database collation compares
  them case-insensitively). The outside party comes first: the sender of a received mail, the
  recipients of a sent one (`domain.mail`).
* One interaction per message: `message_id` is unique on CRM Interaction, so the same mail reaching
  several Email Accounts (several Communications, one Message-ID) is recorded once.
* Unmatched mail is left alone, unless CRM Module Settings > Create Leads from Unknown Email Senders
  is on: an unknown inbound sender then becomes a CRM Sales Lead.
* Attachments: the Communication's File rows are copied onto the interaction (also those Frappe
  attaches after inserting the Communication: see `on_file_insert`).

* When: never inside the mail's own insert. The Communication's `after_insert` only queues `capture_job`
  once the mail's transaction commits (one job per Communication: `job_id` + `deduplicate`), and nothing
  it does can raise into that insert. The job records the mail once (it skips a Communication already
  recorded); a failure is rolled back and logged to Error Log titled with the Communication
  (`failed_title`). `retry_failed` (hourly) tries each logged failure once more, up to `MAX_TRIES` tries
  per Communication in all, and retitles the logs it handled (`(retried)`, `(given up)`).

The interaction is written by the system (the Communication already passed Frappe's checks); CRM Users
reach it through the record it links (crm_module/access/rules.py).
"""

from collections import Counter

import frappe
from frappe import _
from frappe.utils import add_days, now_datetime, parse_addr

from crm_module import constants
from crm_module.domain.mail import (
	Match,
	best_match,
	counterpart_order,
	is_automated_sender,
	lead_name_for,
	text_to_html,
)
from crm_module.services.transactions import fatal_db_error, savepoint

EMAIL = "Email"
MATCHED_DOCTYPES = (constants.CUSTOMER, constants.LEAD, constants.OPPORTUNITY, constants.CONTACT)
JOB = "crm_module.services.integrations.email_capture.capture_job"
FAILED = "CRM email capture failed"  # Error Log title of a failed capture (`failed_title`)
MAX_TRIES = 3  # per Communication: the queued job, then up to two hourly retries
RETRY_DAYS = 7  # failures logged longer ago are left to the Error Log


def on_communication_insert(comm, method: str | None = None) -> None:
	"""`after_insert` of Communication: cheap exits first (not an email, imports, installs), then the
	capture is queued for after the commit. Nothing here raises into the mail's insert."""
	if comm.communication_medium != EMAIL or (comm.communication_type or "Communication") != "Communication":
		return
	flags = frappe.flags
	if flags.in_import or flags.in_install or flags.in_migrate or flags.in_patch:
		return
	try:
		queue_capture(comm.name)
	except Exception:
		# e.g. the job queue (Redis) unreachable: the mail is stored all the same; `retry_failed` queues it
		log_failure(comm.name)


def queue_capture(communication: str) -> None:
	"""One `capture_job` for `communication`, queued when the current transaction commits (a job already
	waiting or running for it is not doubled). Tests may ask for the job at once
	(`frappe.flags.crm_capture_mail_now`)."""
	if frappe.flags.in_test and frappe.flags.crm_capture_mail_now:
		capture_job(communication)
		return
	frappe.enqueue(
		JOB,
		queue="short",
		enqueue_after_commit=True,
		job_id=job_id(communication),
		deduplicate=True,
		communication=communication,
	)


def job_id(communication: str) -> str:
	return f"crm_email_capture::{communication}"


def capture_job(communication: str) -> str | None:
	"""Background job: record one Communication. Returns the interaction's name; None when the mail
	concerns no CRM record, is already recorded (so running twice records it once), no longer exists, or
	the capture failed: then everything it wrote is rolled back and the failure logged to Error Log
	naming the Communication (`failed_title`), for `retry_failed`. Never raises."""
	try:
		if frappe.db.exists(constants.INTERACTION, {"communication": communication}):
			return None
		if not frappe.db.exists("Communication", communication):
			return None  # deleted before the job ran
		comm = frappe.get_doc("Communication", communication)
		with savepoint("crm_email_capture_job"):
			return capture(comm)
	except Exception as error:
		if fatal_db_error(error):
			frappe.db.rollback()  # the transaction is gone (deadlock, lost connection): start afresh
		log_failure(communication)
		return None


def failed_title(communication: str, state: str | None = None) -> str:
	"""The Error Log title of a failed capture; `state` is set by `retry_failed` ("retried", "given up")."""
	return f"{FAILED}{f' ({state})' if state else ''}: Communication {communication}"


def log_failure(communication: str) -> None:
	"""An Error Log (with the traceback being handled) naming the Communication; never raises."""
	try:
		frappe.log_error(
			title=failed_title(communication),
			reference_doctype="Communication",
			reference_name=communication,
		)
	except Exception:
		frappe.logger("crm_module").exception(failed_title(communication))


def retry_failed() -> dict[str, list[str]]:
	"""Hourly: every capture failure logged in the last `RETRY_DAYS` days and not handled yet is tried
	once more (queued like the first try; a new failure logs anew), until its Communication has failed
	`MAX_TRIES` times. Handled logs are retitled "(retried)" or "(given up)", so no failure is tried twice
	and a Communication that then concerns no CRM record is not tried forever. Returns the Communications
	retried and given up."""
	log = frappe.qb.DocType("Error Log")
	rows = (
		frappe.qb.from_(log)
		.select(log.name, log.method, log.reference_name)
		.where(
			(log.reference_doctype == "Communication")
			& log.method.like(f"{FAILED}%")
			& (log.creation >= add_days(now_datetime(), -RETRY_DAYS))
		)
		.orderby(log.creation)
	).run(as_dict=True)
	failures = Counter(row.reference_name for row in rows)
	done: dict[str, list[str]] = {"retried": [], "given up": []}
	for row in rows:
		if row.method != failed_title(row.reference_name):
			continue  # handled by an earlier run
		state = "given up" if failures[row.reference_name] >= MAX_TRIES else "retried"
		frappe.db.set_value(
			"Error Log", row.name, "method", failed_title(row.reference_name, state), update_modified=False
		)
		if row.reference_name not in done[state]:
			done[state].append(row.reference_name)
	for communication in done["retried"]:
		queue_capture(communication)
	return done


def on_file_insert(file, method: str | None = None) -> None:
	"""`after_insert` of File: an attachment Frappe adds to a Communication after inserting it (both the
	receive path and the composer do so) follows it onto the interaction recording it."""
	if file.attached_to_doctype != "Communication" or not file.attached_to_name or file.is_folder:
		return
	if frappe.flags.in_import or frappe.flags.in_install:
		return
	interaction = frappe.db.get_value(constants.INTERACTION, {"communication": file.attached_to_name}, "name")
	if interaction:
		copy_file(file, interaction)


def capture(comm) -> str | None:
	"""Record `comm` as an interaction; returns its name (None when the mail concerns no CRM record or
	is already recorded)."""
	message_id = (comm.message_id or "").strip() or None
	if message_id and frappe.db.exists(constants.INTERACTION, {"message_id": message_id}):
		return None
	if frappe.db.exists(constants.INTERACTION, {"communication": comm.name}):
		return None
	inbound = comm.sent_or_received == "Received"
	links = reference_links(comm) or reply_links(comm)
	ordered = counterpart_order(comm.sender, comm.recipients, comm.cc, inbound)
	matches = match_addresses(ordered)
	if links is None:
		match = best_match(ordered, matches)
		links = links_of_match(match) if match else None
	else:
		add_contact(links, ordered, matches)
	if links is None and inbound:
		links = unknown_sender_lead(comm, ordered[0] if ordered else None)
	if links is None:
		return None
	return insert_interaction(comm, links, inbound, message_id)


# --- which record ------------------------------------------------------------------------------------


def reference_links(comm) -> dict | None:
	"""The links of the CRM record the Communication was written from (or threaded to)."""
	if comm.reference_doctype not in (*MATCHED_DOCTYPES, constants.INTERACTION) or not comm.reference_name:
		return None
	return links_of_record(comm.reference_doctype, comm.reference_name)


def reply_links(comm) -> dict | None:
	"""A reply goes where the message it answers went."""
	if not comm.in_reply_to:
		return None
	parent = frappe.db.get_value(
		"Communication",
		comm.in_reply_to,
		["name", "message_id", "reference_doctype", "reference_name"],
		as_dict=True,
	)
	if not parent:
		return None
	interaction = frappe.db.get_value(constants.INTERACTION, {"communication": parent.name}, "name")
	if not interaction and parent.message_id:
		interaction = frappe.db.get_value(constants.INTERACTION, {"message_id": parent.message_id}, "name")
	if interaction:
		return links_of_record(constants.INTERACTION, interaction)
	return reference_links(parent)


def links_of_record(doctype: str, name: str) -> dict | None:
	fields = {
		constants.CUSTOMER: ["name as customer"],
		constants.LEAD: ["name as lead", "converted_customer as customer"],
		constants.OPPORTUNITY: ["name as opportunity", "customer"],
		constants.CONTACT: ["name as contact", "customer"],
		constants.INTERACTION: ["customer", "lead", "opportunity", "contact"],
	}[doctype]
	row = frappe.db.get_value(doctype, name, fields, as_dict=True)
	if not row or not (row.get("customer") or row.get("lead")):
		return None
	return {key: value for key, value in row.items() if value}


def links_of_match(match: Match) -> dict | None:
	if match.kind == "contact":
		return {"contact": match.name, "customer": match.customer} if match.customer else None
	if match.kind == "customer":
		return {"customer": match.name}
	links = {"lead": match.name}
	if match.customer:  # a converted lead: the customer it became
		links["customer"] = match.customer
	return links


def add_contact(links: dict, ordered: list[str], matches: dict[str, list[Match]]) -> None:
	"""A mail written from a customer's form to one of its contacts names that contact."""
	if links.get("contact") or not links.get("customer"):
		return
	for address in ordered:
		for match in matches.get(address) or []:
			if match.kind == "contact" and match.customer == links["customer"]:
				links["contact"] = match.name
				return


def match_addresses(ordered: list[str]) -> dict[str, list[Match]]:
	"""Contacts, customers and leads having one of the addresses: one indexed query per doctype."""
	found: dict[str, list[Match]] = {}
	if not ordered:
		return found
	row = frappe.qb.DocType(constants.EMAIL_ADDRESS)
	contact = frappe.qb.DocType(constants.CONTACT)
	contacts = (
		frappe.qb.from_(row)
		.join(contact)
		.on(contact.name == row.parent)
		.select(row.email_id, contact.name, contact.customer)
		.where((row.parenttype == constants.CONTACT) & row.email_id.isin(ordered))
	).run(as_dict=True)
	for r in contacts:
		found.setdefault(r.email_id.lower(), []).append(Match("contact", r.name, r.customer))
	customer = frappe.qb.DocType(constants.CUSTOMER)
	customers = (
		frappe.qb.from_(customer)
		.select(customer.email_id, customer.name, customer.account_owner)
		.where(customer.email_id.isin(ordered))
	).run(as_dict=True)
	for r in customers:
		found.setdefault(r.email_id.lower(), []).append(Match("customer", r.name, r.name, r.account_owner))
	lead = frappe.qb.DocType(constants.LEAD)
	leads = (
		frappe.qb.from_(lead)
		.select(lead.email_id, lead.name, lead.converted_customer, lead.lead_owner)
		.where(lead.email_id.isin(ordered))
	).run(as_dict=True)
	for r in leads:
		found.setdefault(r.email_id.lower(), []).append(
			Match("lead", r.name, r.converted_customer, r.lead_owner)
		)
	return found


# --- unknown senders -----------------------------------------------------------------------------------


def unknown_sender_lead(comm, address: str | None) -> dict | None:
	"""A new lead for an unknown inbound sender when the setting asks for it (never for a user of this
	site, the mailbox itself or an automated sender)."""
	if not address or not frappe.db.get_single_value(constants.SETTINGS, "create_leads_from_unknown_senders"):
		return None
	if is_automated_sender(address) or frappe.db.exists("User", {"email": address}):
		return None
	if (
		comm.email_account
		and address == (frappe.db.get_value("Email Account", comm.email_account, "email_id") or "").lower()
	):
		return None
	display_name = comm.sender_full_name or parse_addr(comm.sender or "")[0]
	lead = frappe.get_doc(
		{
			"doctype": constants.LEAD,
			"lead_name": lead_name_for(display_name, address),
			"email_id": address,
			"source": "Inbound",
			"lead_owner": email_account_user(comm.email_account),
			"notes": _("Created from an email received on {0}").format(comm.email_account or _("the site")),
		}
	)
	lead.flags.crm_system_update = True  # the owner is the mailbox's user, not whoever is signed in
	lead.insert(ignore_permissions=True)
	return {"lead": lead.name}


def email_account_user(email_account: str | None) -> str | None:
	"""The user an Email Account belongs to: its connected user, else its only user; else nobody."""
	if not email_account:
		return None
	connected = frappe.db.get_value("Email Account", email_account, "connected_user")
	if connected:
		return connected
	users = frappe.get_all(
		"User Email", filters={"email_account": email_account, "parenttype": "User"}, pluck="parent", limit=2
	)
	return users[0] if len(users) == 1 else None


# --- the interaction -------------------------------------------------------------------------------------


def sending_user(comm) -> str | None:
	"""The site user who sent an outgoing mail: the sender address's user, else who wrote it."""
	address = (parse_addr(comm.sender or "")[1] or "").lower()
	if address:
		user = frappe.db.get_value("User", {"email": address}, "name")
		if user:
			return user
	for candidate in (comm.user, comm.owner):
		if candidate and candidate not in ("Guest", "Administrator"):
			return candidate
	return None


def record_owner(links: dict) -> str | None:
	"""The owner of the record an inbound mail concerns (opportunity, customer, then lead)."""
	for field, doctype, owner_field in (
		("opportunity", constants.OPPORTUNITY, "opportunity_owner"),
		("customer", constants.CUSTOMER, "account_owner"),
		("lead", constants.LEAD, "lead_owner"),
	):
		if links.get(field):
			owner = frappe.db.get_value(doctype, links[field], owner_field)
			if owner:
				return owner
	return None


def body_of(comm) -> str:
	text = comm.text_content
	if not text and comm.content:
		from frappe.core.utils import html2text

		try:
			text = html2text(comm.content)
		except Exception:
			text = frappe.utils.strip_html(comm.content)
	return text_to_html(text)


def insert_interaction(comm, links: dict, inbound: bool, message_id: str | None) -> str | None:
	conducted_by = record_owner(links) if inbound else sending_user(comm)
	doc = frappe.get_doc(
		{
			"doctype": constants.INTERACTION,
			"interaction_type": EMAIL,
			"direction": "Inbound" if inbound else "Outbound",
			"subject": (comm.subject or _("(no subject)"))[:140],
			"interaction_date": comm.communication_date or now_datetime(),
			"description": body_of(comm),
			"customer": links.get("customer"),
			"contact": links.get("contact"),
			"lead": links.get("lead"),
			"opportunity": links.get("opportunity"),
			"conducted_by": conducted_by,
			"message_id": message_id,
			"communication": comm.name,
			"email_template": comm.email_template,  # the composer's template, if one was used
		}
	)
	if not inbound and conducted_by:
		doc.owner = conducted_by  # the rep's own activity
	doc.flags.crm_system_update = True  # message_id / communication / email_template are the app's to set
	try:
		with savepoint("crm_email_capture"):
			doc.insert(ignore_permissions=True)
	except (frappe.UniqueValidationError, frappe.DuplicateEntryError):
		# the same message recorded meanwhile through another Email Account
		return None
	for file in frappe.get_all(
		"File",
		filters={"attached_to_doctype": "Communication", "attached_to_name": comm.name, "is_folder": 0},
		fields=["name", "file_url", "file_name", "is_private", "content_hash", "file_size"],
	):
		copy_file(file, doc.name)
	return doc.name


def copy_file(file, interaction: str) -> None:
	"""A File row of the same stored file attached to the interaction (the file itself is shared:
	Frappe deletes it from disk only with its last row)."""
	if frappe.db.exists(
		"File",
		{
			"attached_to_doctype": constants.INTERACTION,
			"attached_to_name": interaction,
			"file_url": file.file_url,
		},
	):
		return
	copy = frappe.get_doc(
		{
			"doctype": "File",
			"file_url": file.file_url,
			"file_name": file.file_name,
			"is_private": file.is_private,
			"content_hash": file.content_hash,
			"file_size": file.file_size,
			"attached_to_doctype": constants.INTERACTION,
			"attached_to_name": interaction,
		}
	)
	copy.flags.crm_system_update = True  # the interaction is the system's: no per-user attach check
	copy.flags.ignore_duplicate_entry_error = True
	copy.insert(ignore_permissions=True)
