"""Set-based work of the backfill on the CRM side (issue 20): CRM Customer Profiles for ERPNext-only
Customers, CRM Contacts (with their CRM Email Address / CRM Phone Number rows) for Frappe Contacts of
those Customers, and the pairs the backfill found whose mapped fields are already equal.

Creation feeds rows to the import engine (`services.imports.engine.import_rows`): its multi-row inserts
store what a form save stores (naming series, derived fields, territory routing, the access index and
the other after-save effects), which is what the live sync's ORM insert (`customer_sync.create_profile`,
`contact_mirror.create_crm_contact`) stores; a test compares both field by field. The rows are those the
live sync builds (`crm_customer_values`, `crm_head`, `crm_rows`); link targets are looked up set-wise.
The engine's listener writes each created record's link (`erpnext_customer` / `frappe_contact`) and its
merge base inside the batch's transaction, from the records as stored (read back set-wise). Rows the
engine refuses (an invalid email or phone number, a duplicate under the Block policy) are reported with
the engine's reasons, as the live sync's insert would refuse them (so a file of bad numbers costs no
record-by-record retries). A Customer whose account manager has no CRM role (the engine's owner rule;
the ORM insert stores any user) and a Contact whose Customer has no profile yet go through the live sync
one by one (`erp_backfill.sync_all`). Records are owned by Administrator, as the live sync's are; the
engine commits per batch.

Paired records (`equal_*_pairs`): both sides' mapped columns and rows are read in bulk; pairs already
equal only get their link and merge base written (one multi-row upsert per 2,000), the others are left
for the per-record merge.
"""

import frappe

from crm_module import constants
from crm_module.domain import erp_sync as rules
from crm_module.services import bulk
from crm_module.services.imports import checks, engine
from crm_module.services.integrations.customer_sync import ERP_CUSTOMER, FRAPPE_CONTACT, state_json
from crm_module.services.integrations.erp_bulk import IN, existing, rows_by_parent, write_links

ERP_CUSTOMER_FIELDS = ["name", *rules.CUSTOMER_MAP.values(), "disabled"]
CRM_CUSTOMER_FIELDS = ["name", *rules.CUSTOMER_MAP, "status", "lifecycle_stage"]
CRM_CONTACT_FIELDS = ["name", "customer", *rules.CONTACT_MAP]
ERP_CONTACT_FIELDS = ["name", "full_name", *rules.CONTACT_MAP.values()]
# the CRM field that names the paired ERPNext Customer / Frappe Contact
LINK_FIELDS = {constants.CUSTOMER: "erpnext_customer", constants.CONTACT: "frappe_contact"}


def by_name(doctype: str, names, fields: list[str]) -> dict[str, dict]:
	out = {}
	for chunk in bulk.chunks(list(names), IN):
		for row in frappe.get_all(
			doctype, filters={"name": ("in", list(chunk))}, fields=fields, limit_page_length=0
		):
			out[row.name] = row
	return out


def as_administrator(work):
	user = frappe.session.user
	frappe.set_user("Administrator")
	try:
		return work()
	finally:
		frappe.set_user(user)


# ------------------------------------------------------------------ merge bases


def crm_customers(names) -> dict[str, dict]:
	"""{profile: canonical customer} of CRM Customer Profiles, read in bulk."""
	return {
		n: rules.customer_from_crm(r)
		for n, r in by_name(constants.CUSTOMER, names, CRM_CUSTOMER_FIELDS).items()
	}


def erp_customers(names) -> dict[str, dict]:
	return {
		n: rules.customer_from_erp(r) for n, r in by_name(ERP_CUSTOMER, names, ERP_CUSTOMER_FIELDS).items()
	}


def crm_contacts(names) -> tuple[dict[str, dict], dict[str, dict]]:
	"""({CRM contact: canonical contact}, {CRM contact: head}) read in bulk with their rows."""
	heads = by_name(constants.CONTACT, names, CRM_CONTACT_FIELDS)
	emails = rows_by_parent(constants.EMAIL_ADDRESS, constants.CONTACT, heads, ["email_id", "is_primary"])
	phones = rows_by_parent(constants.PHONE_NUMBER, constants.CONTACT, heads, ["phone", "is_primary"])
	canonical = {
		n: rules.contact_from_rows(h, emails.get(n, []), phones.get(n, []), erp=False)
		for n, h in heads.items()
	}
	return canonical, heads


