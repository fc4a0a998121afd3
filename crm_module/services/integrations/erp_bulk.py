"""Set-based creation of the missing side for the backfill (issue 20): ERPNext Customers and Frappe
Contacts (with Contact Email, Contact Phone and Dynamic Link rows) for CRM records that have none, written
with multi-row INSERTs (`services.bulk.insert_rows`), then the CRM records' links and merge bases with
bulk UPDATEs; one commit per batch (`commit`).

What the ORM insert of the live sync (`customer_sync.create_erp_customer`, `contact_mirror.
create_contact`) would store is reproduced, and a test compares both field by field:

- Customer: the defaults of `frappe.new_doc("Customer")` (customer group and territory from Selling
  Settings, naming series, language...), the mapped fields (`domain.erp_sync.CUSTOMER_MAP`, links only
  to records that exist), `disabled`; named as ERPNext names it per Selling Settings `cust_master_name`:
  "Customer Name" (the name; an existing one gets " - N", N one above the highest used) or "Naming
  Series" (the series' next numbers, reserved for the whole batch). A name that is a Customer Group is
  refused by ERPNext: reported, not created.
- Contact: the defaults of `frappe.new_doc("Contact")`, the mapped fields, full_name, the primary
  email / phone / mobile set from the rows as Contact.validate does, the User of the primary email,
  the Dynamic Link to the Customer with its title; named full name + "-" + Customer (an existing name
  gets "-N" as `append_number_if_name_exists`). Not reproduced: the Gravatar look-up for `image` (one
  HTTP request per contact; Frappe skips it in imports too) and ERPNext's linking of earlier Call Logs by
  phone number.

Rows are owned by Administrator, as the live sync's records are. Nothing here calls a controller.
"""

import re

import frappe
from frappe.contacts.doctype.contact.contact import get_full_name
from frappe.model.naming import NamingSeries
from frappe.utils import now_datetime

from crm_module import constants
from crm_module.domain import erp_sync as rules
from crm_module.services import bulk
from crm_module.services.integrations.customer_sync import ERP_CUSTOMER, FRAPPE_CONTACT, state_json

BATCH = 5000
IN = 999  # names per read: 1,000 or more in an IN list become a derived table that MariaDB joins slowly
OWNER = "Administrator"
CHILD_STANDARD = ("name", "creation", "modified", "modified_by", "owner", "docstatus", "idx")


def template(doctype: str) -> dict:
	"""The values a new document of `doctype` starts with (`frappe.new_doc`), its own columns only."""
	meta = frappe.get_meta(doctype)
	columns = set(meta.get_valid_columns()) - set(bulk.STANDARD)
	new = frappe.new_doc(doctype, as_dict=True)
	return {k: v for k, v in new.items() if k in columns and v is not None}


def existing(doctype: str, names, field: str = "name") -> set:
	"""The values of `field` among `names` that exist in `doctype`."""
	found = set()
	names = [n for n in dict.fromkeys(names) if n]
	for chunk in bulk.chunks(names, IN):
		found.update(frappe.get_all(doctype, filters={field: ("in", list(chunk))}, pluck=field))
	return found


def rows_by_parent(doctype: str, parenttype: str, parents, fields: list[str]) -> dict[str, list]:
	out: dict[str, list] = {}
	for chunk in bulk.chunks(list(parents), IN):
		for row in frappe.get_all(
			doctype,
			filters={"parenttype": parenttype, "parent": ("in", list(chunk))},
			fields=["parent", "idx", *fields],
			order_by="parent, idx",
			limit_page_length=0,
		):
			out.setdefault(row.parent, []).append(row)
	return out


def in_batches(names: list[str], commit: bool, create) -> int:
	made = 0
	for chunk in bulk.chunks(names, BATCH):
		made += create(list(chunk))
		if commit:
			frappe.db.commit()  # nosemgrep: a background job working through many records, one batch at a time
	return made


# ------------------------------------------------------------------ naming


