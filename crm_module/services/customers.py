"""Customer profiles (spec: getCustomerProfile, createOrUpdateCustomerProfile)."""

from crm_module import constants
from crm_module.services.common import as_dict, get_record, insert, new_doc
from crm_module.services.payload import to_fields

ALIASES = {"name": "company_name", "company": "company_name", "email": "email_id"}
# The seed's example creates a profile with a starting health score: accepted from managers only (for a
# rep, access.write_guard refuses it; the health job computes it).
ALLOW = frozenset({"health_score"})


def get_customer_profile(customer: str, user: str | None = None) -> dict:
	"""The profile of `customer` with its contacts (primary first)."""
	from crm_module.services.contacts import get_contacts

	profile = as_dict(get_record(constants.CUSTOMER, customer, "customerId", user))
	profile["contacts"] = get_contacts(customer, user)
	return profile


def create_or_update_customer_profile(customer: str | None, data: dict, user: str | None = None) -> dict:
	"""Update `customer` with `data` (write access needed), or create a profile when `customer` is empty
	(``companyName`` is then required). Seed keys and lower-case select values are accepted."""
	values = to_fields(constants.CUSTOMER, data, ALIASES, ALLOW)
	if customer:
		doc = get_record(constants.CUSTOMER, customer, "customerId", user, "write")
		doc.update(values)
		doc.save()
	else:
		doc = insert(new_doc(constants.CUSTOMER, values, user), user)
	return as_dict(doc)