def frappe_contacts(names) -> tuple[dict[str, dict], dict[str, dict], dict[str, list], dict[str, list]]:
	"""({Contact: canonical}, {Contact: head}, {Contact: email rows}, {Contact: phone rows})."""
	heads = by_name(FRAPPE_CONTACT, names, ERP_CONTACT_FIELDS)
	emails = rows_by_parent("Contact Email", FRAPPE_CONTACT, heads, ["email_id", "is_primary"])
	phones = rows_by_parent(
		"Contact Phone", FRAPPE_CONTACT, heads, ["phone", "is_primary_phone", "is_primary_mobile_no"]
	)
	canonical = {
		n: rules.contact_from_rows(h, emails.get(n, []), phones.get(n, []), erp=True)
		for n, h in heads.items()
	}
	return canonical, heads, emails, phones


def customer_links_of(contacts) -> dict[str, list[str]]:
	"""{Contact: [its Customers, in row order]} from the Dynamic Link rows."""
	out: dict[str, list[str]] = {}
	for chunk in bulk.chunks(list(contacts), IN):
		for row in frappe.get_all(
			"Dynamic Link",
			filters={
				"parenttype": FRAPPE_CONTACT,
				"link_doctype": ERP_CUSTOMER,
				"parent": ("in", list(chunk)),
			},
			fields=["parent", "link_name"],
			order_by="parent, idx",
			limit_page_length=0,
		):
			out.setdefault(row.parent, []).append(row.link_name)
	return out


def profiles_of(customers) -> dict[str, str]:
	"""{ERPNext Customer: its CRM Customer Profile}."""
	out = {}
	for chunk in bulk.chunks(list(dict.fromkeys(c for c in customers if c)), IN):
		out.update(
			frappe.get_all(
				constants.CUSTOMER,
				filters={"erpnext_customer": ("in", list(chunk))},
				fields=["erpnext_customer", "name"],
				as_list=True,
				limit_page_length=0,
			)
		)
	return out


# ------------------------------------------------------------------ pairs already equal


def equal_customer_pairs(pairs: dict[str, str]) -> list[str]:
	"""Of `pairs` ({profile: Customer}, new pairs), write the link and merge base of those whose merge
	would change no stored value (equal mapped fields, or differences neither side can hold: a territory
	the other side does not have); returns the profiles left for the per-record merge."""
	profiles = by_name(constants.CUSTOMER, pairs, [*CRM_CUSTOMER_FIELDS, "modified", "erp_sync_state"])
	customers = by_name(ERP_CUSTOMER, pairs.values(), [*ERP_CUSTOMER_FIELDS, "modified"])
	targets = CustomerTargets(profiles.values(), customers.values())
	equal, differ = {}, []
	for profile, customer in pairs.items():
		crm_row, erp_row = profiles.get(profile), customers.get(customer)
		if crm_row is None or erp_row is None:
			differ.append(profile)
			continue
		crm, erp = rules.customer_from_crm(crm_row), rules.customer_from_erp(erp_row)
		if crm != erp and targets.writes(crm_row, erp_row, crm, erp):
			differ.append(profile)
			continue
		equal[profile] = {"erpnext_customer": customer, "erp_sync_state": state_json(crm, erp)}
	for chunk in bulk.chunks(list(equal)):
		write_links(constants.CUSTOMER, {p: equal[p] for p in chunk})
	return differ


def blank(value) -> str:
	return "" if value is None else str(value)


class CustomerTargets:
	"""Which link targets exist on each side (read once for a set of pairs), and whether the live merge
	of a pair (`customer_sync.merge_customer`) would change a stored value on either side."""

	def __init__(self, profiles, customers):
		linked = {k: v for k, v in rules.CUSTOMER_MAP.items() if k in rules.CUSTOMER_LINKS}
		values = [p[k] for p in profiles for k in linked] + [c[f] for c in customers for f in linked.values()]

		def found(doctype: str) -> set[str]:
			return {v.lower() for v in existing(doctype, values)}

		self.crm = {"territory": found(constants.TERRITORY), "account_owner": found("User")}
		self.erp = {linked[k]: found(doctype) for k, doctype in rules.CUSTOMER_LINKS.items()}

	def writes(self, crm_row, erp_row, crm: dict, erp: dict) -> bool:
		from crm_module.services.integrations.customer_sync import load_base

		merge = rules.merge(
			crm, erp, crm_row.modified, erp_row.modified, base=load_base(frappe._dict(crm_row))
		)
		for key, value in merge.to_erp.items():
			if key == rules.DISABLED:
				if int(value) != int(erp_row.disabled or 0):
					return True
				continue
			field = rules.CUSTOMER_MAP[key]
			if value and field in self.erp and value.lower() not in self.erp[field]:
				continue  # a link the other side does not have: not written
			if blank(value) != blank(erp_row[field]):
				return True
		for key, value in merge.to_crm.items():
			if key == rules.DISABLED:
				status = rules.crm_status_values(value, crm_row.lifecycle_stage)
				if any(blank(crm_row[k]) != blank(v) for k, v in status.items()):
					return True
				continue
			if value and key in self.crm and value.lower() not in self.crm[key]:
				continue
			if key == "company_name" and not value:
				continue
			if blank(value) != blank(crm_row[key]):
				return True
		return False


