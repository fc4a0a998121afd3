"""The import engine's checks that need the database, each one query (per chunk) for the whole file:
link targets, owners, the contact's and opportunity's customer, the duplicate guard, one primary contact
per customer, and routing's reps and loads. Every function takes the checked rows (`domain.import_rows.
Checked`) and refuses, on the row, what a form save would refuse."""

from collections import defaultdict

import frappe
from frappe.query_builder.functions import Count

from crm_module import constants
from crm_module.access.users import CRM_ROLES
from crm_module.domain import import_rows
from crm_module.domain.import_rows import Checked
from crm_module.services import bulk
from crm_module.services.dedupe.guard import CHANNEL_COLUMNS, CHANNEL_TABLES, duplicate_policy
from crm_module.services.imports.specs import link_targets
from crm_module.services.sales.teams import ROUTED, territory_reps

OWNER_ROLES = CRM_ROLES | {"System Manager"}


def existing_names(doctype: str, values: set[str], column: str = "name") -> dict[str, str]:
	"""{lower-cased value: stored spelling} of the values found in `doctype`.`column` (the database
	compares case-insensitively, as Frappe's link validation does)."""
	table = frappe.qb.DocType(doctype)
	found = {}
	for chunk in bulk.chunks(sorted(values)):
		rows = frappe.qb.from_(table).select(table[column]).where(table[column].isin(list(chunk))).run()
		found.update({str(value).lower(): value for (value,) in rows})
	return found


def crm_users(values: set[str]) -> dict[str, str]:
	"""{lower-cased user: user} of the enabled users with a CRM role (or System Manager) among `values`."""
	if not values:
		return {}
	user, role = frappe.qb.DocType("User"), frappe.qb.DocType("Has Role")
	found = {}
	for chunk in bulk.chunks(sorted(values)):
		rows = (
			frappe.qb.from_(user)
			.join(role)
			.on((role.parent == user.name) & (role.parenttype == "User"))
			.select(user.name)
			.distinct()
			.where(user.name.isin(list(chunk)) & (user.enabled == 1) & role.role.isin(list(OWNER_ROLES)))
		).run()
		found.update({name.lower(): name for (name,) in rows})
	if "administrator" in {v.lower() for v in values}:
		found["administrator"] = "Administrator"
	return found


def check_links(doctype: str, rows: list[Checked], owner_field: str | None) -> None:
	"""Every Link value must name a stored record (its stored spelling is kept); the owner field must
	name an enabled user with a CRM role."""
	for fieldname, target in link_targets(doctype).items():
		values = {
			r.values[fieldname] for r in rows if r.ok and not import_rows.empty(r.values.get(fieldname))
		}
		if not values:
			continue
		found = crm_users(values) if fieldname == owner_field else existing_names(target, values)
		for row in rows:
			value = row.values.get(fieldname)
			if not row.ok or import_rows.empty(value):
				continue
			stored = found.get(str(value).lower())
			if stored is not None:
				row.values[fieldname] = stored
			elif fieldname == owner_field:
				row.refuse(fieldname, f"{fieldname}: {value} is not an enabled user with a CRM role")
			else:
				row.refuse(fieldname, f"{fieldname}: {target} {value} not found")


def customers_of(doctype: str, names: set[str]) -> dict[str, str]:
	table = frappe.qb.DocType(doctype)
	out = {}
	for chunk in bulk.chunks(sorted(names)):
		out.update(
			dict(
				frappe.qb.from_(table)
				.select(table.name, table.customer)
				.where(table.name.isin(list(chunk)))
				.run()
			)
		)
	return out


def check_interaction_parents(rows: list[Checked]) -> None:
	"""An interaction's contact and opportunity belong to its customer (CRM Interaction.validate)."""
	for fieldname, doctype in (("contact", constants.CONTACT), ("opportunity", constants.OPPORTUNITY)):
		values = {
			r.values[fieldname] for r in rows if r.ok and r.values.get(fieldname) and r.values.get("customer")
		}
		if not values:
			continue
		owners = customers_of(doctype, values)
		for row in rows:
			value, customer = row.values.get(fieldname), row.values.get("customer")
			if not row.ok or not value or not customer or owners.get(value) == customer:
				continue
			if fieldname == "contact":
				reason = f"Contact (contact) {value} belongs to customer {owners.get(value)}, not {customer}"
			else:
				reason = f"Opportunity (opportunity) {value} belongs to another customer"
			row.refuse(fieldname, reason)


def contact_points(row: Checked) -> tuple[list[str], list[str]]:
	values = row.values
	if "emails" in values or "phones" in values:
		return (
			[c["email_id"] for c in values.get("emails") or [] if c.get("email_id")],
			[c["phone"] for c in values.get("phones") or [] if c.get("phone")],
		)
	return [v for v in [values.get("email_id")] if v], [v for v in [values.get("phone")] if v]


