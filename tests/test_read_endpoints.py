"""Read endpoints run on a MariaDB read replica when a site configures one (`read_from_replica`)."""

import ast

import pytest

from tests.app_meta import APP

API = APP / "api"


def get_endpoints():
	for path in sorted(API.glob("*.py")):
		for node in ast.parse(path.read_text()).body:
			if isinstance(node, ast.FunctionDef):
				sources = [ast.unparse(d) for d in node.decorator_list]
				if any("methods=['GET']" in s for s in sources):
					yield path.stem, node.name, sources


ENDPOINTS = list(get_endpoints())


def test_there_are_get_endpoints():
	assert {module for module, _name, _decorators in ENDPOINTS} >= {
		"customers",
		"dashboard",
		"interactions",
		"leads",
		"opportunities",
	}


@pytest.mark.parametrize("module,name,decorators", ENDPOINTS)
def test_get_endpoints_are_read_only(module, name, decorators):
	assert "frappe.read_only()" in decorators, f"{module}.{name}"
	# whitelist first (outermost), so Frappe registers the read-only wrapper
	assert decorators.index("frappe.read_only()") > 0
