"""The ERPNext / Frappe Contact sync rules (crm_module/domain/erp_sync.py): maps, canonical values, the
three-way merge with the later-modified rule, and pairing for the backfill."""

from crm_module.domain import erp_sync as s


def test_maps_name_existing_fields_once():
	assert s.CUSTOMER_MAP["company_name"] == "customer_name"
	assert s.CUSTOMER_MAP["account_owner"] == "account_manager"
	assert len(set(s.CUSTOMER_MAP.values())) == len(s.CUSTOMER_MAP)
	assert s.CONTACT_MAP["job_title"] == "designation"
	assert s.CUSTOMER_KEYS[-1] == "disabled"


def test_disabled_is_inactive_or_churned_and_back():
	assert s.crm_disabled("Inactive", "Customer") is True
	assert s.crm_disabled("Active", "Churned") is True
	assert s.crm_disabled("Active", "Customer") is False
	assert s.crm_status_values(True, "Customer") == {"status": "Inactive"}
	assert s.crm_status_values(False, "Churned") == {"status": "Active", "lifecycle_stage": "Customer"}
	assert s.crm_status_values(False, "Prospect") == {"status": "Active"}


def test_customer_canonical_from_both_sides_agree():
	crm = s.customer_from_crm(
		{
			"company_name": " Acme ",
			"customer_type": "Company",
			"website": "https://acme.io",
			"status": "Active",
		}
	)
	erp = s.customer_from_erp(
		{"customer_name": "Acme", "customer_type": "Partnership", "website": "https://acme.io", "disabled": 0}
	)
	assert crm == erp
	assert crm["disabled"] is False and crm["industry"] == ""


def test_contact_canonical_primary_flags():
	crm = s.contact_from_rows(
		{"first_name": "Ada", "last_name": "Lovelace", "job_title": "CTO", "is_primary": 1},
		[{"email_id": "Ada@X.io", "is_primary": 0}, {"email_id": "ada@y.io", "is_primary": 1}],
		[{"phone": "+15550100001", "is_primary": 1}, {"phone": "+15550100002", "is_primary": 0}],
		erp=False,
	)
	erp = s.contact_from_rows(
		{"first_name": "Ada", "last_name": "Lovelace", "designation": "CTO", "is_primary_contact": 1},
		[{"email_id": "ada@x.io", "is_primary": 0}, {"email_id": "ada@y.io", "is_primary": 1}],
		[
			{"phone": "+1 555 010 0002", "is_primary_phone": 0, "is_primary_mobile_no": 0},
			{"phone": "+1 (555) 010-0001", "is_primary_phone": 1, "is_primary_mobile_no": 0},
		],
		erp=True,
	)
	assert crm == erp
	assert crm["emails"] == ("ada@x.io", "ada@y.io")
	assert crm["primary_phone"] == "+15550100001"


def test_rows_for_erp_primary_mobile_or_phone():
	emails, phones = s.contact_rows_for_erp(
		["a@x.io", "B@x.io"],
		"b@x.io",
		[("+15550100001", "Mobile"), ("+15550100002", "Office")],
		"+15550100001",
	)
	assert emails == [{"email_id": "a@x.io", "is_primary": 0}, {"email_id": "B@x.io", "is_primary": 1}]
	assert phones[0] == {"phone": "+15550100001", "is_primary_mobile_no": 1, "is_primary_phone": 0}
	assert phones[1] == {"phone": "+15550100002", "is_primary_mobile_no": 0, "is_primary_phone": 0}
	_, office = s.contact_rows_for_erp([], "", [("+15550100002", "Office")], "+15550100002")
	assert office == [{"phone": "+15550100002", "is_primary_mobile_no": 0, "is_primary_phone": 1}]


def test_changed_fields():
	assert s.changed_fields(
		{"website": "a", "industry": None}, {"website": "a ", "industry": "Tech"}, ["website", "industry"]
	) == ["industry"]
	assert s.changed_fields(None, {"website": "a", "industry": ""}, ["website", "industry"]) == ["website"]


BASE = {"website": "a.io", "industry": "Tech", "disabled": False}


