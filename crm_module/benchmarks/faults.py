"""The fault tier's fixture (`scripts/fault_tier.sh`, `tests_faults/run_faults.py`), run in its throwaway site:

	bench --site S execute crm_module.benchmarks.faults.prepare --kwargs "{'path': '/tmp/crm-faults-x/plan.json'}"

Makes dataset L at a small scale (`crm_module.benchmarks.dataset`; 0.01: 1,000 customers of 5 reps, 1,000
leads and opportunities, 10,000 interactions), enough for every rep to get a Red digest from the nightly
run, and writes the plan the driver reads: a run id, the first rep with an API token and a password, and that rep's
customers. Nothing here runs on a site other than the tier's own, which is deleted afterwards.
"""

import json

import frappe
from frappe.utils.password import update_password

from crm_module import constants
from crm_module.benchmarks import dataset

PASSWORD = "Fault@12345"


def prepare(path: str, scale: float = 0.01, reps: int = 5) -> dict:
	"""Load the data and write the plan to `path`; returns the row counts."""
	from crm_module.tests.api_case import CRMAPITestCase

	counts = dataset.make(scale=scale, rep_count=reps)
	user = dataset.rep_email(0)
	update_password(user, PASSWORD)
	token = CRMAPITestCase.api_token(user)
	customers = frappe.get_all(
		constants.CUSTOMER, filters={"account_owner": user}, pluck="name", limit=40, order_by="name"
	)
	frappe.db.commit()
	plan = {
		"run": frappe.generate_hash(length=6).upper(),
		"user": user,
		"password": PASSWORD,
		"token": token,
		"customers": customers,
		"counts": counts,
	}
	with open(path, "w") as handle:
		json.dump(plan, handle)
	return counts