def equal_contact_pairs(pairs: dict[str, str], erpnext: bool) -> list[str]:
	"""As `equal_customer_pairs` for {CRM contact: Contact}; a pair also differs when the Contact lacks
	the Dynamic Link to the ERPNext Customer of the CRM contact's customer (the live merge adds it)."""
	crm, heads = crm_contacts(pairs)
	erp = frappe_contacts(pairs.values())[0]
	wanted: dict[str, str] = {}
	if erpnext:
		linked = by_name(
			constants.CUSTOMER,
			{h.customer for h in heads.values() if h.customer},
			["name", "erpnext_customer"],
		)
		customers = existing(ERP_CUSTOMER, [p.erpnext_customer for p in linked.values()])
		wanted = {
			n: linked[h.customer].erpnext_customer
			for n, h in heads.items()
			if h.customer in linked and linked[h.customer].erpnext_customer in customers
		}
	links = customer_links_of(pairs.values()) if wanted else {}
	equal, differ = {}, []
	for name, contact in pairs.items():
		same = name in crm and contact in erp and crm[name] == erp[contact]
		if same and name in wanted and wanted[name] not in links.get(contact, []):
			same = False
		if same:
			equal[name] = {"frappe_contact": contact, "erp_sync_state": state_json(crm[name], erp[contact])}
		else:
			differ.append(name)
	for chunk in bulk.chunks(list(equal)):
		write_links(constants.CONTACT, {c: equal[c] for c in chunk})
	return differ


# ------------------------------------------------------------------ CRM Customer Profiles


def profile_rows(customers: list[str]) -> tuple[list[dict], list[str], list[str]]:
	"""Engine rows for `customers` (ERPNext Customers) as `customer_sync.create_profile` builds them, the
	Customer of each row (row n is `order[n - 1]`), and the Customers left for the live sync (an account
	manager without a CRM role: the engine refuses such an owner, the ORM insert stores it)."""
	stored = by_name(ERP_CUSTOMER, customers, ERP_CUSTOMER_FIELDS)
	canonical = {n: rules.customer_from_erp(r) for n, r in stored.items()}
	territories = existing(constants.TERRITORY, [c["territory"] for c in canonical.values()])
	owners = {c["account_owner"] for c in canonical.values() if c["account_owner"]}
	users = existing("User", owners)
	crm_users = {u.lower() for u in checks.crm_users(users)}
	rows, order, live = [], [], []
	for name in customers:
		if name not in canonical:
			continue
		erp = canonical[name]
		values = {k: v or None for k, v in erp.items() if k in rules.CUSTOMER_MAP}
		if values["territory"] not in territories:
			values["territory"] = None
		if values["account_owner"] not in users:
			values["account_owner"] = None
		elif values["account_owner"] and values["account_owner"].lower() not in crm_users:
			live.append(name)  # the engine takes CRM users as owners only; the ORM stores any user
			continue
		if not values["company_name"]:
			values.pop("company_name")
		values.update(rules.crm_status_values(erp[rules.DISABLED], None))
		values.setdefault("lifecycle_stage", "Customer")
		rows.append({k: v for k, v in values.items() if v is not None})
		order.append(name)
	return rows, order, live


def refusal_text(refusals) -> str:
	return "; ".join(r.reason for r in refusals) or "refused"


def create_profiles(customers: list[str], report: rules.BackfillReport) -> tuple[int, list[str]]:
	"""CRM Customer Profiles for ERPNext-only Customers; returns (how many were made, the Customers left
	for the live sync). Refused rows are reported with the engine's reasons."""
	rows, order, live = profile_rows(customers)
	erp = erp_customers(order)
	made = import_linked(
		constants.CUSTOMER, rows, order, ("customers", ERP_CUSTOMER), report, crm_customers, erp
	)
	return made, live