class Names:
	"""Free names for one batch: `taken` names already in the table (looked up per batch) and those
	given in it; a taken name gets the suffix its doctype's naming would give it."""

	def __init__(self, doctype: str, wanted: list[str], style: str):
		self.doctype, self.style = doctype, style  # style "customer": "X - N"; "contact": "X-N"
		self.taken = existing(doctype, wanted)
		self.last: dict[str, int] = {}

	def free(self, name: str) -> str:
		if name not in self.taken:
			self.taken.add(name)
			return name
		if name not in self.last:
			self.last[name] = self.highest(name)
		while True:
			self.last[name] += 1
			candidate = (
				f"{name} - {self.last[name]}" if self.style == "customer" else f"{name}-{self.last[name]}"
			)
			if candidate not in self.taken:
				self.taken.add(candidate)
				return candidate

	def highest(self, name: str) -> int:
		"""The highest suffix in use, as ERPNext's `get_customer_name` / Frappe's
		`append_number_if_name_exists` find it."""
		table = frappe.qb.DocType(self.doctype)
		if self.style == "customer":
			rows = frappe.qb.from_(table).select(table.name).where(table.name.like(f"%{name} - %")).run()
			numbers = [int(m.group(1)) for (n,) in rows if (m := re.search(r" (\d+)$", n))]
		else:
			rows = frappe.qb.from_(table).select(table.name).where(table.name.like(f"{name}-%")).run()
			pattern = re.compile(f"^{re.escape(name)}-(\\d+)$")
			numbers = [int(m.group(1)) for (n,) in rows if (m := pattern.match(n))]
		return max(numbers, default=0)


def customer_naming() -> str:
	return frappe.defaults.get_global_default("cust_master_name") or "Customer Name"


def series_names(naming_series: str, count: int) -> list[str]:
	"""`count` names of the Customer naming series, as `set_name_by_naming_series` gives them one by one."""
	series = f"{naming_series}.#####"
	prefix = NamingSeries(series).get_prefix()
	return bulk.reserve_names(prefix, count, 5)


# ------------------------------------------------------------------ ERPNext Customers


def create_erp_customers(profiles: list[str], report: rules.BackfillReport, commit: bool = True) -> int:
	"""ERPNext Customers for CRM Customer Profiles that have none; returns how many were made."""
	return in_batches(profiles, commit, lambda chunk: customer_batch(chunk, report))


def customer_batch(profile_names: list[str], report: rules.BackfillReport) -> int:
	fields = ["name", *rules.CUSTOMER_MAP, "status", "lifecycle_stage"]
	profiles = frappe.get_all(
		constants.CUSTOMER,
		filters={"name": ("in", profile_names)},
		fields=fields,
		limit_page_length=0,
	)
	links = {
		rules.CUSTOMER_MAP[crm]: existing(doctype, [p[crm] for p in profiles])
		for crm, doctype in rules.CUSTOMER_LINKS.items()
	}
	groups = existing("Customer Group", [p.company_name for p in profiles])
	base = template(ERP_CUSTOMER)
	records, owners = [], []
	for profile in profiles:
		canonical = rules.customer_from_crm(profile)
		values = {rules.CUSTOMER_MAP[k]: v for k, v in canonical.items() if k in rules.CUSTOMER_MAP}
		values = {
			k: v for k, v in values.items() if v and (k not in links or v in links[k])
		}  # empty: the new document's default stays (as a None value would)
		values["disabled"] = int(canonical[rules.DISABLED])
		records.append({**base, **values})
		owners.append(profile)
	if customer_naming() == "Customer Name":
		names = Names(ERP_CUSTOMER, [r["customer_name"] for r in records], "customer")
		keep = []
		for record, profile in zip(records, owners, strict=True):
			wanted = record["customer_name"]
			if wanted in groups:
				report.unpaired.append(
					("customers", constants.CUSTOMER, profile.name, "a Customer Group has its name")
				)
				continue
			keep.append((names.free(wanted), record, profile))
	else:
		by_series: dict[str, list] = {}
		for record, profile in zip(records, owners, strict=True):
			by_series.setdefault(record.get("naming_series") or "", []).append((record, profile))
		keep = []
		for series, items in by_series.items():
			for name, (record, profile) in zip(series_names(series, len(items)), items, strict=True):
				if name in groups:
					report.unpaired.append(
						("customers", constants.CUSTOMER, profile.name, "a Customer Group has its name")
					)
					continue
				keep.append((name, record, profile))
	if not keep:
		return 0
	now = now_datetime()
	columns = list(dict.fromkeys(k for _, record, _ in keep for k in record))
	bulk.insert_rows(
		ERP_CUSTOMER,
		[*bulk.STANDARD, *columns],
		[(name, now, now, OWNER, OWNER, 0, 0, *(r.get(c) for c in columns)) for name, r, _ in keep],
	)
	write_links(
		constants.CUSTOMER,
		{
			profile.name: {
				"erpnext_customer": name,
				"erp_sync_state": state_json(
					rules.customer_from_crm(profile), rules.customer_from_erp({**record, "name": name})
				),
			}
			for name, record, profile in keep
		},
	)
	return len(keep)