def stored_contact_points(channel: str, values: set[str]) -> dict[str, set[tuple[str, str]]]:
	"""{lower-cased value: {(doctype, name)}} of the leads and contacts using one of `values`."""
	column = CHANNEL_COLUMNS[channel]
	out: dict[str, set] = defaultdict(set)
	lead = frappe.qb.DocType(constants.LEAD)
	child = frappe.qb.DocType(CHANNEL_TABLES[channel])
	for chunk in bulk.chunks(sorted(values)):
		chunk = list(chunk)
		for value, name in (
			frappe.qb.from_(lead).select(lead[column], lead.name).where(lead[column].isin(chunk)).run()
		):
			out[str(value).lower()].add((constants.LEAD, name))
		rows = (
			frappe.qb.from_(child)
			.select(child[column], child.parent)
			.where((child.parenttype == constants.CONTACT) & child[column].isin(chunk))
		).run()
		for value, name in rows:
			out[str(value).lower()].add((constants.CONTACT, name))
	return out


def check_duplicates(doctype: str, rows: list[Checked], matched: dict[int, str]) -> list[import_rows.Refusal]:
	"""The duplicate guard for the whole file: an email or phone used by a stored lead or contact (other
	than the record a row updates) or by an earlier row of the file. Under the "Block" policy such a row
	is refused; under "Warn" it is stored and the warning returned."""
	candidates = [r for r in rows if r.ok]
	points = {r.row: contact_points(r) for r in candidates}
	stored = {}
	for index, channel in enumerate(("email", "phone")):
		values = {v for emails_phones in points.values() for v in emails_phones[index]}
		stored[channel] = stored_contact_points(channel, values) if values else {}
	in_file = import_rows.file_duplicates((r.row, [*points[r.row][0], *points[r.row][1]]) for r in candidates)
	block = duplicate_policy() == "Block"
	warnings = []
	for row in candidates:
		itself = (doctype, matched[row.row]) if row.row in matched else None
		reasons = []
		for index, channel in enumerate(("email", "phone")):
			for value in points[row.row][index]:
				users = stored[channel].get(value.lower(), set()) - {itself}
				if users:
					listing = ", ".join(f"{dt} {name}" for dt, name in sorted(users))
					reasons.append(
						(
							CHANNEL_COLUMNS[channel],
							f"Possible duplicate: {value} is already used by {listing}",
						)
					)
		if row.row in in_file:
			value, first = in_file[row.row]
			reasons.append(
				("email_id", f"Possible duplicate: {value} is already used by row {first} of the file")
			)
		for fieldname, reason in reasons:
			if block:
				row.refuse(fieldname, reason)
			else:
				warnings.append(import_rows.Refusal(row.row, fieldname, reason))
	return warnings


def check_primary_contacts(rows: list[Checked], matched: dict[int, str]) -> None:
	"""One primary contact per customer, and a customer's first contact is its primary one
	(CRM Contact.validate), in file order as one save after the other would decide."""
	new = [r for r in rows if r.ok and r.row not in matched and r.values.get("customer")]
	customers = {r.values["customer"] for r in new}
	if not customers:
		return
	contact = frappe.qb.DocType(constants.CONTACT)
	has_any, primary = set(), {}
	for chunk in bulk.chunks(sorted(customers)):
		for customer, name, is_primary in (
			frappe.qb.from_(contact)
			.select(contact.customer, contact.name, contact.is_primary)
			.where(contact.customer.isin(list(chunk)))
		).run():
			has_any.add(customer)
			if is_primary:
				primary[customer] = name
	for row in new:
		customer = row.values["customer"]
		if row.values.get("is_primary") and customer in primary:
			row.refuse(
				"is_primary",
				f"Is Primary (is_primary): customer {customer} already has a primary contact ({primary[customer]})",
			)
			continue
		if not row.values.get("is_primary") and customer not in has_any:
			row.values["is_primary"] = 1
		has_any.add(customer)
		if row.values.get("is_primary"):
			primary[customer] = f"row {row.row}"


def is_open(values: dict, open_filters: dict) -> bool:
	for fieldname, condition in open_filters.items():
		if isinstance(condition, tuple):
			if values.get(fieldname) not in condition[1]:
				return False
		elif values.get(fieldname) != condition:
			return False
	return True


def route(doctype: str, rows: list[Checked], user: str) -> None:
	"""`route_by_territory` for every new row without an owner: the territory's least-loaded rep (one
	query per territory for its reps, one grouped count for their open records), else the importer."""
	owner_field, open_filters = ROUTED[doctype]
	new = [r for r in rows if r.ok]
	territories = {
		r.values["territory"]
		for r in new
		if r.values.get("territory") and import_rows.empty(r.values.get(owner_field))
	}
	reps = {territory: territory_reps(territory) for territory in territories}
	everyone = sorted({rep for names in reps.values() for rep in names})
	load = {}
	if everyone:
		table = frappe.qb.DocType(doctype)
		query = (
			frappe.qb.from_(table)
			.select(table[owner_field], Count("*"))
			.where(table[owner_field].isin(everyone))
		)
		for fieldname, condition in open_filters.items():
			if isinstance(condition, tuple):
				query = query.where(table[fieldname].isin(list(condition[1])))
			else:
				query = query.where(table[fieldname] == condition)
		load = dict(query.groupby(table[owner_field]).run())
	routed = import_rows.route(
		(
			(r.row, r.values.get("territory"), r.values.get(owner_field), is_open(r.values, open_filters))
			for r in new
		),
		reps,
		load,
	)
	for row in new:
		if import_rows.empty(row.values.get(owner_field)):
			row.values[owner_field] = routed.get(row.row) or user
