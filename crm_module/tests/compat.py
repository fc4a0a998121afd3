"""Test base class that works on Frappe v15 (FrappeTestCase) and v16 (IntegrationTestCase)."""

try:  # Frappe v16+
	from frappe.tests import IntegrationTestCase
except ImportError:  # Frappe v15
	from frappe.tests.utils import FrappeTestCase as IntegrationTestCase

__all__ = ["IntegrationTestCase"]
