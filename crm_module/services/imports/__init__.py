"""Frappe Data Import of CRM records: the per-row context and the set-based follow-up."""
