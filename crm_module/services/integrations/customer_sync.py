"""CRM Customer Profile <-> ERPNext Customer (issue 20), run by the sync job of `erp_sync.py`, and what
both pair syncs share (writing as the sync, the merge base, source links).

The fields are `domain.erp_sync.CUSTOMER_MAP`; ERPNext's Industry Type, Territory and User links are
written only when a record of that name exists there (likewise CRM Sales Territory on the CRM side);
CRM Inactive or Churned is ERPNext's `disabled`. A deleted profile deletes its Customer (ERPNext refuses
when transactions link to it: the failure is listed); a deleted Customer deletes its profile, or, when
opportunities or interactions still link to the profile, makes it Inactive and unlinks it.
"""

import json

import frappe
from frappe.utils import get_datetime

from crm_module import constants
from crm_module.domain import erp_sync as rules
from crm_module.services.transactions import savepoint

ERP_CUSTOMER = "Customer"
FRAPPE_CONTACT = "Contact"
# which doctype each side of a pair is, per record doctype
PARTNER = {
	constants.CUSTOMER: ERP_CUSTOMER,
	ERP_CUSTOMER: constants.CUSTOMER,
	constants.CONTACT: FRAPPE_CONTACT,
	FRAPPE_CONTACT: constants.CONTACT,
}


def erpnext_installed() -> bool:
	return "erpnext" in frappe.get_installed_apps()


def delete_partner(doctype: str, name: str) -> None:
	if not frappe.db.exists(doctype, name):
		return
	if doctype == constants.CUSTOMER:
		try:
			with savepoint("crm_sync_delete"):
				frappe.delete_doc(doctype, name, ignore_permissions=True, flags={"crm_sync": True})
		except frappe.LinkExistsError:
			# opportunities, interactions... still point at it: the CRM keeps its history
			write(frappe.get_doc(doctype, name), {"status": rules.INACTIVE, "erpnext_customer": None})
		return
	# a Contact: only its CRM contact links to it, and that one is being deleted
	frappe.delete_doc(doctype, name, ignore_permissions=True, force=True, flags={"crm_sync": True})


def write(doc, values: dict) -> None:
	"""Save `values` on `doc` as the sync (no echo, no permission check)."""
	doc.update(values)
	doc.flags.crm_sync = True
	doc.flags.ignore_permissions = True
	doc.save(ignore_version=False)  # a Version row on the synced record too (tests included)


def load_base(doc) -> dict | None:
	state = doc.get("erp_sync_state")
	if not state:
		return None
	state = json.loads(state) if isinstance(state, str) else state
	for side in ("crm", "erp"):
		for key in (rules.EMAILS, rules.PHONES):
			if key in (state.get(side) or {}):
				state[side][key] = tuple(state[side][key])
	return state


def store(doctype: str, name: str, values: dict) -> None:
	"""Link fields and the merge base on the CRM record, without a new version or `modified`."""
	frappe.db.set_value(doctype, name, values, update_modified=False)


def state_json(crm: dict, erp: dict) -> str:
	return json.dumps({"crm": crm, "erp": erp}, sort_keys=True, default=list)


def later(a, b) -> tuple:
	return get_datetime(a), get_datetime(b)


# ------------------------------------------------------------------ customers


def sync_customer(doctype: str, name: str) -> str | None:
	"""Sync a CRM Customer Profile or an ERPNext Customer with its partner; returns the partner."""
	if not frappe.db.exists(doctype, name):
		return None
	if doctype == constants.CUSTOMER:
		profile = frappe.get_doc(doctype, name)
		customer_name = customer_partner(profile)
		customer = frappe.get_doc(ERP_CUSTOMER, customer_name) if customer_name else None
	else:
		customer = frappe.get_doc(doctype, name)
		profile_name = profile_partner(customer.name)
		profile = frappe.get_doc(constants.CUSTOMER, profile_name) if profile_name else None
	if customer is None:
		customer = create_erp_customer(profile)
	elif profile is None:
		profile = create_profile(customer)
	else:
		merge_customer(profile, customer)
	return customer.name if doctype == constants.CUSTOMER else profile.name


