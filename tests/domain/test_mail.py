from datetime import datetime

from crm_module.domain import mail
from crm_module.domain.mail import Match


def test_addresses_are_parsed_lowercased_and_deduplicated():
	found = mail.addresses(
		'"Ada L." <Ada@Example.COM>, bob@x.org', "ada@example.com; Carol <carol@y.io>", None
	)
	assert found == ["ada@example.com", "bob@x.org", "carol@y.io"]
	assert mail.addresses("not an address, <also bad>") == []


def test_the_outside_party_comes_first():
	assert mail.counterpart_order("a@x.com", "me@us.com", "c@x.com", inbound=True) == [
		"a@x.com",
		"me@us.com",
		"c@x.com",
	]
	assert mail.counterpart_order("me@us.com", "a@x.com", "c@x.com", inbound=False) == [
		"a@x.com",
		"c@x.com",
		"me@us.com",
	]


def test_best_match_prefers_the_first_address_then_contact_customer_lead():
	matches = {
		"b@x.com": [Match("contact", "CON-2", "CUST-2")],
		"a@x.com": [
			Match("lead", "LEAD-1"),
			Match("customer", "CUST-1", "CUST-1"),
			Match("contact", "CON-9", "C"),
		],
	}
	assert mail.best_match(["a@x.com", "b@x.com"], matches).name == "CON-9"
	assert mail.best_match(["b@x.com", "a@x.com"], matches).name == "CON-2"
	assert mail.best_match(["z@x.com"], matches) is None
	only_leads = {"a@x.com": [Match("lead", "LEAD-2"), Match("lead", "LEAD-1")]}
	assert mail.best_match(["a@x.com"], only_leads).name == "LEAD-1"


def test_automated_senders():
	assert mail.is_automated_sender("MAILER-DAEMON@x.com")
	assert mail.is_automated_sender("no-reply@x.com")
	assert mail.is_automated_sender("")
	assert not mail.is_automated_sender("ada@x.com")


def test_meeting_end_and_duration():
	start = datetime(2026, 3, 2, 10, 0)
	assert mail.meeting_end(start, 45) == datetime(2026, 3, 2, 10, 45)
	assert mail.meeting_end(start, None) == datetime(2026, 3, 2, 10, 30)
	assert mail.duration_between(start, datetime(2026, 3, 2, 11, 30)) == 90
	assert mail.duration_between(start, start) is None
	assert mail.duration_between(start, None) is None


def test_text_to_html_escapes_and_truncates():
	assert mail.text_to_html("<b>hi</b>\r\nthere") == "&lt;b&gt;hi&lt;/b&gt;<br>there"
	assert mail.text_to_html("x" * 50, limit=10).endswith(" …")
	assert mail.text_to_html(None) == ""


def test_lead_name_for():
	assert mail.lead_name_for('"Grace Hopper"', "g@x.com") == "Grace Hopper"
	assert mail.lead_name_for(None, "grace.hopper@x.com") == "Grace Hopper"
	assert mail.lead_name_for("g@x.com", "g@x.com") == "G"
