"""The public web-to-lead form: what a guest's submission becomes.

`submit_lead(values, ip, referrer)` takes what the form (or a company's own website) posted and

* keeps only the fields the CRM Manager put on the form (CRM Web Lead Settings), plus consent and the
  UTM tags: an owner, a status, a score or any other field sent along is dropped unread;
* refuses (400 naming the field) a required field left empty, a value longer than its field allows,
  and whatever the lead's own validation refuses (an ill-formed email or phone...): the lead is built
  and inserted through the ORM, so its controller's rules apply as on any save;
* a filled honeypot field (`HONEYPOT`, hidden from people) is a bot: the same success answer, nothing stored;
* an email that already belongs to a lead or a contact gets a Web Form interaction on that record instead
  of a new lead; the guest gets the same answer either way (no oracle for who is a customer);
* a new lead gets source Web Form, the consent (text shown, time, IP), UTM tags and referrer, is routed to
  its territory's rep (the lead's `before_insert`), scored at once and optionally announced to its owner.
"""

import hashlib
import re
from contextlib import contextmanager

import frappe
from frappe import _
from frappe.utils import cint, now_datetime

from crm_module import caching, constants
from crm_module.domain.contact_points import normalize_email
from crm_module.services.assignment import assign_new_owner
from crm_module.services.dedupe.guard import find_duplicates
from crm_module.services.insights.scoring import score_leads
from crm_module.utils import domain_call, throw_input

SETTINGS = "CRM Web Lead Settings"
FIELD_ROW = "CRM Web Lead Field"
SOURCE = "Web Form"
HONEYPOT = "fax_number"  # hidden on the page; people leave it empty, form-filling bots do not
FORM_CACHE_KEY = "crm_module:web_lead_form"
ALWAYS_REQUIRED = ("lead_name", "email_id")  # a lead needs a name; the duplicate guard needs the email
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign")
MAX_LENGTH = {"Data": 140, "Small Text": 2000, "Text": 5000, "Link": 140, "Select": 140}
UTM_MAX = 140
REFERRER_MAX = 1000
LOCK_WAIT = 10  # seconds a submission waits for another of the same email
ANSWER = "Thank you. We will be in touch soon."  # one answer for every accepted submission
# characters nobody types into a form (NUL, escape sequences...); tabs and line breaks are text
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clear_form_cache() -> None:
	caching.drop(FORM_CACHE_KEY)


def form() -> dict:
	"""The form as the page and the endpoint see it (cached; dropped when the settings are saved)."""
	return caching.cached(FORM_CACHE_KEY, build_form)


def build_form() -> dict:
	settings = frappe.get_cached_doc(SETTINGS) if frappe.db.exists("DocType", SETTINGS) else None
	meta = frappe.get_meta(constants.LEAD)
	rows = [(r.fieldname, r.label, cint(r.required)) for r in (settings.form_fields if settings else [])]
	if not rows:
		rows = [("lead_name", "", 1), ("email_id", "", 1), ("company_name", "", 0), ("phone", "", 0)]
	seen = {name for name, _label, _req in rows}
	rows = [(name, "", 1) for name in ALWAYS_REQUIRED if name not in seen] + rows
	fields = []
	for fieldname, label, required in rows:
		df = meta.get_field(fieldname)
		if df is None:
			continue
		fields.append(
			{
				"fieldname": fieldname,
				"label": label or df.label,
				"fieldtype": df.fieldtype,
				"required": 1 if fieldname in ALWAYS_REQUIRED else required,
				"max_length": MAX_LENGTH.get(df.fieldtype, 140),
				"options": select_options(df),
			}
		)
	return {
		"enabled": cint(settings.enabled) if settings else 0,
		"title": (settings.form_title if settings else "") or _("Contact us"),
		"fields": fields,
		"consent_text": (settings.consent_text if settings else "") or "",
		"allowed_origins": origins(settings.allowed_origins if settings else ""),
		"notify_owner": cint(settings.notify_owner) if settings else 0,
		"default_territory": settings.default_territory if settings else None,
		"default_owner": settings.default_owner if settings else None,
	}


