"""Status groups of leads and opportunities: the one place that names them.

Lead statuses: New, Contacted, Qualified, Unqualified, Converted, Lost.

- ``LEAD_ACTIVE_STATUSES`` (New, Contacted, Qualified): the lead is still being worked. These leads are
  scored every day, get a conversion prediction and are the dashboard's ``leadsBySource`` and the
  "CRM Leads by Source" chart.
- ``LEAD_DECIDED_STATUSES`` (Converted, Lost, Unqualified): the lead has an outcome; the conversion model
  learns from them (Converted against the other two).
- ``LEAD_FINISHED_STATUSES`` (Converted, Lost): nothing more will happen to the lead, so it gets no more
  follow-up reminders. An Unqualified lead may still be nurtured, so its follow-ups stay.

Opportunity statuses: Open, Won, Lost; Won and Lost are ``OPPORTUNITY_CLOSED_STATUSES``.
"""

LEAD_STATUSES = ("New", "Contacted", "Qualified", "Unqualified", "Converted", "Lost")
LEAD_ACTIVE_STATUSES = ("New", "Contacted", "Qualified")
LEAD_DECIDED_STATUSES = ("Converted", "Lost", "Unqualified")
LEAD_FINISHED_STATUSES = ("Converted", "Lost")

OPPORTUNITY_STATUSES = ("Open", "Won", "Lost")
OPPORTUNITY_CLOSED_STATUSES = ("Won", "Lost")
