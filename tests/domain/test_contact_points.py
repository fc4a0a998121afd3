import pytest

from crm_module.domain.contact_points import normalize_email, normalize_phone, region_for, single_primary


def test_normalize_email():
	assert normalize_email(" John.Doe@Example.COM ") == "John.Doe@example.com"
	assert normalize_email("a+tag@sub.example.co.uk") == "a+tag@sub.example.co.uk"
	assert normalize_email("o'brien@x-y.io") == "o'brien@x-y.io"


@pytest.mark.parametrize(
	"bad",
	[
		"",
		None,
		"a@b",
		"a..b@x.com",
		".a@x.com",
		"a.@x.com",
		"a@-x.com",
		"x@y.c",
		"a b@x.com",
		"a@@x.com",
		"plain",
		"a@x.123",
		42,
	],
)
def test_normalize_email_errors(bad):
	with pytest.raises(ValueError, match=r"email: .* is not a valid email address"):
		normalize_email(bad)


def test_normalize_email_length_limits():
	with pytest.raises(ValueError, match="email"):
		normalize_email("a" * 65 + "@x.com")
	with pytest.raises(ValueError, match="email"):
		normalize_email("a@" + ("b" * 60 + ".") * 5 + "com")  # 2 + 305 + 3 = 310 > 254


@pytest.mark.parametrize(
	"number,country,expected",
	[
		("(650) 253-0000", None, "+16502530000"),
		("+1 650-253-0000", "GB", "+16502530000"),  # an explicit + wins
		("020 7946 0958", "+44", "+442079460958"),
		("020 7946 0958", "44", "+442079460958"),
		("020 7946 0958", "GB", "+442079460958"),
		("020 7946 0958", "gb", "+442079460958"),
		("0044 20 7946 0958", "44", "+442079460958"),
		("030 901820", "DE", "+4930901820"),
		("650 253 0000", "1", "+16502530000"),
	],
)
def test_normalize_phone(number, country, expected):
	assert normalize_phone(number, country) == expected


def test_normalize_phone_default_region():
	assert normalize_phone("020 7946 0958", None, default_region="GB") == "+442079460958"


@pytest.mark.parametrize("bad", ["", None, "abc", "123", "+1 000 000 0000", "555-01"])
def test_normalize_phone_errors(bad):
	with pytest.raises(ValueError, match="phone"):
		normalize_phone(bad)


def test_normalize_phone_bad_country():
	with pytest.raises(ValueError, match="country_code"):
		normalize_phone("020 7946 0958", "+999")
	with pytest.raises(ValueError, match="country_code"):
		normalize_phone("020 7946 0958", "XX")
	assert region_for("+44") == "GB" and region_for(None) == "US" and region_for("", "DE") == "DE"


def test_single_primary_makes_first_primary():
	rows = [{"email": "a@x.com"}, {"email": "b@x.com", "is_primary": 0}]
	out = single_primary(rows)
	assert [r["is_primary"] for r in out] == [1, 0]
	assert "is_primary" not in rows[0]  # input untouched


def test_single_primary_keeps_the_one_primary():
	out = single_primary([{"p": 0}, {"p": 1}, {"p": None}], key="p")
	assert [r["p"] for r in out] == [0, 1, 0]


def test_single_primary_rejects_several():
	with pytest.raises(ValueError) as e:
		single_primary([{"is_primary": 1}, {"is_primary": True}], label="email")
	assert "Only one primary email is allowed" in str(e.value) and "is_primary" in str(e.value)


def test_single_primary_empty():
	assert single_primary([]) == []