def select_options(df) -> list[str]:
	if df.fieldtype == "Select":
		return [o for o in (df.options or "").split("\n") if o]
	if df.fieldtype == "Link" and df.options in (constants.TERRITORY, "Country"):
		return frappe.get_all(df.options, pluck="name", order_by="name", limit=500)
	return []


def origins(text: str | None) -> list[str]:
	return [line.strip().rstrip("/").lower() for line in (text or "").splitlines() if line.strip()]


def validate_form_settings(doc) -> None:
	"""A field on the form once; allowed origins are scheme://host[:port]."""
	seen = set()
	for row in doc.form_fields:
		if row.fieldname in seen:
			throw_input(_("Form Fields (form_fields): {0} is on the form twice").format(row.fieldname))
		seen.add(row.fieldname)
	for origin in origins(doc.allowed_origins):
		if not origin.startswith(("http://", "https://")) or "/" in origin.split("://", 1)[1]:
			throw_input(
				_(
					"Allowed Origins (allowed_origins): {0} is not an origin like https://www.example.com"
				).format(origin)
			)


def submit_lead(values: dict, ip: str | None, referrer: str | None = None) -> dict:
	"""Turn one submission into a lead (or an interaction on the record owning its email). The answer is
	the same whatever happened, so a guest learns nothing about the CRM's data."""
	config = form()
	if not config["enabled"]:
		throw_input(_("The web form is not enabled"))
	if str(values.get(HONEYPOT) or "").strip():
		return {"ok": True, "message": _(ANSWER)}
	data = clean_values(values, config)
	consent = cint(values.get("consent"))
	if config["consent_text"] and not consent:
		throw_input(_("Consent (consent) is required: {0}").format(config["consent_text"]))
	tags = {f: text(values.get(f), f, UTM_MAX) for f in UTM_FIELDS}
	referrer = (text(values.get("referrer"), "referrer", REFERRER_MAX) or (referrer or ""))[:REFERRER_MAX]
	email = check_email(data["email_id"])
	data["email_id"] = email
	hold_email(email)
	existing = owner_of_email(email)
	with as_system():
		if existing:
			record_repeat(existing, data, tags)
		else:
			create_lead(data, config, consent, ip, tags, referrer)
	frappe.local.message_log = []  # nothing a save printed reaches a guest
	return {"ok": True, "message": _(ANSWER)}


def hold_email(email: str) -> None:
	"""Submissions of one email one after the other (a MariaDB named lock held until this transaction
	ends), so two sent at the same instant make one lead and one interaction, not two leads. The commit
	after taking the lock (nothing is written yet) starts a fresh snapshot that sees what the previous
	holder committed."""
	key = "crm_web_lead:" + hashlib.sha256(email.lower().encode()).hexdigest()[:40]
	frappe.db.sql("SELECT GET_LOCK(%s, %s)", (key, LOCK_WAIT))
	frappe.db.commit()

	def release():
		frappe.db.sql("SELECT RELEASE_LOCK(%s)", (key,))

	frappe.db.after_commit.add(release)
	frappe.db.after_rollback.add(release)


@contextmanager
def as_system():
	"""The app writes on the guest's behalf as the system (a guest may not assign the routed rep, nor
	read the records it checks), then the request goes on as whoever sent it."""
	user = frappe.session.user
	frappe.set_user("Administrator")
	try:
		yield
	finally:
		frappe.set_user(user)


def text(value, fieldname: str, limit: int) -> str:
	if value is None:
		return ""
	if not isinstance(value, str | int | float) or isinstance(value, bool):
		throw_input(_("{0} must be text").format(fieldname))
	value = str(value).strip()
	if CONTROL.search(value):
		throw_input(_("{0} must not contain a control character").format(fieldname))
	if len(value) > limit:
		throw_input(_("{0} is too long ({1} characters, at most {2})").format(fieldname, len(value), limit))
	return value


