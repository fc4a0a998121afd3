"""The demo company as plain data: who bought what, when, and how every account has been doing.

No database access here: `build` returns every record as a dict of column values (crm_module/setup/demo.py
writes them). The same seed and day always give the same company; dates are relative to `today`, so a
demo made on any day has a year of history behind it, follow-ups due that day and deals closing soon.

What it holds:

* 60 customers: 40 long-standing accounts and 20 won in the last year from converted leads. Each follows
  a health story over the last 12 months: steady (weekly contact, happy), lukewarm (monthly contact,
  mixed), slipping (weekly, then silence and complaints in the last weeks), recovering (rare contact, then
  weekly in the last two months), at risk (contact stopped months ago) and churned (inactive).
* 1-3 contacts per customer with their email and phone rows.
* 200 leads over every source, status and quality; the hot ones met recently and often.
* Opportunities in two pipelines: new business and upsells on "Default", renewals on "Renewals", with a
  year of won and lost deals (real cycle times, close dates, stage history) and an open pipeline.
* A year of interactions with customers and leads, and their timeline.
* Notes (some pinned, some with @mentions), tags, assignments and lead follow-ups due today and overdue.

Every name starts with `PREFIX`, so the demo can be found and removed exactly.
"""

import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from crm_module.domain.forecasting import days_in_pipeline, forecast_amount

PREFIX = "DEMO-"
SEED = 11
RENEWALS = "Renewals"

