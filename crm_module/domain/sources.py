"""Source options of leads and opportunities: the one place that names them.

``LEAD_SOURCES`` and ``OPPORTUNITY_SOURCES`` are the Select options of CRM Sales Lead.source and
CRM Opportunity.source, less the empty option and ``Other`` (which both end with). An opportunity knows
fewer sources than a lead: a lead source it does not know (Social, Cold Call) becomes ``Other`` on the
opportunity made from the lead (conversion, migration).
"""

OTHER_SOURCE = "Other"
LEAD_SOURCES = (
	"Website",
	"Referral",
	"Inbound",
	"Outbound",
	"Event",
	"Campaign",
	"Social",
	"Partner",
	"Cold Call",
	"Web Form",  # the public web-to-lead form (services/web_lead.py)
)
OPPORTUNITY_SOURCES = ("Inbound", "Outbound", "Referral", "Website", "Partner", "Event", "Campaign")