def clean_values(values: dict, config: dict) -> dict:
	"""Only the form's fields, each stripped, within its size, required ones present, Select and Link
	values among their options."""
	data = {}
	for field in config["fields"]:
		name = field["fieldname"]
		label = f"{field['label']} ({name})"
		value = text(values.get(name), label, field["max_length"])
		if not value:
			if field["required"]:
				throw_input(_("{0} is required").format(label))
			continue
		if field["options"] and value not in field["options"]:
			throw_input(_("{0}: {1} is not one of the choices").format(label, value))
		data[name] = value
	return data


def check_email(value: str) -> str:
	"""The lead's own email rule (normalize_email, as the lead's validate applies it) before the lookup."""
	return domain_call(normalize_email, value)


def owner_of_email(email: str) -> dict | None:
	"""The contact (preferred: it belongs to a customer) or lead that already uses `email`."""
	matches = find_duplicates([email], [])
	for doctype in (constants.CONTACT, constants.LEAD):
		for match in matches:
			if match["doctype"] == doctype:
				if doctype == constants.CONTACT:
					customer = frappe.db.get_value(constants.CONTACT, match["name"], "customer")
					if not customer:
						continue
					return {"doctype": doctype, "name": match["name"], "customer": customer}
				return {"doctype": doctype, "name": match["name"]}
	return None


def record_repeat(existing: dict, data: dict, tags: dict) -> None:
	"""The person is known: a Web Form interaction on their record says they asked again."""
	details = "".join(
		f"<p><b>{frappe.utils.escape_html(k)}</b>: {frappe.utils.escape_html(v)}</p>"
		for k, v in {**data, **{k: v for k, v in tags.items() if v}}.items()
	)
	interaction = frappe.get_doc(
		{
			"doctype": constants.INTERACTION,
			"interaction_type": "Note",
			"direction": "Inbound",
			"subject": _("Web Form submission"),
			"interaction_date": now_datetime(),
			"description": details,
		}
	)
	if existing["doctype"] == constants.CONTACT:
		interaction.contact = existing["name"]
		interaction.customer = existing["customer"]
	else:
		interaction.lead = existing["name"]
	interaction.flags.ignore_permissions = True
	interaction.flags.crm_system_update = True
	interaction.insert()


def create_lead(data: dict, config: dict, consent: int, ip: str | None, tags: dict, referrer: str) -> str:
	lead = frappe.new_doc(constants.LEAD)
	lead.update(data)
	lead.lead_owner = ""  # routed below, never the submitter (a logged-in visitor included)
	lead.status = "New"
	lead.source = SOURCE
	if not lead.territory and config["default_territory"]:
		lead.territory = config["default_territory"]
	if consent:
		lead.consent_text = config["consent_text"] or _("Consent given")
		lead.consent_at = now_datetime()
		lead.consent_ip = (ip or "")[:140]
	lead.update({k: v for k, v in tags.items() if v})
	lead.referrer = referrer or None
	lead.flags.ignore_permissions = True
	lead.flags.crm_system_update = True  # the app sets consent and routing, not the guest
	lead.flags.ignore_duplicates = True  # the email was checked above; a phone match must not speak
	lead.insert()  # before_insert routes an unowned lead to its territory's rep
	if not lead.lead_owner and config["default_owner"]:
		lead.db_set("lead_owner", config["default_owner"], update_modified=False)
		assign_new_owner(lead, None)
	score_leads([lead.name])
	if config["notify_owner"] and lead.lead_owner:
		notify_owner(lead)
	return lead.name


def notify_owner(lead) -> None:
	log = frappe.new_doc("Notification Log")
	log.update(
		{
			"for_user": lead.lead_owner,
			"type": "Alert",
			"document_type": lead.doctype,
			"document_name": lead.name,
			"subject": _("New web lead: {0}").format(frappe.bold(lead.lead_name)),
			"email_content": _("{0} ({1}) filled in the web form.").format(lead.lead_name, lead.email_id),
		}
	)
	log.flags.ignore_permissions = True
	log.insert()
