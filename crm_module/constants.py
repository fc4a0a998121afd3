"""Names shared by controllers, services, permissions and reports."""

MODULE = "CRM Module"

ROLE_MANAGER = "CRM Manager"
ROLE_USER = "CRM User"
MANAGER_ROLES = frozenset({ROLE_MANAGER, "System Manager", "Administrator"})

CUSTOMER = "CRM Customer Profile"
CONTACT = "CRM Contact"
INTERACTION = "CRM Interaction"
OPPORTUNITY = "CRM Opportunity"
LEAD = "CRM Sales Lead"
LEAD_SCORE = "CRM Lead Score"
PIPELINE = "CRM Pipeline"
PIPELINE_STAGE = "CRM Pipeline Stage"
TAG = "CRM Tag"
TAGGED_ITEM = "CRM Tagged Item"
NOTE = "CRM Internal Note"
TIMELINE = "CRM Activity Timeline"
SEGMENT = "CRM Customer Segment"
DEAL_STAGE = "CRM Deal Stage"
HEALTH_SCORE = "CRM Customer Health Score"
SETTINGS = "CRM Module Settings"
RECORD_ACCESS = "CRM Record Access"
SOURCE_LINK = "CRM Source Link"  # migrations (issue 12): where a record came from
MIGRATION_RUN = "CRM Migration Run"
SYNC_ISSUE = "CRM Sync Issue"  # ERPNext / Frappe Contact sync (issue 20): what could not be written

DEFAULT_PIPELINE = "Default"

# Documents that can carry notes and tags
TAGGABLE_DOCTYPES = (CUSTOMER, LEAD, OPPORTUNITY, CONTACT, INTERACTION)

# Child tables
EMAIL_ADDRESS = "CRM Email Address"
PHONE_NUMBER = "CRM Phone Number"
NOTE_MENTION = "CRM Note Mention"
SEGMENT_MEMBER = "CRM Segment Member"
FIT_RULE = "CRM Fit Rule"
OPPORTUNITY_LINE = "CRM Opportunity Line"  # products on opportunities (issue 20)

# The app's own product list where ERPNext (and its Item) is absent; not "CRM Product", Frappe CRM's
CATALOG_PRODUCT = "CRM Catalog Product"

# Sales management (issue 13): teams widen what a team lead reaches; territories route new records
SALES_TEAM = "CRM Sales Team"
SALES_TEAM_MEMBER = "CRM Sales Team Member"
TERRITORY = "CRM Sales Territory"
TERRITORY_REP = "CRM Sales Territory Rep"

# Targets and revenue forecast (issue 13): quotas against won deals, and a daily pipeline snapshot
SALES_TARGET = "CRM Sales Target"
FORECAST_SNAPSHOT = "CRM Forecast Snapshot"

# Automation rules (issue 13): when an event happens on a record and its conditions hold, do one action
AUTOMATION_RULE = "CRM Automation Rule"
AUTOMATION_CONDITION = "CRM Automation Condition"
AUTOMATION_RECIPIENT = "CRM Automation Recipient"
AUTOMATION_EVENT = "CRM Automation Event"
AUTOMATION_LOG = "CRM Automation Log"