def based(crm=None, erp=None):
	return {"crm": dict(crm or BASE), "erp": dict(erp or BASE)}


def test_merge_one_side_changed_goes_to_the_other_whatever_modified():
	crm = {**BASE, "website": "b.io"}
	m = s.merge(crm, dict(BASE), crm_modified=1, erp_modified=9, base=based())
	assert m.to_erp == {"website": "b.io"} and m.to_crm == {} and m.conflicts == []
	m = s.merge(dict(BASE), {**BASE, "disabled": True}, crm_modified=9, erp_modified=1, base=based())
	assert m.to_crm == {"disabled": True} and m.to_erp == {}
	assert m.merged == {**BASE, "disabled": True}


def test_merge_conflict_later_modified_wins_field_by_field():
	crm = {**BASE, "website": "crm.io", "industry": "Retail"}
	erp = {**BASE, "website": "erp.io", "disabled": True}
	m = s.merge(
		crm, erp, crm_modified="2026-01-02 10:00:00", erp_modified="2026-01-02 10:00:05", base=based()
	)
	# both changed website: ERPNext saved later and wins; industry and disabled changed on one side only
	assert m.conflicts == ["website"]
	assert m.to_crm == {"website": "erp.io", "disabled": True}
	assert m.to_erp == {"industry": "Retail"}
	assert m.merged == {"website": "erp.io", "industry": "Retail", "disabled": True}
	m = s.merge(
		crm, erp, crm_modified="2026-01-02 10:00:09", erp_modified="2026-01-02 10:00:05", base=based()
	)
	assert m.to_erp == {"website": "crm.io", "industry": "Retail"} and m.to_crm == {"disabled": True}


def test_merge_without_base_later_side_wins_and_equal_is_nothing():
	crm, erp = {**BASE, "website": "crm.io"}, dict(BASE)
	assert s.merge(crm, erp, 1, 2).to_crm == {"website": "a.io"}
	assert s.merge(crm, erp, 2, 1).to_erp == {"website": "crm.io"}
	assert s.merge(dict(BASE), dict(BASE), 1, 2, base=based()).nothing


def test_merge_leaves_a_difference_neither_side_made():
	"""A territory ERPNext does not have stays on the CRM side only, and is not written back and forth."""
	crm, erp = {**BASE, "industry": "Quantum"}, dict(BASE)
	m = s.merge(crm, erp, 5, 1, base=based(crm, erp))
	assert m.nothing and m.merged["industry"] == "Quantum"


def test_merge_after_sync_is_nothing():
	"""No echo: once a merge is written, merging again (the other side's hook) finds nothing to do."""
	crm, erp = {**BASE, "website": "b.io"}, dict(BASE)
	m = s.merge(crm, erp, 2, 1, base=based())
	erp.update(m.to_erp)
	assert s.merge(crm, erp, 2, 3, base=based(crm, erp)).nothing


def test_pair_by_key_unique_only():
	left = {"C1": "acme", "C2": "globex", "C3": "initech", "C4": "initech", "C5": ""}
	right = {"E1": "acme", "E2": "globex", "E3": "globex", "E4": "initech", "E5": ""}
	pairs, amb_left, amb_right = s.pair_by_key(left, right)
	assert pairs == {"C1": "E1"}
	assert amb_left == ["C2", "C3", "C4"] and amb_right == ["E2", "E3", "E4"]
	assert s.name_key("  ACME   Corp ") == "acme corp"


def test_report_text():
	r = s.BackfillReport()
	r.add_paired("customers", "erpnext_customer", 3)
	r.add_paired("customers", "name", 2)
	r.add_created("customers", "erp", 4)
	r.unpaired.append(
		("customers", "CRM Customer Profile", "CRM-CUST-00001", "2 ERPNext Customers named Acme")
	)
	text = r.as_text()
	assert (
		"customers: paired 3 by erpnext_customer, 2 by name; created 0 in the CRM, 4 on the other side"
		in text
	)
	assert "not paired: 1" in text and "CRM-CUST-00001: 2 ERPNext Customers named Acme" in text
