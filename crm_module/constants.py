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

DEFAULT_PIPELINE = "Default"

# Documents that can carry notes and tags
TAGGABLE_DOCTYPES = (CUSTOMER, LEAD, OPPORTUNITY, CONTACT, INTERACTION)

# Child tables
EMAIL_ADDRESS = "CRM Email Address"
PHONE_NUMBER = "CRM Phone Number"
NOTE_MENTION = "CRM Note Mention"
SEGMENT_MEMBER = "CRM Segment Member"
FIT_RULE = "CRM Fit Rule"
