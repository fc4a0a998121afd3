import pytest

from crm_module.domain.duplicates import MAX_GROUP, candidate_pairs, company_key, email_key, phone_key


@pytest.mark.parametrize(
	"name,key",
	[
		("Acme Corp.", "acme"),
		("ACME Corporation", "acme"),
		("Acme, Inc", "acme"),
		("  acme  ltd ", "acme"),
		("Société Générale S.A.", "societe generale"),
		("Barnes & Noble", "barnes and noble"),
		("Smith & Co. Ltd", "smith and"),
		("Corp", "corp"),  # nothing but a legal form keeps it
		(None, ""),
	],
)
def test_company_key(name, key):
	assert company_key(name) == key


def test_email_and_phone_keys():
	assert email_key("  Ada@Example.COM ") == "ada@example.com"
	assert phone_key("+1 (415) 555-0170") == "14155550170"
	assert email_key(None) == phone_key(None) == ""


def test_pairs_share_keys_and_are_reported_once_with_every_reason():
	records = [
		{"name": "C1", "company": "Acme Corp.", "email": "ops@acme.com"},
		{"name": "C2", "company": "ACME Corporation", "email": "OPS@acme.com"},
		{"name": "C3", "company": "Globex", "email": "ops@acme.com"},
		{"name": "C4", "company": "Initech", "email": ""},
	]
	keys = {"company": lambda r: [company_key(r["company"])], "email": lambda r: [email_key(r["email"])]}
	assert candidate_pairs(records, keys) == [
		{"a": "C1", "b": "C2", "reasons": ["company", "email"]},
		{"a": "C1", "b": "C3", "reasons": ["email"]},
		{"a": "C2", "b": "C3", "reasons": ["email"]},
	]


def test_a_key_shared_by_too_many_records_means_nothing():
	records = [{"name": f"L{i}", "email": "info@example.com"} for i in range(MAX_GROUP + 1)]
	assert candidate_pairs(records, {"email": lambda r: [r["email"]]}) == []
