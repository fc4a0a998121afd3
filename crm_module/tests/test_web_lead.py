"""The web-to-lead form (`/crm-lead`, `crm_module.api.web_lead.submit`) through real guest requests.

Every request is a guest's (no session, no token) through Frappe's WSGI app, each test from an IP address
of its own (``X-Forwarded-For``, which Frappe takes as `frappe.local.request_ip`), so the per-IP rate
limit of one test does not touch another; tearDown clears the rate-limit counters it used.
"""

import frappe
from frappe.tests.test_api import ThreadWithReturnValue, make_request

from crm_module import constants
from crm_module.api import web_lead as endpoint
from crm_module.services import web_lead
from crm_module.tests.api_case import CRMAPITestCase
from crm_module.tests.factories import as_user, make_contact, make_lead, make_territory

METHOD = "crm_module.api.web_lead.submit"
CONSENT = "I agree that Web Lead Test Co stores my details to answer me."
ORIGIN = "https://www.weblead-test.example"
LEAD_FIELDS = ["name", "lead_name", "company_name", "source", "status", "lead_owner", "territory", "owner"]
LEAD_FIELDS += ["latest_score", "latest_grade", "scored_on"]


class TestWebLead(CRMAPITestCase):
	prefix = "weblead"

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.saved_settings = frappe.get_doc(web_lead.SETTINGS).as_dict()
		cls.addClassCleanup(cls.restore_settings)
		territory = "Web Lead Test Land"
		if not frappe.db.exists(constants.TERRITORY, territory):
			make_territory(territory, reps=(cls.rep_b,))
		settings = frappe.get_doc(web_lead.SETTINGS)
		settings.update(
			{
				"enabled": 1,
				"form_title": "Talk to us",
				"consent_text": CONSENT,
				"allowed_origins": ORIGIN + "\n",
				"notify_owner": 1,
				"default_territory": territory,
				"default_owner": None,
			}
		)
		settings.set("form_fields", [])
		for fieldname, label, required in (
			("lead_name", "Your name", 1),
			("email_id", "Work email", 1),
			("company_name", "Company", 1),
			("phone", "", 0),
		):
			settings.append("form_fields", {"fieldname": fieldname, "label": label, "required": required})
		settings.save(ignore_permissions=True)
		frappe.db.commit()
		cls.territory = territory

	@classmethod
	def restore_settings(cls):
		settings = frappe.get_doc(web_lead.SETTINGS)
		saved = cls.saved_settings
		settings.update(
			{k: saved.get(k) for k in ("enabled", "form_title", "consent_text", "allowed_origins")}
		)
		settings.update({k: saved.get(k) for k in ("notify_owner", "default_territory", "default_owner")})
		settings.set("form_fields", [])
		for row in saved.get("form_fields") or []:
			settings.append("form_fields", {k: row[k] for k in ("fieldname", "label", "required")})
		if frappe.db.exists(constants.TERRITORY, cls.territory):
			settings.default_territory = saved.get("default_territory")
			frappe.delete_doc(constants.TERRITORY, cls.territory, force=True, ignore_permissions=True)
		settings.save(ignore_permissions=True)
		frappe.db.commit()

	def setUp(self):
		self.ips = set()

	def tearDown(self):
		for ip in self.ips:
			frappe.cache.delete(frappe.cache.make_key(f"rl:{METHOD}:{ip}"))

	def submit(self, body: dict, ip: str, json: bool = True, headers: dict | None = None):
		self.ips.add(ip)
		kwargs = {"headers": {"X-Forwarded-For": ip, "Accept": "application/json", **(headers or {})}}
		kwargs["json" if json else "data"] = body
		return self.raw("POST", f"/api/method/{METHOD}", **kwargs)

	def valid(self, email: str, **extra) -> dict:
		return {
			"lead_name": "Wanda Weblead",
			"email_id": email,
			"company_name": "Weblead Widgets",
			"phone": "",
			"consent": 1,
			**extra,
		}

	def leads(self, email: str) -> list[dict]:
		return frappe.get_all(
			constants.LEAD,
			filters={"email_id": email},
			fields=[
				*LEAD_FIELDS,
				*web_lead.UTM_FIELDS,
				"consent_text",
				"consent_at",
				"consent_ip",
				"referrer",
			],
		)

	def test_valid_submission_creates_a_routed_scored_lead_with_consent_utm_and_source(self):
		email = "wanda.valid@weblead-test.example"
		body = self.valid(email, utm_source="newsletter", utm_medium="email", utm_campaign="winter-26")
		reply = self.submit(body, "10.21.0.1", json=False, headers={"Referer": "https://ads.example/x"})
		self.assertEqual(self.assertOk(reply), {"ok": True, "message": web_lead.ANSWER})
		(lead,) = self.leads(email)
		self.assertEqual(
			(lead.lead_name, lead.company_name, lead.source, lead.status),
			("Wanda Weblead", "Weblead Widgets", "Web Form", "New"),
		)
		self.assertEqual((lead.consent_text, lead.consent_ip), (CONSENT, "10.21.0.1"))
		self.assertIsNotNone(lead.consent_at)
		self.assertEqual(
			(lead.utm_source, lead.utm_medium, lead.utm_campaign), ("newsletter", "email", "winter-26")
		)
		self.assertEqual(lead.referrer, "https://ads.example/x")
		# routed to the default territory's only rep at once, and scored at once
		self.assertEqual((lead.territory, lead.lead_owner), (self.territory, self.rep_b))
		self.assertIsNotNone(lead.scored_on)
		self.assertEqual(self.count(constants.LEAD_SCORE, lead=lead.name), 1)
		self.assertEqual(
			frappe.db.count(
				"Notification Log", {"document_name": lead.name, "for_user": self.rep_b, "type": "Alert"}
			),
			1,
		)
		# the routed rep reaches it through the app's row rules
		with as_user(self.rep_b):
			self.assertTrue(frappe.has_permission(constants.LEAD, "read", doc=lead.name))

	def test_missing_required_field_is_a_400_naming_it(self):
		email = "wanda.missing@weblead-test.example"
		reply = self.submit(self.valid(email, company_name="  "), "10.21.0.2")
		self.assertFails(reply, 400, "company_name", "required")
		self.assertEqual(self.leads(email), [])

	def test_consent_is_required_when_the_form_shows_consent_text(self):
		email = "wanda.noconsent@weblead-test.example"
		reply = self.submit(self.valid(email, consent=0), "10.21.0.3")
		self.assertFails(reply, 400, "consent")
		self.assertEqual(self.leads(email), [])

	def test_bad_email_is_a_400_naming_the_field(self):
		reply = self.submit(self.valid("not-an-address"), "10.21.0.4")
		self.assertFails(reply, 400, "email")
		self.assertEqual(self.count(constants.LEAD, lead_name="Wanda Weblead", email_id="not-an-address"), 0)

	def test_a_value_over_the_field_size_is_a_400(self):
		email = "wanda.long@weblead-test.example"
		reply = self.submit(self.valid(email, company_name="W" * 141), "10.21.0.5")
		self.assertFails(reply, 400, "company_name", "141", "140")
		reply = self.submit(self.valid(email, utm_campaign="c" * 141), "10.21.0.5")
		self.assertFails(reply, 400, "utm_campaign")
		self.assertEqual(self.leads(email), [])

	def test_honeypot_answers_success_and_stores_nothing(self):
		email = "wanda.bot@weblead-test.example"
		before = self.count(constants.LEAD)
		reply = self.submit(self.valid(email, **{web_lead.HONEYPOT: "+1 555 0100"}), "10.21.0.6")
		self.assertEqual(self.assertOk(reply), {"ok": True, "message": web_lead.ANSWER})
		self.assertEqual((self.leads(email), self.count(constants.LEAD)), ([], before))

	def test_fields_off_the_form_are_ignored(self):
		email = "wanda.extra@weblead-test.example"
		body = self.valid(
			email,
			owner=self.rep_a,
			lead_owner=self.rep_a,
			status="Qualified",
			latest_score=99,
			latest_grade="A",
			job_title="CEO",
			consent_ip="1.2.3.4",
			source="Referral",
			territory="",
		)
		self.assertOk(self.submit(body, "10.21.0.7"))
		(lead,) = self.leads(email)
		self.assertEqual((lead.status, lead.source, lead.lead_owner), ("New", "Web Form", self.rep_b))
		self.assertEqual((lead.consent_ip, lead.owner), ("10.21.0.7", "Administrator"))
		self.assertNotEqual((lead.latest_score, lead.latest_grade), (99, "A"))
		self.assertIsNone(frappe.db.get_value(constants.LEAD, lead.name, "job_title"))

	def test_known_email_adds_an_interaction_with_the_same_answer(self):
		with as_user(self.rep_a):
			lead = make_lead("Known Lead", email_id="known.lead@weblead-test.example").name
			emails = [{"email_id": "known.contact@weblead-test.example", "is_primary": 1}]
			contact = make_contact(self.customer_a, "Known", emails=emails).name
		frappe.db.commit()
		new = self.submit(self.valid("brand.new@weblead-test.example"), "10.21.0.8")
		known_lead = self.submit(self.valid("Known.Lead@weblead-test.example"), "10.21.0.8")
		known_contact = self.submit(self.valid("known.contact@weblead-test.example"), "10.21.0.8")
		self.assertEqual((new.status, known_lead.status, known_contact.status), (200, 200, 200))
		self.assertEqual(new.json, known_lead.json)
		self.assertEqual(new.json, known_contact.json)
		self.assertEqual(len(self.leads("known.lead@weblead-test.example")), 1)
		self.assertEqual(self.count(constants.LEAD, email_id="known.contact@weblead-test.example"), 0)
		on_lead = frappe.get_all(
			constants.INTERACTION, filters={"lead": lead}, fields=["interaction_type", "subject", "direction"]
		)
		self.assertEqual(
			[(i.interaction_type, i.subject, i.direction) for i in on_lead],
			[("Note", "Web Form submission", "Inbound")],
		)
		on_contact = frappe.get_all(constants.INTERACTION, filters={"contact": contact}, fields=["customer"])
		self.assertEqual([i.customer for i in on_contact], [self.customer_a])

	def test_the_same_new_email_sent_at_once_makes_one_lead(self):
		email = "wanda.twice@weblead-test.example"
		self.ips.add("10.21.0.13")
		frappe.db.commit()
		threads = [
			ThreadWithReturnValue(
				target=self.client.open,
				args=(f"/api/method/{METHOD}",),
				kwargs={
					"method": "POST",
					"json": self.valid(email),
					"headers": {"X-Forwarded-For": "10.21.0.13", "Accept": "application/json"},
				},
				site=frappe.local.site,
			)
			for _ in range(4)
		]
		for thread in threads:
			thread.start()
		for thread in threads:
			thread.join()
		frappe.db.commit()
		self.assertEqual([t._return.status_code for t in threads], [200] * 4)
		(lead,) = self.leads(email)
		self.assertEqual(self.count(constants.INTERACTION, lead=lead.name), 3)

	def test_other_origins_are_refused_with_403_allowed_and_same_site_pass(self):
		email = "wanda.origin@weblead-test.example"
		reply = self.submit(self.valid(email), "10.21.0.9", headers={"Origin": "https://evil.example"})
		self.assertFails(reply, 403, "evil.example")
		self.assertEqual(self.leads(email), [])
		reply = self.submit(self.valid(email), "10.21.0.9", headers={"Origin": ORIGIN})
		self.assertOk(reply)
		self.assertEqual(len(self.leads(email)), 1)
		# the test client's requests are for host "localhost": the page on this site posting
		reply = self.submit(
			self.valid("wanda.same@weblead-test.example"), "10.21.0.9", headers={"Origin": "http://localhost"}
		)
		self.assertOk(reply)

	def test_the_rate_limit_answers_429_with_retry_after_per_ip(self):
		ip = "10.21.0.10"
		statuses = []
		for i in range(endpoint.RATE_LIMIT + 2):
			reply = self.submit(self.valid(f"wanda.rate{i}@weblead-test.example"), ip)
			statuses.append(reply.status)
		self.assertEqual(statuses, [200] * endpoint.RATE_LIMIT + [429, 429])
		self.assertEqual(
			self.count(constants.LEAD, email_id=("like", "wanda.rate%@weblead-test.example")),
			endpoint.RATE_LIMIT,
		)
		# the header, from the WSGI response itself
		frappe.db.commit()
		response = make_request(
			target=self.client.open,
			args=(f"/api/method/{METHOD}",),
			kwargs={
				"method": "POST",
				"json": self.valid("wanda.rate.last@weblead-test.example"),
				"headers": {"X-Forwarded-For": ip, "Accept": "application/json"},
			},
			site=frappe.local.site,
		)
		self.assertEqual(response.status_code, 429)
		self.assertTrue(0 < int(response.headers["Retry-After"]) <= endpoint.RATE_WINDOW)
		# another address is not throttled
		self.assertOk(self.submit(self.valid("wanda.rate.other@weblead-test.example"), "10.21.0.11"))

	def test_the_page_renders_the_configured_form_for_a_guest(self):
		reply = self.raw("GET", "/crm-lead")
		self.assertEqual(reply.status, 200)
		for text in ("Talk to us", "Work email", 'name="company_name"', 'name="fax_number"', CONSENT, METHOD):
			self.assertIn(text, reply.text)
		self.assertNotIn('name="job_title"', reply.text)

	def test_a_disabled_form_refuses_submissions(self):
		frappe.db.set_single_value(web_lead.SETTINGS, "enabled", 0)
		web_lead.clear_form_cache()
		frappe.db.commit()
		try:
			reply = self.submit(self.valid("wanda.disabled@weblead-test.example"), "10.21.0.12")
			self.assertFails(reply, 400, "not enabled")
		finally:
			frappe.db.set_single_value(web_lead.SETTINGS, "enabled", 1)
			web_lead.clear_form_cache()
			frappe.db.commit()