# (company, industry, size)
COMPANIES = (
	("Northwind Traders", "Retail", "201-500"),
	("Bluewater Logistics", "Logistics", "501-1000"),
	("Cedar Ridge Health", "Healthcare", "1000+"),
	("Brightline Software", "Software", "51-200"),
	("Ironclad Manufacturing", "Manufacturing", "1000+"),
	("Summit Financial Partners", "Finance", "201-500"),
	("Harbor Point Hotels", "Hospitality", "501-1000"),
	("Greenfield Energy", "Energy", "1000+"),
	("Atlas Freight", "Logistics", "201-500"),
	("Lumen Analytics", "Software", "51-200"),
	("Redwood Medical Group", "Healthcare", "501-1000"),
	("Silverline Credit Union", "Finance", "201-500"),
	("Pinecrest Academy", "Education", "51-200"),
	("Oakmont Construction", "Construction", "201-500"),
	("Clearview Media", "Media", "51-200"),
	("Vertex Robotics", "Manufacturing", "51-200"),
	("Meridian Supply Co", "Retail", "501-1000"),
	("Falcon Aerospace Parts", "Manufacturing", "201-500"),
	("Riverside Clinics", "Healthcare", "51-200"),
	("Quantum Retail Group", "Retail", "1000+"),
	("Evergreen Foods", "Food & Beverage", "501-1000"),
	("Skyline Properties", "Real Estate", "51-200"),
	("Copperleaf Design", "Media", "11-50"),
	("Trailhead Outdoor", "Retail", "51-200"),
	("Keystone Insurance", "Finance", "1000+"),
	("Granite Peak Mining", "Energy", "501-1000"),
	("Blue Heron Pharmacy", "Healthcare", "11-50"),
	("Nimbus Cloud Services", "Technology", "201-500"),
	("Sterling Legal", "Professional Services", "51-200"),
	("Horizon Telecom", "Technology", "1000+"),
	("Maple & Main Bakery", "Food & Beverage", "11-50"),
	("Orion Security", "Technology", "201-500"),
	("Lakeside Dental", "Healthcare", "11-50"),
	("Crescent Textiles", "Manufacturing", "201-500"),
	("Westbrook University", "Education", "1000+"),
	("Polaris Marine", "Logistics", "51-200"),
	("Sunrise Senior Living", "Healthcare", "201-500"),
	("Tidewater Shipping", "Logistics", "501-1000"),
	("Beacon Hill Consulting", "Professional Services", "11-50"),
	("Arcadia Games", "Media", "51-200"),
	("Prairie Wind Power", "Energy", "201-500"),
	("Cobalt Data Systems", "Technology", "51-200"),
	("Juniper Wellness", "Healthcare", "11-50"),
	("Ember Coffee Roasters", "Food & Beverage", "11-50"),
	("Highland Auto Group", "Retail", "201-500"),
	("Sapphire Travel", "Hospitality", "51-200"),
	("Old Mill Brewing", "Food & Beverage", "51-200"),
	("Fairway Sports", "Retail", "11-50"),
	("Kestrel Drones", "Technology", "11-50"),
	("Willow Creek Farms", "Food & Beverage", "51-200"),
	("Monarch Publishing", "Media", "201-500"),
	("Ridgeway Hardware", "Retail", "51-200"),
	("Solstice Solar", "Energy", "51-200"),
	("Starlight Cinemas", "Media", "201-500"),
	("Wavecrest Labs", "Software", "11-50"),
	("Granary Market", "Retail", "51-200"),
	("Foxglove Therapeutics", "Healthcare", "201-500"),
	("Hudson Print Works", "Manufacturing", "11-50"),
	("Pioneer Freight Lines", "Logistics", "201-500"),
	("Bayside Veterinary", "Healthcare", "11-50"),
)
# health story of each customer over the last year (60 in all)
STORIES = (
	("steady",) * 26 + ("slipping",) * 3 + ("lukewarm",) * 15 + ("recovering",) * 2 + ("at_risk",) * 11
) + ("churned",) * 3
NEW_CUSTOMERS = 20  # of the 60, won in the last year from converted leads
LEAD_COMPANY_WORDS = (
	"Alder", "Birchwood", "Canyon", "Delta", "Echo", "Fjord", "Glacier", "Harvest", "Indigo", "Jasper",
	"Kite", "Lark", "Mesa", "Nova", "Onyx", "Pebble", "Quarry", "Raven", "Sable", "Tundra", "Umber",
	"Vista", "Wren", "Yarrow", "Zephyr", "Aspen", "Basalt", "Cinder", "Dune", "Ember", "Flint", "Grove",
)  # fmt: skip
LEAD_COMPANY_KINDS = (
	("Labs", "Technology"), ("Systems", "Software"), ("Works", "Manufacturing"), ("Group", "Professional Services"),
	("Health", "Healthcare"), ("Logistics", "Logistics"), ("Foods", "Food & Beverage"), ("Energy", "Energy"),
	("Retail", "Retail"), ("Capital", "Finance"), ("Studios", "Media"), ("Academy", "Education"),
)  # fmt: skip
FIRST_NAMES = (
	"Olivia", "Liam", "Emma", "Noah", "Ava", "Ethan", "Sophia", "Mason", "Isabella", "Lucas", "Mia",
	"Aiden", "Amelia", "Elijah", "Harper", "James", "Evelyn", "Benjamin", "Abigail", "Henry", "Emily",
	"Daniel", "Ella", "Matthew", "Grace", "Samuel", "Chloe", "David", "Zoe", "Joseph", "Nora", "Carter",
	"Lily", "Owen", "Hannah", "Wyatt", "Layla", "Jack", "Aria", "Luke", "Riley", "Gabriel", "Leah",
	"Anthony", "Stella", "Isaac", "Hazel", "Dylan", "Aurora", "Nathan", "Violet", "Caleb", "Lucy",
)  # fmt: skip
LAST_NAMES = (
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
	"Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
	"Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
	"Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green",
	"Adams", "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts", "Patel",
)  # fmt: skip
CITIES = (
	"Seattle, WA", "Portland, OR", "Denver, CO", "Austin, TX", "Chicago, IL", "Boston, MA", "Atlanta, GA",
	"Minneapolis, MN", "San Diego, CA", "Raleigh, NC", "Columbus, OH", "Nashville, TN",
)  # fmt: skip
STREETS = ("Market Street", "Harbor Way", "Main Street", "Commerce Drive", "Park Avenue", "Mill Road")
AREA_CODES = ("206", "303", "312", "404", "415", "512", "617", "612", "619", "919", "614", "615")
# (contact role, job titles)
ROLES = (
	("Decision Maker", ("VP Operations", "Chief Financial Officer", "Head of Procurement", "COO")),
	("Champion", ("Operations Manager", "Sales Operations Lead", "Program Manager")),
	("Influencer", ("IT Director", "Head of Customer Success", "Finance Manager")),
	("End User", ("Account Coordinator", "Analyst", "Office Manager")),
)
LEAD_SOURCES = (
	("Website", 26), ("Referral", 16), ("Inbound", 12), ("Outbound", 10), ("Event", 10), ("Campaign", 9),
	("Social", 7), ("Partner", 6), ("Cold Call", 4),
)  # fmt: skip
OPPORTUNITY_SOURCE = {
	"Website": "Website", "Referral": "Referral", "Inbound": "Inbound", "Outbound": "Outbound",
	"Event": "Event", "Campaign": "Campaign", "Partner": "Partner", "Social": "Other", "Cold Call": "Outbound",
}  # fmt: skip
OPEN_FUNNEL = ((0, 28), (1, 30), (2, 24), (3, 18))  # open deals by stage (index), weights
INTERACTION_TYPES = (("Call", 30), ("Email", 35), ("Meeting", 15), ("Note", 5), ("Task", 5), ("SMS", 10))
# (positive, neutral, negative) weights by mood
MOODS = {"good": (72, 23, 5), "mixed": (35, 45, 20), "bad": (10, 35, 55)}
SUBJECTS = {
	"good": {
		"Call": ("Check-in call", "Expansion planning call", "Renewal kickoff call", "Roadmap preview"),
		"Email": (
			"Shared usage report",
			"Sent case study",
			"Quarterly newsletter reply",
			"Intro to new admin",
		),
		"Meeting": ("Quarterly business review", "Executive sponsor lunch", "Onsite workshop"),
		"Note": ("Account plan refreshed",),
		"Task": ("Prepare QBR deck", "Send usage report"),
		"SMS": ("Confirmed meeting time",),
	},
	"mixed": {
		"Call": ("Check-in call", "Pricing question", "Onboarding follow-up", "Invoice question"),
		"Email": ("Sent product update", "Answered feature request", "Contract reminder"),
		"Meeting": ("Status meeting", "Product demo for new team"),
		"Note": ("Internal sync on account",),
		"Task": ("Chase open support ticket",),
		"SMS": ("Quick reminder",),
	},
	"bad": {
		"Call": ("Support escalation call", "Complaint about response times", "Billing dispute call"),
		"Email": ("Escalation: open tickets", "Asked for cancellation terms", "Follow-up on outage"),
		"Meeting": ("Escalation meeting",),
		"Note": ("Churn risk noted",),
		"Task": ("Draft recovery plan",),
		"SMS": ("Left a message",),
	},
}
NEXT_STEPS = (
	"Send revised quote", "Schedule QBR", "Share implementation plan", "Book technical deep-dive",
	"Introduce customer success manager", "Confirm budget owner", "Send reference customers",
)  # fmt: skip
LEAD_SUBJECTS = {
	"Call": ("Discovery call", "Qualification call", "Pricing call"),
	"Email": ("Intro email", "Sent pricing sheet", "Shared case study", "Follow-up email"),
	"Meeting": ("Product demo", "Technical deep-dive", "Proposal walkthrough"),
	"Note": ("Research notes",),
	"Task": ("Prepare tailored demo",),
	"SMS": ("Confirmed demo time",),
}
WIN_REASONS = (
	"Best fit for their workflow", "Faster rollout than the incumbent", "Strong reference from a peer",
	"Pricing within budget after multi-year terms", "Executive sponsor pushed it through",
)  # fmt: skip
LOSS_REASONS = (
	"Lost to a lower-cost competitor", "No budget this year", "Chose to build in-house",
	"Timing: revisit next fiscal year", "Went dark after the proposal",
)  # fmt: skip
CHURN_REASONS = ("Consolidated vendors after an acquisition", "Unhappy with support response times")
COMPETITORS = ("Incumbent vendor", "Lower-cost competitor", "In-house build", "Regional reseller")
LEAD_LOST_REASONS = (
	"Chose a competitor", "No budget", "Project cancelled", "No response after three attempts",
)  # fmt: skip
UNQUALIFIED_NOTES = ("Too small for our product", "Student project", "Outside our regions")
JOB_TITLES = (
	"Head of Operations", "IT Manager", "Procurement Lead", "VP Sales", "Founder", "Operations Analyst",
	"Director of Finance", "Office Manager",
)  # fmt: skip
SIZES = ("1-10", "11-50", "51-200", "201-500", "501-1000", "1000+")
REVENUE = {  # annual revenue range by company size
	"1-10": (500_000, 2_000_000),
	"11-50": (2_000_000, 10_000_000),
	"51-200": (10_000_000, 50_000_000),
	"201-500": (50_000_000, 150_000_000),
	"501-1000": (150_000_000, 400_000_000),
	"1000+": (400_000_000, 2_000_000_000),
}
DEAL_SIZE = {  # new-business deal value range by company size
	"1-10": (3_000, 10_000),
	"11-50": (6_000, 25_000),
	"51-200": (15_000, 60_000),
	"201-500": (30_000, 120_000),
	"501-1000": (60_000, 180_000),
	"1000+": (90_000, 250_000),
}
TAGS = (
	# name, category, colour, description
	("Strategic Account", "Account", "#2490EF", "Top accounts with an executive sponsor"),
	("At Risk", "Health", "#E24C4C", "Customers whose health fell to red"),
	("Expansion", "Opportunity", "#29CD42", "Upsell and cross-sell deals"),
	("Champion", "Contact", "#7575FF", "People who sell for us inside their company"),
	("Hot Lead", "Lead", "#ECAD4B", "Qualified leads that met us in the last month"),
	("Partner Sourced", "Source", "#5E64FF", "Leads and deals brought by partners"),
	("Needs Exec Sponsor", "Account", "#FF8C00", "Large accounts without an executive contact"),
	("Multi-year", "Contract", "#20B2AA", "Renewed on multi-year terms"),
)


