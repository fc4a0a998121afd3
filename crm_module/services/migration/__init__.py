"""Migrations from ERPNext's CRM and from Frappe CRM: the runs, what both share, and each source's mapping."""
