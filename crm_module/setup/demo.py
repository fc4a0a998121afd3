"""A small, believable data set for a development site: two reps, customers, contacts, leads,
opportunities across the pipeline and a few weeks of interactions. Idempotent: runs once per site.

	bench --site crm.localhost execute crm_module.setup.demo.make_demo
"""

import frappe
from frappe.utils import add_days, add_to_date, cint, now_datetime, nowdate

from crm_module import constants

DEMO_PASSWORD = "Demo@12345"
REPS = ("rep1@demo.example.com", "rep2@demo.example.com")
MANAGER = "manager@demo.example.com"

CUSTOMERS = (
	# company, industry, size, segment, lifecycle, owner index
	("Acme Corp", "Technology", "201-500", "VIP", "Customer", 0),
	("Globex", "Manufacturing", "1000+", "Enterprise", "Customer", 0),
	("Initech", "Software", "51-200", "SMB", "Opportunity", 1),
	("Umbrella Health", "Healthcare", "501-1000", "Enterprise", "Prospect", 1),
	("Stark Logistics", "Logistics", "11-50", "SMB", "Customer", 0),
)

OPPORTUNITIES = (
	# customer index, name, value, stage
	(0, "Enterprise License Deal", 250000, "Proposal"),
	(0, "Support Renewal", 40000, "Negotiation"),
	(1, "Plant Analytics Rollout", 180000, "Qualification"),
	(2, "Team Plan Upgrade", 12000, "Prospecting"),
	(3, "Records Migration", 95000, "Proposal"),
	(4, "Fleet Tracking Pilot", 18000, "Closed Won"),
)

LEADS = (
	("Grace Hopper", "Navy Systems", "grace@navysystems.example.com", "Referral", "Qualified", 0),
	("Alan Turing", "Bletchley Labs", "alan@bletchley.example.com", "Website", "Contacted", 0),
	("Katherine Johnson", "Orbit Co", "kj@orbit.example.com", "Event", "New", 1),
	("Linus Pauling", "Vitamin Inc", "linus@gmail.com", "Cold Call", "Unqualified", 1),
	("Ada Lovelace", "Engine Works", "ada@engineworks.example.com", "Referral", "New", 0),
)


def make_demo():
	complete_setup()
	if frappe.db.exists(constants.CUSTOMER, {"company_name": CUSTOMERS[0][0]}):
		print("demo data already present")
		return
	# the manager first, as a System Manager too: Frappe makes the first user of a site a System Manager
	_user(MANAGER, constants.ROLE_MANAGER, "System Manager")
	users = [_user(email, constants.ROLE_USER) for email in REPS]
	customers = []
	for company, industry, size, segment, lifecycle, owner in CUSTOMERS:
		doc = _as(
			users[owner],
			{
				"doctype": constants.CUSTOMER,
				"company_name": company,
				"industry": industry,
				"company_size": size,
				"segment": segment,
				"lifecycle_stage": lifecycle,
				"account_owner": users[owner],
			},
		)
		customers.append(doc)
		first = company.split()[0]
		_as(
			users[owner],
			{
				"doctype": constants.CONTACT,
				"customer": doc.name,
				"first_name": first,
				"last_name": "Buyer",
				"job_title": "Head of Procurement",
				"contact_role": "Decision Maker",
				"is_primary": 1,
				"emails": [{"email_id": f"buyer@{first.lower()}.example.com", "email_type": "Work"}],
				"phones": [{"phone": f"+1 415 555 01{len(customers):02d}", "phone_type": "Office"}],
			},
		)
	stages = {
		s.stage_name: s.name
		for s in frappe.get_all(
			constants.PIPELINE_STAGE,
			filters={"pipeline": constants.DEFAULT_PIPELINE},
			fields=["name", "stage_name"],
		)
	}
	for index, name, value, stage in OPPORTUNITIES:
		customer = customers[index]
		_as(
			customer.account_owner,
			{
				"doctype": constants.OPPORTUNITY,
				"customer": customer.name,
				"opportunity_name": name,
				"value": value,
				"stage": stages[stage],
				"expected_close_date": add_days(nowdate(), 30),
				"source": "Inbound",
				"win_loss_reason": "Best fit for the pilot" if stage == "Closed Won" else None,
			},
		)
	kinds = ("Call", "Email", "Meeting", "Call", "Email")
	sentiments = ("Positive", "Neutral", "Positive", "Negative", "Positive")
	for day in range(0, 40, 4):
		for i, customer in enumerate(customers):
			when = add_to_date(now_datetime(), days=-(day + i))
			_as(
				customer.account_owner,
				{
					"doctype": constants.INTERACTION,
					"customer": customer.name,
					"interaction_type": kinds[(day + i) % 5],
					"subject": f"{kinds[(day + i) % 5]} with {customer.company_name}",
					"interaction_date": when,
					"duration_minutes": 30,
					"sentiment": sentiments[(day + i) % 5],
					"outcome": sentiments[(day + i) % 5],
				},
			)
	for name, company, email, source, status, owner in LEADS:
		_as(
			users[owner],
			{
				"doctype": constants.LEAD,
				"lead_name": name,
				"company_name": company,
				"email_id": email,
				"source": source,
				"status": status,
				"lead_owner": users[owner],
				"follow_up_date": add_days(nowdate(), 3),
			},
		)
	# what the daily jobs would have done by tomorrow morning
	from crm_module.services.health import compute_all_health_scores
	from crm_module.services.scoring import score_all_leads

	score_all_leads()
	compute_all_health_scores()
	frappe.db.commit()
	print(
		f"demo data created: {len(customers)} customers, {len(OPPORTUNITIES)} opportunities, {len(LEADS)} leads"
	)


def complete_setup():
	"""Skip the setup wizard on a fresh dev site (language, country, time zone, currency)."""
	is_complete = getattr(frappe, "is_setup_complete", None)  # v16; v15 keeps a flag on System Settings
	if (
		is_complete()
		if is_complete
		else cint(frappe.db.get_single_value("System Settings", "setup_complete"))
	):
		return
	from frappe.desk.page.setup_wizard.setup_wizard import setup_complete

	setup_complete(
		{"language": "English", "country": "United States", "timezone": "America/New_York", "currency": "USD"}
	)


def _user(email: str, *roles: str) -> str:
	"""A desk user with exactly `roles`."""
	if not frappe.db.exists("User", email):
		frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": email.split("@")[0].title(),
				"send_welcome_email": 0,
				"new_password": DEMO_PASSWORD,
			}
		).insert(ignore_permissions=True)
	user = frappe.get_doc("User", email)
	user.set("roles", [])
	user.add_roles(*roles)
	return email


def _as(user: str, values: dict):
	"""Insert as `user` so ownership, permissions and timeline attribution are real."""
	previous = frappe.session.user
	frappe.set_user(user)
	try:
		return frappe.get_doc(values).insert()
	finally:
		frappe.set_user(previous)