def import_linked(
	doctype: str, rows: list[dict], order: list[str], kind: tuple[str, str], report, read_crm, erp: dict
) -> int:
	"""Import `rows` (made from the ERPNext / Frappe records `order`, in the same order) into `doctype` with
	the engine; each batch also writes the new records' link and merge base (`read_crm` reads them as the
	sync compares them, `erp` holds the other side's). Refused rows are reported unpaired with the engine's
	reasons. Returns how many were made."""
	link_field = LINK_FIELDS[doctype]

	def listener(events: list[tuple]) -> None:
		made = {}
		for row, status, name, notes in events:
			if status == "created":
				made[name] = order[row - 1]
			elif status == "refused":
				report.unpaired.append((*kind, order[row - 1], refusal_text(notes)))
		if made:
			crm = read_crm(made)
			write_links(
				doctype,
				{n: {link_field: o, "erp_sync_state": state_json(crm[n], erp[o])} for n, o in made.items()},
			)

	result = as_administrator(
		lambda: engine.import_rows(doctype, rows, key="name", check_permission=False, listener=listener)
	)
	return len(result.created)


# ------------------------------------------------------------------ CRM Contacts


def crm_contact_rows(contacts: list[str]) -> tuple[list[dict], list[str], list[str]]:
	"""Engine rows for `contacts` (Frappe Contacts of ERPNext Customers) as `contact_mirror.
	create_crm_contact` builds them; the Contact of each row; the Contacts whose Customer has no CRM
	profile (for the live sync, which makes the profile first)."""
	canonical, heads, emails, phones = frappe_contacts(contacts)
	links = customer_links_of(contacts)
	profiles = profiles_of(links[c][0] for c in contacts if links.get(c))
	wanted = {c: profiles.get(links[c][0]) for c in contacts if c in heads and links.get(c)}
	primary = set()
	for chunk in bulk.chunks(list(set(filter(None, wanted.values()))), IN):
		primary.update(
			frappe.get_all(
				constants.CONTACT,
				filters={"customer": ("in", list(chunk)), "is_primary": 1},
				pluck="customer",
				limit_page_length=0,
			)
		)
	rows, order, without = [], [], []
	for name in contacts:
		if name not in wanted:
			continue  # no Customer: stays out of the CRM
		profile = wanted[name]
		if not profile:
			without.append(name)
			continue
		head = {
			k: (int(v) if isinstance(v, bool) else v or None)
			for k, v in canonical[name].items()
			if k in rules.CONTACT_MAP
		}
		if not head.get("first_name"):
			head["first_name"] = heads[name].full_name or name
		if head.get("is_primary") and profile in primary:
			head["is_primary"] = 0
		if head.get("is_primary"):
			primary.add(profile)  # a later Contact of the same customer sees this one, as after its insert
		mine = phones.get(name, [])
		first = [r for r in mine if r.is_primary_mobile_no] or [r for r in mine if r.is_primary_phone]
		rows.append(
			{
				**{k: v for k, v in head.items() if v is not None},
				"customer": profile,
				"emails": [
					{
						"email_id": r.email_id,
						"is_primary": int(bool(r.is_primary)),
						"email_type": "Work",
						"is_verified": 0,
					}
					for r in emails.get(name, [])
				],
				"phones": [
					{
						"phone": r.phone,
						"is_primary": int(bool(first) and r is first[0]),
						"phone_type": "Mobile" if r.is_primary_mobile_no else "Office",
						"is_verified": 0,
					}
					for r in mine
				],
			}
		)
		order.append(name)
	return rows, order, without


def create_crm_contacts(contacts: list[str], report: rules.BackfillReport) -> tuple[int, list[str]]:
	"""CRM Contacts for Frappe Contacts of ERPNext Customers; returns (how many were made, the Contacts
	whose Customer has no profile yet: for the live sync, which makes it first). Refused rows (an invalid
	email or phone number, a duplicate under the Block policy) are reported with the engine's reasons."""
	rows, order, later = crm_contact_rows(contacts)
	erp = frappe_contacts(order)[0]
	kind = ("contacts", FRAPPE_CONTACT)
	made = import_linked(constants.CONTACT, rows, order, kind, report, lambda n: crm_contacts(n)[0], erp)
	return made, later
