"""Exception classes raised with `frappe.throw(..., exc=...)`.

Each carries the HTTP status Frappe answers with, so API clients see a precise 4xx.
"""

import frappe


class CRMInputError(frappe.ValidationError):
	"""A parameter or field value is missing, ill-typed or out of range."""

	http_status_code = 400


class CRMNotFoundError(frappe.DoesNotExistError):
	"""A referenced CRM record does not exist (or is not visible to the caller)."""

	http_status_code = 404


class CRMConflictError(frappe.ValidationError):
	"""The request is valid but conflicts with the record's state (e.g. converting a converted lead)."""

	http_status_code = 409


class CRMDuplicateError(CRMConflictError):
	"""A lead or contact with the same email or phone already exists and the policy blocks duplicates."""


class StageTransitionError(CRMInputError):
	"""An opportunity stage move is not allowed (unknown stage, lost without a reason...)."""


class CRMProtectedFieldError(frappe.PermissionError):
	"""A CRM User tried to set an owner field or a field only the app maintains (403)."""

	http_status_code = 403