def customer_partner(profile) -> str | None:
	"""The profile's ERPNext Customer: its link, else the Customer it was migrated from."""
	if profile.erpnext_customer and frappe.db.exists(ERP_CUSTOMER, profile.erpnext_customer):
		return profile.erpnext_customer
	return source_of(ERP_CUSTOMER, constants.CUSTOMER, profile.name)


def profile_partner(customer: str) -> str | None:
	return frappe.db.get_value(constants.CUSTOMER, {"erpnext_customer": customer}, "name") or (
		target_of(ERP_CUSTOMER, customer, constants.CUSTOMER)
	)


def source_of(source_doctype: str, target_doctype: str, target: str) -> str | None:
	name = frappe.db.get_value(
		constants.SOURCE_LINK,
		{"source_doctype": source_doctype, "target_doctype": target_doctype, "target_name": target},
		"source_name",
	)
	return name if name and frappe.db.exists(source_doctype, name) else None


def target_of(source_doctype: str, source: str, target_doctype: str) -> str | None:
	name = frappe.db.get_value(
		constants.SOURCE_LINK,
		{"source_doctype": source_doctype, "source_name": source, "target_doctype": target_doctype},
		"target_name",
	)
	return name if name and frappe.db.exists(target_doctype, name) else None


def existing_links(values: dict, links: dict) -> dict:
	"""`values` without the Link values whose target does not exist (`links`: field -> doctype)."""
	return {
		field: value
		for field, value in values.items()
		if field not in links or not value or frappe.db.exists(links[field], value)
	}


def erp_customer_values(crm: dict) -> dict:
	"""ERPNext Customer field values from canonical customer values."""
	values = {rules.CUSTOMER_MAP[k]: v or None for k, v in crm.items() if k in rules.CUSTOMER_MAP}
	links = {rules.CUSTOMER_MAP[k]: doctype for k, doctype in rules.CUSTOMER_LINKS.items()}
	values = existing_links(values, links)
	if rules.DISABLED in crm:
		values["disabled"] = int(crm[rules.DISABLED])
	return values


def crm_customer_values(erp: dict, lifecycle_stage: str | None) -> dict:
	links = {"territory": constants.TERRITORY, "account_owner": "User"}
	values = existing_links({k: v or None for k, v in erp.items() if k in rules.CUSTOMER_MAP}, links)
	if "company_name" in values and not values["company_name"]:
		values.pop("company_name")
	if rules.DISABLED in erp:
		values.update(rules.crm_status_values(erp[rules.DISABLED], lifecycle_stage))
	return values


def create_erp_customer(profile):
	canonical = rules.customer_from_crm(profile.as_dict())
	customer = frappe.get_doc({"doctype": ERP_CUSTOMER, **erp_customer_values(canonical)})
	customer.flags.crm_sync = True
	customer.insert(ignore_permissions=True)
	finish_customer(profile.name, customer)
	return customer


def create_profile(customer):
	canonical = rules.customer_from_erp(customer.as_dict())
	values = crm_customer_values(canonical, None)
	values.setdefault("lifecycle_stage", "Customer")
	profile = frappe.get_doc({"doctype": constants.CUSTOMER, **values, "erpnext_customer": customer.name})
	profile.flags.crm_sync = True
	profile.insert(ignore_permissions=True)
	finish_customer(profile.name, customer)
	return profile


def merge_customer(profile, customer) -> None:
	crm = rules.customer_from_crm(profile.as_dict())
	erp = rules.customer_from_erp(customer.as_dict())
	merge = rules.merge(crm, erp, *later(profile.modified, customer.modified), base=load_base(profile))
	if merge.to_erp:
		write(customer, erp_customer_values(merge.to_erp))
	if merge.to_crm:
		write(profile, crm_customer_values(merge.to_crm, profile.lifecycle_stage))
	finish_customer(profile.name, customer)


def finish_customer(profile_name: str, customer) -> None:
	profile = frappe.get_doc(constants.CUSTOMER, profile_name)
	customer.reload()
	crm, erp = rules.customer_from_crm(profile.as_dict()), rules.customer_from_erp(customer.as_dict())
	store(
		constants.CUSTOMER,
		profile_name,
		{"erpnext_customer": customer.name, "erp_sync_state": state_json(crm, erp)},
	)
