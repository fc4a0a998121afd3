"""hooks.py resolves, and no name the app defines collides with Frappe, ERPNext or Frappe CRM."""

import pytest

from tests.app_meta import (
	APP,
	DESK_RECORD_FOLDERS,
	app_roles,
	defines,
	desk_records,
	hooks,
	reserved,
	resolve_dotted,
)


def dotted_paths(value):
	if isinstance(value, str):
		if value.startswith("crm_module."):
			yield value
	elif isinstance(value, dict):
		for item in value.values():
			yield from dotted_paths(item)
	elif isinstance(value, list | tuple):
		for item in value:
			yield from dotted_paths(item)


HOOK_PATHS = sorted({path for value in hooks().values() for path in dotted_paths(value)})


def test_hooks_declare_the_app():
	h = hooks()
	assert h["app_name"] == "crm_module"
	assert h["after_install"] and h["permission_query_conditions"] and h["has_permission"]
	assert set(h["has_permission"]) == set(h["permission_query_conditions"])


@pytest.mark.parametrize("path", HOOK_PATHS)
def test_every_hook_path_resolves(path):
	file, attribute = resolve_dotted(path)
	assert defines(file, attribute), f"{path}: {attribute} is not defined in {file}"


def test_module_is_declared():
	modules = (APP / "modules.txt").read_text().split()
	assert " ".join(modules) == "CRM Module"
	assert (APP / "crm_module" / "__init__.py").exists()


def test_module_and_roles_do_not_collide():
	names = reserved()
	assert "CRM Module" not in names["Module Def"]
	assert not app_roles() & names["Role"], app_roles() & names["Role"]
	assert app_roles() == {"CRM Manager", "CRM User"}


@pytest.mark.parametrize("kind", sorted(DESK_RECORD_FOLDERS))
def test_desk_record_names_do_not_collide(kind):
	names = reserved()
	taken = set().union(*names.values())  # a DocType may not take a Report's name either (routes clash)
	ours = set(desk_records(kind))
	assert not ours & taken, f"{kind} names already used elsewhere: {sorted(ours & taken)}"


def test_reserved_list_really_lists_the_known_clashes():
	"""Guard against an empty or wrong reference file making the collision tests pass vacuously."""
	names = reserved()
	assert {"CRM Note", "CRM Settings", "CRM Lead", "CRM Deal", "FCRM Note"} <= names["DocType"]
	assert {"CRM", "FCRM"} <= names["Module Def"]
	assert "CRM" in names["Workspace"]


def test_gdpr_user_data_fields_name_real_fields():
	from tests.app_meta import doctypes

	entries = hooks()["user_data_fields"]
	assert {e["doctype"] for e in entries} >= {"CRM Sales Lead", "CRM Contact"}
	for entry in entries:
		fields = {f["fieldname"] for f in doctypes()[entry["doctype"]]["fields"]}
		assert entry["filter_by"] in fields, entry
		assert set(entry["redact_fields"]) <= fields, entry


def test_every_patch_has_an_execute_function():
	lines = (APP / "patches.txt").read_text().splitlines()
	patches = [line.strip() for line in lines if line.strip() and not line.startswith(("#", "["))]
	assert patches, "patches.txt lists no patch"
	for patch in patches:
		file = APP.parent.joinpath(*patch.split(".")).with_suffix(".py")
		assert file.exists(), patch
		assert defines(file, "execute"), patch