@dataclass
class Plan:
	customers: list[dict] = field(default_factory=list)
	contacts: list[dict] = field(default_factory=list)
	emails: list[dict] = field(default_factory=list)
	phones: list[dict] = field(default_factory=list)
	leads: list[dict] = field(default_factory=list)
	opportunities: list[dict] = field(default_factory=list)
	deal_stages: list[dict] = field(default_factory=list)
	interactions: list[dict] = field(default_factory=list)
	timeline: list[dict] = field(default_factory=list)
	tagged_items: list[dict] = field(default_factory=list)
	notes: list[dict] = field(default_factory=list)
	assignments: list[dict] = field(default_factory=list)
	story: dict[str, str] = field(default_factory=dict)  # customer -> health story
	# timeline entries that are not interactions (stage moves, conversions, notes): activity for health
	# (by customer) and for lead scoring (by lead)
	customer_activity: dict[str, list[datetime]] = field(default_factory=dict)
	lead_activity: dict[str, list[datetime]] = field(default_factory=dict)


def weighted(rng: random.Random, pairs):
	values, weights = zip(*pairs, strict=True)
	return rng.choices(values, weights=weights)[0]


def slug(text: str) -> str:
	return "".join(ch for ch in text.lower().replace("&", "and") if ch.isalnum())


