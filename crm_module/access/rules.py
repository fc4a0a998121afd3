"""The rule table: who reaches which CRM record. Plain data, no database access.

A CRM User reaches a record when

* its owner field names them (account / lead / opportunity owner), or
* it is assigned to them (an *open* ToDo allocated to them), or
* one of its parent links points to a record they reach (a customer's contacts, interactions...), or
* it has no parent at all and they created it (an interaction logged without a customer), or
* for reading only: they are mentioned in it (internal notes);
* they lead a sales team and one of the above holds for a member of that team, of its sub-teams, or
  of the teams those members lead (`teams.py`: "user" in every rule above means the user and
  their team, except for mentions, which stay personal).

The creator of a record keeps nothing once ownership is elsewhere. Writes additionally require every
parent the edited record links to to be reachable, so nobody attaches data to someone else's customer.
"""

from dataclasses import dataclass

from crm_module import constants


@dataclass(frozen=True)
class Rule:
	owner_field: str | None = None
	assignable: bool = False
	parents: tuple[tuple[str, str], ...] = ()  # (link field, parent doctype)
	dynamic_parent: tuple[str, str] | None = None  # (doctype field, name field)
	creator_without_parent: bool = False
	mention_table: str | None = None  # child doctype whose `user` column names mentioned users
	# fields only the app itself (or a manager) may set: computed, derived or system-maintained
	protected: tuple[str, ...] = ()

	def link_fields(self) -> tuple[str, ...]:
		fields = tuple(link for link, _ in self.parents)
		if self.dynamic_parent:
			fields += self.dynamic_parent
		return fields

	def stored_fields(self) -> list[str]:
		"""Columns needed to judge a stored record."""
		fields = ["name", "owner", *self.link_fields()]
		if self.owner_field:
			fields.append(self.owner_field)
		return fields


RULES: dict[str, Rule] = {
	constants.CUSTOMER: Rule(
		owner_field="account_owner",
		assignable=True,
		protected=(
			"health_score",
			"risk_level",
			"health_updated_on",
			"churn_probability",
			"churn_reasons",
			"churn_updated_on",
			"last_interaction_on",
			"last_activity_on",
			"erpnext_customer",
			"erp_sync_state",  # the ERPNext sync's merge base (issue 20)
			"source_lead",
			"company_key",
		),
	),
	constants.LEAD: Rule(
		owner_field="lead_owner",
		assignable=True,
		protected=(
			"latest_score",
			"latest_grade",
			"scored_on",
			"conversion_probability",
			"prediction_factors",
			"converted_customer",
			"converted_contact",
			"converted_opportunity",
			"converted_on",
			"follow_up_reminded_on",
			"follow_up_event",
			"company_key",
			# what the web-to-lead form records (services/web_lead.py): consent proof and campaign
			"consent_text",
			"consent_at",
			"consent_ip",
			"utm_source",
			"utm_medium",
			"utm_campaign",
			"referrer",
		),
	),
	constants.OPPORTUNITY: Rule(
		owner_field="opportunity_owner",
		assignable=True,
		parents=(("customer", constants.CUSTOMER),),
		protected=(
			"lead",
			"stage_changed_on",
			"forecast_amount",
			"days_in_pipeline",
			"erpnext_sales_doctype",  # the draft a won opportunity made in ERPNext (issue 12)
			"erpnext_sales_document",
		),
	),
	constants.CONTACT: Rule(
		parents=(("customer", constants.CUSTOMER),),
		# the Frappe Contact it is synced with and the sync's merge base (issue 20)
		protected=("last_contacted_on", "frappe_contact", "erp_sync_state"),
	),
	constants.INTERACTION: Rule(
		parents=(
			("customer", constants.CUSTOMER),
			("lead", constants.LEAD),
			("opportunity", constants.OPPORTUNITY),
		),
		creator_without_parent=True,
		# set by the email capture and the calendar sync (services/integrations/email_capture.py, calendar_sync.py)
		protected=("message_id", "communication", "email_template", "event", "next_step_event"),
	),
	constants.TIMELINE: Rule(
		parents=(("customer", constants.CUSTOMER), ("lead", constants.LEAD)), creator_without_parent=True
	),
	constants.HEALTH_SCORE: Rule(parents=(("customer", constants.CUSTOMER),)),
	constants.DEAL_STAGE: Rule(parents=(("opportunity", constants.OPPORTUNITY),)),
	constants.LEAD_SCORE: Rule(parents=(("lead", constants.LEAD),)),
	constants.NOTE: Rule(
		dynamic_parent=("reference_doctype", "reference_name"),
		mention_table=constants.NOTE_MENTION,
		protected=("customer",),
	),
	constants.TAGGED_ITEM: Rule(dynamic_parent=("reference_doctype", "reference_name")),
}

# Child tables: rows are reached through their parent document (None: managers only).
CHILD_PARENTS: dict[str, str | None] = {
	constants.EMAIL_ADDRESS: constants.CONTACT,
	constants.PHONE_NUMBER: constants.CONTACT,
	constants.OPPORTUNITY_LINE: constants.OPPORTUNITY,
	constants.NOTE_MENTION: constants.NOTE,
	constants.SEGMENT_MEMBER: None,
	constants.FIT_RULE: None,
}

# Framework columns nobody sets through a write path (Frappe maintains them itself).
SYSTEM_COLUMNS = ("owner", "creation", "_assign", "_user_tags", "_liked_by", "_comments")

# Nesting limit for parent look-ups (interaction -> opportunity -> customer is depth 2).
MAX_DEPTH = 3

ISOLATED = frozenset(RULES)
READ_TYPES = frozenset({"read", "select", "print", "email", "report", "export"})


def parents_of(doctype: str) -> list[str]:
	"""Every doctype a record of `doctype` may hang off (dynamic parents: the taggable doctypes)."""
	rule = RULES[doctype]
	found = [parent for _, parent in rule.parents]
	if rule.dynamic_parent:
		found += [dt for dt in constants.TAGGABLE_DOCTYPES if dt in RULES]
	return found