# ------------------------------------------------------------------ Frappe Contacts


def create_frappe_contacts(
	contacts: list[str], report: rules.BackfillReport, erpnext: bool, commit: bool = True
) -> int:
	"""Frappe Contacts (with their rows and the Dynamic Link to the Customer) for CRM Contacts that have
	none; returns how many were made."""
	return in_batches(contacts, commit, lambda chunk: contact_batch(chunk, erpnext))


def contact_batch(crm_names: list[str], erpnext: bool) -> int:
	heads = frappe.get_all(
		constants.CONTACT,
		filters={"name": ("in", crm_names)},
		fields=["name", "customer", *rules.CONTACT_MAP],
		limit_page_length=0,
	)
	if not heads:
		return 0
	emails = rows_by_parent(constants.EMAIL_ADDRESS, constants.CONTACT, crm_names, ["email_id", "is_primary"])
	phones = rows_by_parent(
		constants.PHONE_NUMBER, constants.CONTACT, crm_names, ["phone", "phone_type", "is_primary"]
	)
	customers = {
		row.name: row
		for chunk in bulk.chunks(list({h.customer for h in heads if h.customer}))
		for row in frappe.get_all(
			constants.CUSTOMER,
			filters={"name": ("in", list(chunk))},
			fields=["name", "company_name", "erpnext_customer"],
			limit_page_length=0,
		)
	}
	titles = {}
	if erpnext:
		for chunk in bulk.chunks(
			list({c.erpnext_customer for c in customers.values() if c.erpnext_customer})
		):
			titles.update(
				frappe.get_all(
					ERP_CUSTOMER,
					filters={"name": ("in", list(chunk))},
					fields=["name", "customer_name"],
					as_list=True,
					limit_page_length=0,
				)
			)
	base = template(FRAPPE_CONTACT)
	made = []
	for head in heads:
		mine_emails, mine_phones = emails.get(head.name, []), phones.get(head.name, [])
		canonical = rules.contact_from_rows(head, mine_emails, mine_phones, erp=False)
		email_rows, phone_rows = rules.contact_rows_for_erp(
			[r.email_id for r in mine_emails],
			canonical[rules.PRIMARY_EMAIL],
			[(r.phone, r.phone_type) for r in mine_phones],
			canonical[rules.PRIMARY_PHONE],
		)
		if len(email_rows) == 1:
			email_rows[0]["is_primary"] = 1  # Contact.set_primary_email
		customer = customers.get(head.customer) or frappe._dict()
		erp_customer = customer.erpnext_customer if customer.erpnext_customer in titles else None
		record = {
			**base,
			**{rules.CONTACT_MAP[k]: v for k, v in canonical.items() if k in rules.CONTACT_MAP and v != ""},
			"company_name": customer.company_name or None,
		}
		record["is_primary_contact"] = int(canonical["is_primary"])
		record["full_name"] = get_full_name(
			record.get("first_name"),
			record.get("middle_name"),
			record.get("last_name"),
			record["company_name"],
		)
		record["email_id"] = next((r["email_id"].strip() for r in email_rows if r["is_primary"]), "")
		record["phone"] = next((r["phone"] for r in phone_rows if r["is_primary_phone"]), "")
		record["mobile_no"] = next((r["phone"] for r in phone_rows if r["is_primary_mobile_no"]), "")
		if record["email_id"] and not record.get("image"):
			record["image"] = ""  # Contact.validate's Gravatar look-up, not made here (see above)
		links = (
			[{"link_doctype": ERP_CUSTOMER, "link_name": erp_customer, "link_title": titles[erp_customer]}]
			if erp_customer
			else []
		)
		made.append((head, record, email_rows, phone_rows, links, canonical))
	users = dict(
		frappe.get_all(
			"User",
			filters={"email": ("in", [m[1]["email_id"] for m in made if m[1]["email_id"]] or [""])},
			fields=["email", "name"],
			as_list=True,
		)
	)
	wanted = []
	for _head, record, _e, _p, links, _c in made:
		record["user"] = record.get("user") or users.get(record["email_id"])
		wanted.append(record["full_name"] + (f"-{links[0]['link_name'].strip()}" if links else ""))
	names = Names(FRAPPE_CONTACT, wanted, "contact")
	named = [names.free(w) for w in wanted]
	now = now_datetime()
	columns = list(dict.fromkeys(k for m in made for k in m[1]))
	bulk.insert_rows(
		FRAPPE_CONTACT,
		[*bulk.STANDARD, *columns],
		[
			(n, now, now, OWNER, OWNER, 0, 0, *(m[1].get(c) for c in columns))
			for n, m in zip(named, made, strict=True)
		],
	)
	for child, table, index in (
		("Contact Email", "email_ids", 2),
		("Contact Phone", "phone_nos", 3),
		("Dynamic Link", "links", 4),
	):
		insert_children(child, table, [(n, m[index]) for n, m in zip(named, made, strict=True)], now)
	write_links(
		constants.CONTACT,
		{
			head.name: {
				"frappe_contact": name,
				"erp_sync_state": state_json(
					canonical, rules.contact_from_rows(record, email_rows, phone_rows, erp=True)
				),
			}
			for name, (head, record, email_rows, phone_rows, _links, canonical) in zip(
				named, made, strict=True
			)
		},
	)
	return len(made)


