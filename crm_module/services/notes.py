"""Internal notes: @mentions, the customer a note belongs to, pinning and listing (pinned first).

Mentions are read from the note's HTML: Frappe's mention spans (`<span class="mention" data-id="user">`)
and plain `@user@example.com` text. Only enabled users count.
"""

import re

import frappe
from frappe import _
from frappe.utils import strip_html

from crm_module import constants
from crm_module.services.common import get_record
from crm_module.services.tags import require_taggable

MENTION_SPAN_RE = re.compile(r"""<span[^>]*\bclass=["'][^"']*\bmention\b[^>]*>""", re.IGNORECASE)
DATA_ID_RE = re.compile(r"""\bdata-id=["']([^"']+)["']""", re.IGNORECASE)
AT_EMAIL_RE = re.compile(r"(?<![\w.+-])@([A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})")
NOTE_FIELDS = ["name", "title", "note_type", "is_pinned", "content", "owner", "creation", "modified"]


def parse_mentions(html: str | None) -> list[str]:
	"""Mentioned user ids in order of appearance, without duplicates (not checked against User)."""
	html = html or ""
	found = [m.group(1) for span in MENTION_SPAN_RE.findall(html) if (m := DATA_ID_RE.search(span))]
	found += AT_EMAIL_RE.findall(strip_html(html))
	return list(dict.fromkeys(u.strip() for u in found if u.strip()))


def existing_users(candidates: list[str]) -> list[str]:
	if not candidates:
		return []
	enabled = set(frappe.get_all("User", filters={"name": ("in", candidates), "enabled": 1}, pluck="name"))
	return [u for u in candidates if u in enabled]


def customer_of(doctype: str | None, name: str | None) -> str | None:
	"""The CRM Customer Profile a document belongs to (a converted lead's customer for leads)."""
	if not doctype or not name:
		return None
	if doctype == constants.CUSTOMER:
		return name
	field = "converted_customer" if doctype == constants.LEAD else "customer"
	if frappe.get_meta(doctype).has_field(field):
		return frappe.db.get_value(doctype, name, field)
	return None


def notify_mentions(note, users: list[str]) -> None:
	"""One Notification Log (type Mention) per newly mentioned user, except the author."""
	from frappe.desk.doctype.notification_log.notification_log import make_notification_logs

	users = [u for u in users if u != frappe.session.user]
	if not users:
		return
	make_notification_logs(
		frappe._dict(
			type="Mention",
			document_type=note.doctype,
			document_name=note.name,
			subject=_("{0} mentioned you in a note: {1}").format(
				frappe.utils.get_fullname(frappe.session.user), note.title
			),
			email_content=note.content,
			from_user=frappe.session.user,
		),
		users,
	)


def get_notes(reference_doctype: str, reference_name: str, limit: int = 50) -> list[dict]:
	"""Notes on a document the caller can read: pinned first, then newest first."""
	require_taggable(reference_doctype)
	get_record(reference_doctype, reference_name, "reference_name")
	return frappe.get_list(
		constants.NOTE,
		filters={"reference_doctype": reference_doctype, "reference_name": reference_name},
		fields=NOTE_FIELDS,
		order_by="is_pinned desc, creation desc",
		limit_page_length=min(max(int(limit or 50), 1), 500),
	)


def set_pinned(note: str, pinned: bool) -> dict:
	"""Pin or unpin a note (needs write access to it)."""
	get_record(constants.NOTE, note, "note", ptype="write")
	doc = frappe.get_doc(constants.NOTE, note)
	doc.is_pinned = 1 if pinned else 0
	doc.save()
	return {"name": doc.name, "is_pinned": doc.is_pinned}
