"""Where the CRM meets the rest of the site: email capture, calendar Events, GDPR requests and the ERPNext hand-off."""