def write_links(doctype: str, updates: dict[str, dict]) -> None:
	"""Set the link field and merge base of existing CRM records (`{name: {field: value}}`, the same fields
	each) with one multi-row `INSERT ... ON DUPLICATE KEY UPDATE` per chunk: every name exists, so each
	row updates its record (an UPDATE with a CASE of 1,000 names costs several times more). `modified`
	is left alone, as `customer_sync.store` leaves it."""
	if not updates:
		return
	fields = list(next(iter(updates.values())))
	columns = ", ".join(f"`{f}`" for f in ("name", *fields))
	assignments = ", ".join(f"`{f}` = values(`{f}`)" for f in fields)
	for names in bulk.chunks(list(updates)):
		literal = bulk.sql_literals()
		rows = ",".join(
			"(" + ",".join(map(literal, (name, *(updates[name][f] for f in fields)))) + ")" for name in names
		)
		frappe.db.sql(
			f"insert into `tab{doctype}` ({columns}) values {rows} on duplicate key update {assignments}"
		)


def insert_children(doctype: str, table: str, rows: list[tuple[str, list[dict]]], now) -> None:
	columns = list(dict.fromkeys(k for _, children in rows for child in children for k in child))
	values = [
		(
			frappe.generate_hash(length=10),
			now,
			now,
			OWNER,
			OWNER,
			0,
			idx,
			parent,
			table,
			FRAPPE_CONTACT,
			*(child.get(c) for c in columns),
		)
		for parent, children in rows
		for idx, child in enumerate(children, start=1)
	]
	if values:
		bulk.insert_rows(doctype, [*CHILD_STANDARD, "parent", "parentfield", "parenttype", *columns], values)