class Builder:
	def __init__(self, today: date, now: datetime, reps, manager, stages: dict, currency: str, seed: int):
		self.rng = random.Random(seed)
		self.today, self.now = today, now
		self.reps = list(reps)  # [(email, full name)]
		self.manager = manager  # (email, full name)
		self.fullname = dict([*self.reps, manager])
		self.stages = stages  # {pipeline: [stage dicts in order]}
		self.currency = currency
		self.plan = Plan()
		self.counters: dict[str, int] = {}
		self.people = self._unique_people()
		self.phones = self._unique_phones()
		self.contacts_of: dict[str, list[dict]] = {}

	# ------------------------------------------------------------------ helpers

	def name(self, kind: str, digits: int = 4) -> str:
		self.counters[kind] = self.counters.get(kind, 0) + 1
		return f"{PREFIX}{kind}-{self.counters[kind]:0{digits}d}"

	def _unique_people(self):
		pairs = [(f, last) for f in FIRST_NAMES for last in LAST_NAMES]
		self.rng.shuffle(pairs)
		return iter(pairs)

	def _unique_phones(self):
		numbers = [f"+1{area}555{n:04d}" for area in AREA_CODES for n in range(100, 200)]
		self.rng.shuffle(numbers)
		return iter(numbers)

	def at(self, day: date, start: int = 8, end: int = 18) -> datetime:
		"""A business-hours moment of `day`, never later than now."""
		moment = datetime.combine(day, time(self.rng.randrange(start, end), self.rng.randrange(0, 60)))
		if moment > self.now:  # earlier today (no draw from rng: the demo must not depend on the hour)
			moment = self.now - timedelta(minutes=5 + moment.minute)
		return moment

	def days_ago(self, days: int) -> date:
		return self.today - timedelta(days=days)

	@staticmethod
	def std(name: str, created: datetime, owner: str, modified: datetime | None = None) -> dict:
		return {
			"name": name,
			"creation": created,
			"modified": modified or created,
			"owner": owner,
			"modified_by": owner,
		}

	def timeline(self, when: datetime, user: str, activity_type: str, title: str, **values) -> dict:
		row = {
			**self.std(self.name("TL", 5), when, user),
			"activity_type": activity_type,
			"title": title[:140],
			"activity_date": when,
			"performed_by": user,
			"is_important": 0,
			"customer": None,
			"lead": None,
			"reference_doctype": None,
			"reference_name": None,
			"description": None,
			"metadata": None,
			**values,
		}
		if activity_type not in ("Interaction", "Health Risk Change"):
			self.activity(row["customer"], row["lead"], when)
		self.plan.timeline.append(row)
		return row

	def activity(self, customer: str | None, lead: str | None, when: datetime):
		if customer:
			self.plan.customer_activity.setdefault(customer, []).append(when)
		if lead:
			self.plan.lead_activity.setdefault(lead, []).append(when)

	# ------------------------------------------------------------------ customers and contacts

	def customers(self):
		rng = self.rng
		stories = list(STORIES)
		rng.shuffle(stories)
		order = list(range(len(COMPANIES)))
		# the newest customers come from converted leads: never the churned ones
		new = [i for i in order if stories[i] not in ("churned", "at_risk")]
		rng.shuffle(new)
		new = set(new[:NEW_CUSTOMERS])
		for i, (company, industry, size) in enumerate(COMPANIES):
			owner = self.reps[i % len(self.reps)][0]
			if i in new:
				# won over the year, more of them lately (the team is growing)
				created = self.at(self.days_ago(12 + int(318 * rng.random() ** 1.25)))
			else:
				created = self.at(self.days_ago(rng.randrange(400, 900)))
			story = stories[i]
			low, high = REVENUE[size]
			domain = f"{slug(company)}.example.com"
			row = {
				**self.std(f"{PREFIX}CUST-{i + 1:03d}", created, owner),
				"company_name": company,
				"industry": industry,
				"company_size": size,
				"website": f"https://www.{domain}",
				"annual_revenue": round(rng.uniform(low, high), -5),
				"currency": self.currency,
				"status": "Inactive" if story == "churned" else "Active",
				"segment": segment_for(size),
				"engagement_level": {"steady": "High", "recovering": "Medium", "lukewarm": "Medium"}.get(
					story, "Low"
				),
				"account_owner": owner,
				"email_id": f"hello@{domain}",
				"phone": next(self.phones),
				"address": f"{rng.randrange(10, 990)} {rng.choice(STREETS)}\n{rng.choice(CITIES)}",
				"source_lead": None,
				"lifecycle_stage": "Customer",
				"description": None,
				"_new": i in new,
				"_story": story,
			}
			self.plan.customers.append(row)
			self.plan.story[row["name"]] = story
			self.contacts(row)

	def contacts(self, customer: dict):
		rng = self.rng
		count = 3 if customer["company_size"] in ("501-1000", "1000+") else rng.choice((1, 2, 2, 3))
		domain = customer["email_id"].split("@")[1]
		for k in range(count):
			first, last = next(self.people)
			role, titles = ROLES[0] if k == 0 else rng.choice(ROLES[1:])
			created = customer["creation"] + timedelta(days=rng.randrange(0, 30) if k else 0, minutes=5)
			created = min(created, self.now)
			self.add_contact(
				customer,
				first,
				last,
				f"{first}.{last}@{domain}".lower(),
				role,
				rng.choice(titles),
				k == 0,
				created,
			)

	def add_contact(self, customer, first, last, email, role, title, primary, created, phone=None) -> dict:
		owner = customer["account_owner"]
		name = self.name("CON", 3)
		phone = phone or next(self.phones)
		row = {
			**self.std(name, created, owner),
			"first_name": first,
			"last_name": last,
			"full_name": f"{first} {last}",
			"customer": customer["name"],
			"job_title": title,
			"contact_role": role,
			"is_primary": 1 if primary else 0,
			"preferred_contact_method": self.rng.choice(("Email", "Phone", "Meeting")),
			"email_id": email,
			"phone": phone,
			"last_contacted_on": None,
		}
		self.plan.contacts.append(row)
		self.plan.emails.append(
			{
				**self.std(self.name("EM", 3), created, owner),
				"parent": name,
				"parenttype": "CRM Contact",
				"parentfield": "emails",
				"idx": 1,
				"email_id": email,
				"email_type": "Work",
				"is_primary": 1,
				"is_verified": 1 if primary else 0,
			}
		)
		self.plan.phones.append(
			{
				**self.std(self.name("PH", 3), created, owner),
				"parent": name,
				"parenttype": "CRM Contact",
				"parentfield": "phones",
				"idx": 1,
				"phone": phone,
				"phone_type": "Office" if primary else "Mobile",
				"is_primary": 1,
				"is_verified": 0,
			}
		)
		self.contacts_of.setdefault(customer["name"], []).append(row)
		return row

	# ------------------------------------------------------------------ leads

	def leads(self):
		"""20 converted leads (the new customers), then 180 more over every status."""
		rng = self.rng
		for customer in [c for c in self.plan.customers if c["_new"]]:
			contact = self.contacts_of[customer["name"]][0]
			converted = customer["creation"]
			created = self.at((converted - timedelta(days=rng.randrange(14, 75))).date())
			lead = self.lead_row(
				created,
				customer["account_owner"],
				contact["full_name"],
				customer["company_name"],
				contact["email_id"],
				contact["phone"],
				weighted(rng, LEAD_SOURCES[:6]),
				"Converted",
				customer["industry"],
				customer["company_size"],
				decided=converted,
			)
			lead.update(
				{
					"converted_customer": customer["name"],
					"converted_contact": contact["name"],
					"converted_on": converted.date(),
					"quality": "Hot",
					"job_title": contact["job_title"],
					"website": customer["website"],
				}
			)
			customer["source_lead"] = lead["name"]
			customer["_lead"] = lead
			self.lead_interactions(lead, "converted", created, converted)
			customer["_conversion"] = self.timeline(
				converted,
				customer["account_owner"],
				"Lead Converted",
				f"Lead converted: {lead['lead_name']}",
				customer=customer["name"],
				lead=lead["name"],
				reference_doctype="CRM Sales Lead",
				reference_name=lead["name"],
				is_important=1,
				metadata=json.dumps({"contact": contact["name"], "opportunity": None}),
			)
		companies = [(w, k) for w in LEAD_COMPANY_WORDS for k in LEAD_COMPANY_KINDS]
		rng.shuffle(companies)
		mix = (("Lost", 24), ("Unqualified", 18), ("New", 50), ("Contacted", 48), ("Qualified", 40))
		statuses = [status for status, n in mix for _ in range(n)]
		for i, status in enumerate(statuses):
			word, (kind, industry) = companies[i]
			company = f"{word} {kind}"
			first, last = next(self.people)
			owner = self.reps[(i + 1) % len(self.reps)][0]
			age = {
				"Lost": (70, 360),
				"Unqualified": (40, 360),
				"New": (0, 25),
				"Contacted": (4, 70),
				"Qualified": (12, 110),
			}[status]
			created = self.at(self.days_ago(rng.randrange(*age)))
			decided = None
			if status in ("Lost", "Unqualified"):
				decided = min(self.at((created + timedelta(days=rng.randrange(7, 60))).date()), self.now)
			source = weighted(rng, LEAD_SOURCES)
			size = rng.choice(SIZES)
			lead = self.lead_row(
				created,
				owner,
				f"{first} {last}",
				company,
				f"{first}.{last}@{slug(company)}.example.com".lower(),
				next(self.phones) if rng.random() < 0.7 else None,
				source,
				status,
				industry if rng.random() < 0.85 else None,
				size if rng.random() < 0.8 else None,
				decided=decided,
			)
			lead["job_title"] = rng.choice(JOB_TITLES)
			lead["website"] = f"https://{slug(company)}.example.com"
			if status == "Lost":
				lead["lost_reason"] = rng.choice(LEAD_LOST_REASONS)
			if status == "Unqualified":
				lead["notes"] = rng.choice(UNQUALIFIED_NOTES)
			intent = {"Qualified": "hot", "Contacted": "warm", "New": "new", "Lost": "lost"}.get(
				status, "cold"
			)
			if status == "Contacted" and rng.random() < 0.3:
				intent = "hot"
			lead["quality"] = {"hot": "Hot", "warm": "Warm", "new": None}.get(intent, "Cold")
			self.lead_interactions(lead, intent, created, decided or self.now)
		self.follow_ups()

	def lead_row(
		self, created, owner, person, company, email, phone, source, status, industry, size, decided
	):
		row = {
			**self.std(self.name("LEAD", 3), created, owner, decided or created),
			"lead_name": person,
			"company_name": company,
			"email_id": email,
			"phone": phone,
			"job_title": None,
			"status": status,
			"source": source,
			"quality": None,
			"lead_owner": owner,
			"follow_up_date": None,
			"follow_up_reminded_on": None,
			"industry": industry,
			"company_size": size,
			"website": None,
			"country": "United States",
			"converted_customer": None,
			"converted_contact": None,
			"converted_opportunity": None,
			"converted_on": None,
			"lost_reason": None,
			"notes": None,
			"_decided": decided,
		}
		self.plan.leads.append(row)
		return row

	def lead_interactions(self, lead: dict, intent: str, start: datetime, end: datetime):
		rng = self.rng
		count = {
			"converted": rng.randrange(5, 11),
			"hot": rng.randrange(6, 13),
			"warm": rng.randrange(1, 5),
			"new": rng.randrange(0, 2),
			"lost": rng.randrange(1, 6),
			"cold": rng.randrange(0, 3),
		}[intent]
		mood = {"converted": "good", "hot": "good", "lost": "bad"}.get(intent, "mixed")
		span = max(1, (end.date() - start.date()).days)
		if intent == "hot":  # the hot ones met us recently and often
			start = max(start, self.now - timedelta(days=55))
			span = max(1, (end.date() - start.date()).days)
		days = sorted(rng.randrange(0, span + 1) for _ in range(count))
		meetings = 0
		for k, offset in enumerate(days):
			kind = weighted(rng, INTERACTION_TYPES)
			if intent in ("hot", "converted") and meetings < 3 and k % 3 == 1:
				kind = "Meeting"
			meetings += kind == "Meeting"
			when = min(self.at((start + timedelta(days=offset)).date()), end)
			self.interaction(
				when,
				lead["lead_owner"],
				kind,
				rng.choice(LEAD_SUBJECTS[kind]),
				mood,
				lead=lead["name"],
			)

	def follow_ups(self):
		"""Follow-up dates on open leads: due today, overdue (reminded on the day, still open) and coming."""
		rng = self.rng
		active = [lead for lead in self.plan.leads if lead["status"] in ("New", "Contacted", "Qualified")]
		rng.shuffle(active)
		for k, lead in enumerate(active[:60]):
			if k < 8:
				due = self.today
			elif k < 20:
				due = self.days_ago(rng.randrange(1, 15))
			else:
				due = self.today + timedelta(days=rng.randrange(1, 22))
			if due < lead["creation"].date():
				due = self.today
			lead["follow_up_date"] = due
			if due <= self.today:
				lead["follow_up_reminded_on"] = due
				self.plan.assignments.append(
					{
						"allocated_to": lead["lead_owner"],
						"reference_type": "CRM Sales Lead",
						"reference_name": lead["name"],
						"date": due,
						"priority": "High",
						"description": f"Follow up with lead {lead['lead_name']}",
						"assigned_by": "Administrator",
						"created": self.at(due, 6, 7),
					}
				)

	# ------------------------------------------------------------------ opportunities

	def opportunities(self):
		rng = self.rng
		for customer in self.plan.customers:
			story, created = customer["_story"], customer["creation"]
			age = (self.today - created.date()).days
			if customer["_new"]:
				lead = customer["_lead"]
				won = age >= 45  # the deal the lead converted with: still in progress when recent
				opp = self.opportunity(
					customer,
					f"{customer['company_name']} - New Business",
					"Default",
					"New Business",
					created,
					status="Won" if won else "Open",
					close_after=rng.randrange(18, min(age, 95)) if won else None,
					source=OPPORTUNITY_SOURCE.get(lead["source"], "Other"),
					lead=lead["name"],
				)
				lead["converted_opportunity"] = opp["name"]
				entry = customer["_conversion"]
				entry["metadata"] = json.dumps(
					{"contact": lead["converted_contact"], "opportunity": opp["name"]}
				)
				if won and rng.random() < {"steady": 0.6, "recovering": 0.6, "lukewarm": 0.3}.get(story, 0):
					self.open_deal(customer, "Upsell")
				continue
			# long-standing accounts: deals closed over the last year, open deals and the yearly renewal
			closed = 1 + (rng.random() < 0.4)
			win_rate = {"steady": 0.6, "slipping": 0.45, "lukewarm": 0.35, "recovering": 0.4, "at_risk": 0.15}
			for _ in range(closed):
				won = rng.random() < win_rate.get(story, 0.1)
				days = rng.randrange(40, 364)
				kind = rng.choice(("Upsell", "Cross-sell", "New Business"))
				self.opportunity(
					customer,
					deal_name(customer["company_name"], kind, rng),
					"Default",
					kind,
					self.at(self.days_ago(days)),
					status="Won" if won else "Lost",
					close_after=rng.randrange(14, min(days, 120))
					if won
					else rng.randrange(10, min(days, 90)),
				)
			chance = {"steady": 0.85, "recovering": 0.8, "lukewarm": 0.65, "slipping": 0.5, "at_risk": 0.2}
			if rng.random() < chance.get(story, 0):
				self.open_deal(customer, rng.choice(("Upsell", "Cross-sell", "New Business")))
			if story == "steady" and rng.random() < 0.35:
				self.open_deal(customer, rng.choice(("Upsell", "Cross-sell")))
			self.renewal(customer)

	def open_deal(self, customer: dict, kind: str):
		rng = self.rng
		# a funnel: most open deals early on, the later stages older
		depth = weighted(rng, OPEN_FUNNEL)
		age = rng.randrange(4 + 14 * depth, 25 + 28 * depth)
		age = min(age, (self.today - customer["creation"].date()).days)
		return self.opportunity(
			customer,
			deal_name(customer["company_name"], kind, rng),
			"Default",
			kind,
			self.at(self.days_ago(max(age, 0))),
			status="Open",
			depth=depth,
		)

	def renewal(self, customer: dict):
		"""The yearly renewal: closed when its date passed (renewed, or churned), else in progress."""
		rng = self.rng
		story = customer["_story"]
		if rng.random() < 0.25 and story not in ("churned", "at_risk"):
			return  # on a multi-year contract: nothing due this year
		due = self.days_ago(rng.randrange(-150, 250))
		if story == "churned":
			due = self.days_ago(rng.randrange(30, 250))
		name = f"{customer['company_name']} - Renewal {due.year}"
		if due < self.today - timedelta(days=5):
			lost = story == "churned" or (story == "at_risk" and rng.random() < 0.5)
			created = self.at(due - timedelta(days=rng.randrange(30, 65)))
			self.opportunity(
				customer,
				name,
				RENEWALS,
				"Renewal",
				created,
				status="Lost" if lost else "Won",
				close_after=max(5, (due - created.date()).days + rng.randrange(-5, 6)),
				reason=rng.choice(CHURN_REASONS) if lost else None,
				renewal=True,
			)
		else:
			created = self.at(min(self.today, due - timedelta(days=rng.randrange(45, 80))))
			days_left = (due - self.today).days
			self.opportunity(
				customer,
				name,
				RENEWALS,
				"Renewal",
				created,
				status="Open",
				expected=due,
				renewal=True,
				depth=0 if days_left > 40 else 1 if days_left > 15 else 2,
			)

	def opportunity(
		self,
		customer: dict,
		title: str,
		pipeline: str,
		kind: str,
		created: datetime,
		status: str,
		close_after: int | None = None,
		source: str | None = None,
		lead: str | None = None,
		expected: date | None = None,
		reason: str | None = None,
		renewal: bool = False,
		depth: int | None = None,
	) -> dict:
		rng = self.rng
		stages = self.stages[pipeline]
		open_stages = [s for s in stages if not s["is_final"]]
		owner = customer["account_owner"]
		low, high = DEAL_SIZE[customer["company_size"]]
		value = round(rng.uniform(low, high) * (0.6 if renewal else 1), -2 if high < 20_000 else -3)
		if kind in ("Upsell", "Cross-sell"):
			value = round(value * 0.4, -2)
		created = min(created, self.now)
		if status == "Open":
			if depth is None:  # as far as its age allows, about two weeks a stage
				depth = min(len(open_stages) - 1, (self.today - created.date()).days // 15)
			path = open_stages[: min(max(depth, 0), len(open_stages) - 1) + 1]
			end = self.now
			closed_on = None
		else:
			final = next(s for s in stages if s["outcome"] == status)
			reached = len(open_stages) if status == "Won" else rng.randrange(1, len(open_stages) + 1)
			path = [*open_stages[:reached], final]
			closed_on = min(created.date() + timedelta(days=close_after), self.today - timedelta(days=1))
			end = self.at(closed_on, 9, 17)
			if end <= created:
				end = created + timedelta(hours=2)
		moves = self.moves(created, end, len(path), status == "Open")
		name = self.name("OPP", 3)
		stage = path[-1]
		probability = stage["probability"]
		contact = self.contacts_of[customer["name"]][0]["name"]
		if expected is None:
			expected = (
				closed_on + timedelta(days=rng.randrange(-10, 8))
				if closed_on
				else created.date() + timedelta(days=rng.randrange(30, 110))
			)
		if status == "Won":
			reason = reason or rng.choice(WIN_REASONS)
		elif status == "Lost":
			reason = reason or rng.choice(LOSS_REASONS)
		row = {
			**self.std(name, created, owner, moves[-1]),
			"opportunity_name": title,
			"customer": customer["name"],
			"customer_name": customer["company_name"],
			"contact": contact,
			"opportunity_owner": owner,
			"pipeline": pipeline,
			"stage": stage["name"],
			"status": status,
			"probability_percent": probability,
			"probability_is_manual": 0,
			"value": value,
			"currency": self.currency,
			"forecast_amount": float(forecast_amount(value, probability)),
			"expected_close_date": expected,
			"actual_close_date": closed_on,
			"days_in_pipeline": days_in_pipeline(created, closed_on, self.today),
			"stage_changed_on": moves[-1],
			"source": source or rng.choice(("Inbound", "Outbound", "Referral", "Website", "Partner")),
			"opportunity_type": kind,
			"lead": lead,
			"win_loss_reason": reason,
			"competitors": rng.choice(COMPETITORS) if status == "Lost" or rng.random() < 0.3 else None,
			"description": None,
			"_closed": closed_on,
		}
		self.plan.opportunities.append(row)
		previous, previous_at = None, None
		for stage, when in zip(path, moves, strict=True):
			days = (when.date() - previous_at.date()).days if previous_at else 0
			final = stage["is_final"]
			note = reason if final and status == "Lost" else None
			self.plan.deal_stages.append(
				{
					**self.std(self.name("DS", 4), when, owner),
					"opportunity": name,
					"from_stage": previous,
					"to_stage": stage["name"],
					"is_reopen": 0,
					"moved_on": when,
					"moved_by": owner,
					"days_in_previous_stage": days,
					"notes": note,
				}
			)
			if previous is None:
				kind_, text = "Opportunity Created", f"Opportunity created: {title}"
			elif final and status == "Won":
				kind_, text = "Opportunity Won", f"Opportunity won: {title}"
			elif final:
				kind_, text = "Opportunity Lost", f"Opportunity lost: {title}"
			else:
				kind_, text = "Stage Change", f"{title} moved to {stage['name']}"
			self.timeline(
				when,
				owner,
				kind_,
				text,
				customer=customer["name"],
				lead=lead,
				reference_doctype="CRM Opportunity",
				reference_name=name,
				is_important=1 if final else 0,
				description=note,
				metadata=json.dumps(
					{
						"from_stage": previous,
						"to_stage": stage["name"],
						"value": value,
						"probability_percent": stage["probability"],
						"days_in_previous_stage": days,
						"reason": reason if final else None,
					}
				),
			)
			previous, previous_at = stage["name"], when
		return row

	def moves(self, start: datetime, end: datetime, count: int, still_open: bool) -> list[datetime]:
		"""`count` stage placements from `start` (the first) spread towards `end`."""
		if count == 1:
			return [start]
		span = (end - start).total_seconds()
		share = 0.85 if still_open else 1.0
		out = [start]
		for k in range(1, count):
			fraction = share * k / (count - 1)
			jitter = self.rng.uniform(-0.06, 0.06) if k < count - 1 or still_open else 0
			moment = start + timedelta(seconds=span * min(max(fraction + jitter, 0.02), 1.0))
			out.append(max(moment, out[-1] + timedelta(hours=1)))
		out[-1] = min(out[-1], end)
		return out

	# ------------------------------------------------------------------ interactions

	def customer_interactions(self):
		rng = self.rng
		for customer in self.plan.customers:
			start = max(customer["creation"].date(), self.days_ago(365))
			for begin, finish, gap, mood in self.phases(customer["_story"], start):
				begin = max(begin, start)
				if gap is None or begin >= finish:
					continue
				day = begin + timedelta(days=rng.randrange(0, gap[1]))
				while day < finish:
					kind = weighted(rng, INTERACTION_TYPES)
					self.interaction(
						self.at(day),
						customer["account_owner"],
						kind,
						rng.choice(SUBJECTS[mood][kind]),
						mood,
						customer=customer,
					)
					day += timedelta(days=rng.randrange(gap[0], gap[1] + 1))

	def phases(self, story: str, start: date):
		"""[(from, to, (min gap, max gap) in days or None for silence, mood)] of one customer's year."""
		rng, end = self.rng, self.today + timedelta(days=1)
		if story == "steady":
			return [(start, end, (4, 10), "good")]
		if story == "lukewarm":
			return [(start, end, (11, 24), "mixed")]
		if story == "slipping":
			turn = self.days_ago(rng.randrange(50, 70))
			return [(start, turn, (4, 9), "good"), (turn, end, (25, 40), "bad")]
		if story == "recovering":
			turn = self.days_ago(rng.randrange(50, 60))
			return [(start, turn, (35, 60), "bad"), (turn, end, (3, 7), "good")]
		silent = self.days_ago(rng.randrange(150, 300) if story == "churned" else rng.randrange(80, 200))
		sour = silent - timedelta(days=45)
		return [(start, sour, (9, 18), "mixed"), (sour, silent, (6, 12), "bad"), (silent, end, None, "bad")]

	def interaction(self, when, owner, kind, subject, mood, customer=None, lead=None):
		rng = self.rng
		sentiment = weighted(rng, zip(("Positive", "Neutral", "Negative"), MOODS[mood], strict=True))
		outcome = {"Positive": "Positive", "Neutral": "Neutral", "Negative": "Negative"}[sentiment]
		if kind in ("Email", "SMS") and rng.random() < 0.15:
			outcome = "No Response"
		rating = nps = None
		if customer and rng.random() < 0.12:
			rating = str(
				{"good": rng.choice((4, 5, 5)), "mixed": rng.choice((3, 4)), "bad": rng.choice((1, 2, 2, 3))}[
					mood
				]
			)
		if customer and rng.random() < 0.06:
			nps = str(
				{"good": rng.randrange(8, 11), "mixed": rng.randrange(5, 9), "bad": rng.randrange(1, 6)}[mood]
			)
		contact = rng.choice(self.contacts_of[customer["name"]]) if customer else None
		opportunity = None
		if customer and kind in ("Call", "Meeting") and rng.random() < 0.4:
			live = [
				o
				for o in self.plan.opportunities
				if o["customer"] == customer["name"]
				and o["creation"] <= when
				and (o["_closed"] is None or o["_closed"] >= when.date())
			]
			opportunity = live[0]["name"] if live else None
		next_step = rng.choice(NEXT_STEPS) if sentiment != "Negative" and rng.random() < 0.35 else None
		step_days = rng.randrange(3, 15)
		name = self.name("INT", 5)
		duration = {"Call": rng.randrange(10, 50), "Meeting": rng.choice((30, 45, 60, 90))}.get(kind, 0)
		row = {
			**self.std(name, when, owner),
			"interaction_type": kind,
			"subject": subject,
			"interaction_date": when,
			"duration_minutes": duration,
			"customer": customer["name"] if customer else None,
			"contact": contact["name"] if contact else None,
			"lead": lead,
			"opportunity": opportunity,
			"conducted_by": self.fullname.get(owner, owner),
			"outcome": outcome,
			"sentiment": sentiment,
			"satisfaction_rating": rating,
			"nps_score": nps,
			"next_step": next_step,
			# dated only lately: older next steps have happened since
			"next_step_date": when.date() + timedelta(days=step_days)
			if next_step and (self.today - when.date()).days < 21
			else None,
			"description": None,
		}
		self.plan.interactions.append(row)
		if contact and (contact["last_contacted_on"] is None or contact["last_contacted_on"] < when):
			contact["last_contacted_on"] = when
		self.timeline(
			when,
			owner,
			"Interaction",
			f"{kind}: {subject}",
			customer=row["customer"],
			lead=lead,
			reference_doctype="CRM Interaction",
			reference_name=name,
			description=next_step,
			metadata=json.dumps(
				{
					"interaction_type": kind,
					"outcome": outcome,
					"sentiment": sentiment,
					"contact": row["contact"],
					"opportunity": opportunity,
				}
			),
		)

	# ------------------------------------------------------------------ tags, notes, assignments

	def tags(self):
		rng = self.rng
		customers = self.plan.customers
		by_story = lambda *stories: [c for c in customers if c["_story"] in stories]  # noqa: E731
		chosen = {
			"Strategic Account": [
				c for c in by_story("steady") if c["company_size"] in ("501-1000", "1000+", "201-500")
			][:8],
			"At Risk": by_story("at_risk", "slipping"),
			"Needs Exec Sponsor": [
				c for c in by_story("lukewarm", "at_risk") if c["company_size"] in ("501-1000", "1000+")
			][:5],
		}
		items = [("CRM Customer Profile", c, tag) for tag, rows in chosen.items() for c in rows]
		opps = self.plan.opportunities
		items += [
			("CRM Opportunity", o, "Expansion")
			for o in opps
			if o["opportunity_type"] in ("Upsell", "Cross-sell") and o["status"] != "Lost"
		][:10]
		items += [
			("CRM Opportunity", o, "Multi-year")
			for o in opps
			if o["pipeline"] == RENEWALS and o["status"] == "Won"
		][:7]
		items += [
			("CRM Contact", c, "Champion") for c in self.plan.contacts if c["contact_role"] == "Champion"
		][:12]
		items += [
			("CRM Sales Lead", lead, "Hot Lead")
			for lead in self.plan.leads
			if lead["status"] == "Qualified" and lead["quality"] == "Hot"
		][:15]
		items += [
			("CRM Sales Lead", lead, "Partner Sourced")
			for lead in self.plan.leads
			if lead["source"] == "Partner"
		]
		for doctype, row, tag in items:
			when = min(row["creation"] + timedelta(days=rng.randrange(0, 20)), self.now)
			self.plan.tagged_items.append(
				{
					**self.std(self.name("TAG", 4), when, self.owner_of(doctype, row)),
					"tag": tag,
					"reference_doctype": doctype,
					"reference_name": row["name"],
				}
			)

	def owner_of(self, doctype: str, row: dict) -> str:
		if doctype == "CRM Contact":
			return next(c for c in self.plan.customers if c["name"] == row["customer"])["account_owner"]
		return (
			row.get("account_owner") or row.get("lead_owner") or row.get("opportunity_owner") or row["owner"]
		)

	def notes(self):
		"""Notes by the account owners: a pinned account plan on the biggest steady accounts, risk notes
		on the ones in trouble (mentioning the manager), deal notes and lead notes (mentioning a colleague)."""
		rng = self.rng
		manager, manager_name = self.manager
		customers = self.plan.customers
		steady = [c for c in customers if c["_story"] == "steady"]
		risky = [c for c in customers if c["_story"] in ("at_risk", "slipping")]
		for c in steady[:6]:
			champion = self.contacts_of[c["name"]][0]["full_name"]
			self.note(
				"CRM Customer Profile",
				c,
				"Account plan",
				"Important",
				f"<p><strong>Account plan.</strong> Executive sponsor: {champion}. Renewal is on track; "
				f"they want to roll out to two more sites next quarter.</p>",
				pinned=True,
				days_ago=rng.randrange(20, 120),
			)
		for c in risky[:8]:
			days = max(3, (self.today - self.last_touch(c)).days - rng.randrange(0, 5))
			self.note(
				"CRM Customer Profile",
				c,
				"Churn risk",
				"Important",
				f"<p>{mention(manager, manager_name)} {c['company_name']} has gone quiet after the support "
				f"escalations. Can you call their sponsor before the renewal?</p>",
				pinned=c["_story"] == "slipping",
				days_ago=min(days, 120),
			)
		for c in steady[6:14]:
			self.note(
				"CRM Customer Profile",
				c,
				None,
				"Meeting",
				"<p>QBR went well: adoption up, two feature requests logged (SSO for contractors, bulk "
				"export). Next review in three months.</p>",
				days_ago=rng.randrange(5, 80),
			)
		big = sorted(
			(o for o in self.plan.opportunities if o["status"] == "Open"), key=lambda o: -o["value"]
		)[:8]
		for o in big:
			colleague = rng.choice([r for r in self.reps if r[0] != o["opportunity_owner"]])
			customer = next(c for c in customers if c["name"] == o["customer"])
			self.note(
				"CRM Opportunity",
				o,
				None,
				"Follow-up",
				f"<p>Procurement wants net-60 terms and a security questionnaire. "
				f"{mention(*colleague)} you did this for a similar account: can you share your answers?</p>",
				days_ago=rng.randrange(0, 10),
				customer=customer,
			)
		hot = [lead for lead in self.plan.leads if lead["status"] == "Qualified"][:6]
		for lead in hot:
			self.note(
				"CRM Sales Lead",
				lead,
				None,
				"Call",
				"<p>Evaluating three vendors, decision by the end of the quarter. Budget approved; they "
				"need an integration with their ERP.</p>",
				days_ago=rng.randrange(0, 12),
			)

	def last_touch(self, customer: dict) -> date:
		dates = [
			i["interaction_date"].date() for i in self.plan.interactions if i["customer"] == customer["name"]
		]
		return max(dates) if dates else customer["creation"].date()

	def note(self, doctype, row, title, note_type, content, pinned=False, days_ago=0, customer=None):
		author = self.owner_of(doctype, row)
		day = max(self.days_ago(days_ago), row["creation"].date())
		when = self.at(day)
		self.plan.notes.append(
			{
				"reference_doctype": doctype,
				"reference_name": row["name"],
				"title": title,
				"note_type": note_type,
				"is_pinned": 1 if pinned else 0,
				"content": content,
				"author": author,
				"when": when,
			}
		)
		# the note's timeline entry (written by the note itself) is activity of its customer or lead
		customer_name = row["name"] if doctype == "CRM Customer Profile" else (customer or {}).get("name")
		self.activity(customer_name, row["name"] if doctype == "CRM Sales Lead" else None, when)

	def account_assignments(self):
		"""A manager asks a second rep to help on some accounts and deals (due this week or overdue)."""
		rng = self.rng
		manager = self.manager[0]
		lukewarm = [c for c in self.plan.customers if c["_story"] in ("lukewarm", "slipping")][:5]
		for c in lukewarm:
			helper = next(r[0] for r in self.reps if r[0] != c["account_owner"])
			self.plan.assignments.append(
				{
					"allocated_to": helper,
					"reference_type": "CRM Customer Profile",
					"reference_name": c["name"],
					"date": self.today + timedelta(days=rng.randrange(-4, 6)),
					"priority": "Medium",
					"description": f"Joint account review with {self.fullname[c['account_owner']]}",
					"assigned_by": manager,
					"created": self.at(self.days_ago(rng.randrange(5, 15))),
				}
			)
		big = sorted(
			(o for o in self.plan.opportunities if o["status"] == "Open" and o["pipeline"] == "Default"),
			key=lambda o: -o["value"],
		)[:6]
		for o in big:
			helper = next(r[0] for r in self.reps if r[0] != o["opportunity_owner"])
			self.plan.assignments.append(
				{
					"allocated_to": helper,
					"reference_type": "CRM Opportunity",
					"reference_name": o["name"],
					"date": self.today + timedelta(days=rng.randrange(-3, 8)),
					"priority": "High",
					"description": f"Technical evaluation support for {o['opportunity_name']}",
					"assigned_by": manager,
					"created": self.at(self.days_ago(rng.randrange(2, 10))),
				}
			)

	# ------------------------------------------------------------------ roll-ups

	def finish(self):
		"""Lifecycle stages and last activity dates follow from the rest."""
		won = {o["customer"] for o in self.plan.opportunities if o["status"] == "Won"}
		open_ = {o["customer"] for o in self.plan.opportunities if o["status"] == "Open"}
		last_interaction: dict[str, datetime] = {}
		for i in self.plan.interactions:
			if i["customer"] and (
				i["customer"] not in last_interaction
				or i["interaction_date"] > last_interaction[i["customer"]]
			):
				last_interaction[i["customer"]] = i["interaction_date"]
		for c in self.plan.customers:
			if c["_story"] == "churned":
				c["lifecycle_stage"] = "Churned"
			elif c["name"] in won:
				c["lifecycle_stage"] = (
					"Evangelist" if c["_story"] == "steady" and self.rng.random() < 0.2 else "Customer"
				)
			elif c["name"] in open_:
				c["lifecycle_stage"] = "Opportunity"
			else:
				c["lifecycle_stage"] = "Prospect"
			others = self.plan.customer_activity.get(c["name"], [])
			c["last_interaction_on"] = last_interaction.get(c["name"])
			c["last_activity_on"] = max([d for d in (c["last_interaction_on"], *others) if d], default=None)
			c["modified"] = max(c["creation"], c["last_activity_on"] or c["creation"])


def segment_for(size: str) -> str:
	if size in ("1-10", "11-50"):
		return "SMB"
	if size in ("51-200", "201-500"):
		return "Mid-Market"
	return "Enterprise"


def deal_name(company: str, kind: str, rng: random.Random) -> str:
	what = {
		"Upsell": ("Additional seats", "Premium support upgrade", "Analytics add-on"),
		"Cross-sell": ("Field service module", "Mobile app rollout", "Data integration pack"),
		"New Business": ("Platform rollout", "Regional expansion", "Pilot for new division"),
	}[kind]
	return f"{company} - {rng.choice(what)}"


def mention(user: str, full_name: str) -> str:
	"""A desk @mention of `user` as the Text Editor writes it."""
	return (
		f'<span class="mention" data-id="{user}" data-value="{full_name}" data-denotation-char="@">'
		f"@{full_name}</span>"
	)


def build(
	today: date,
	now: datetime,
	reps,
	manager,
	stages: dict,
	currency: str,
	seed: int = SEED,
) -> Plan:
	"""The whole demo company for `today` (deterministic for a seed and a day)."""
	b = Builder(today, now, reps, manager, stages, currency, seed)
	b.customers()
	b.leads()
	b.opportunities()
	b.customer_interactions()
	b.tags()
	b.notes()
	b.account_assignments()
	b.finish()
	return b.plan
