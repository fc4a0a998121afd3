"""hooks.py resolves, and no name the app defines collides with Frappe, ERPNext or Frappe CRM."""

import pytest

from tests.app_meta import (
	APP,
	DESK_RECORD_FOLDERS,
	app_roles,
	defines,
	desk_records,
	doctypes,
	hooks,
	module_constants,
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
	crm = {doctype for doctype in h["permission_query_conditions"] if doctype.startswith("CRM ")}
	children = {name for name, meta in doctypes().items() if meta.get("istable")}
	# every CRM doctype and child table has a row condition; every non-child one a document check
	assert crm == {name for name, meta in doctypes().items() if not meta.get("issingle")} - {
		"CRM Pipeline",
		"CRM Pipeline Stage",
		"CRM Tag",
		"CRM Customer Segment",
		"CRM Record Access",  # the access index: managers read it, nobody writes it by hand
		"CRM Source Link",  # migrations (issue 12): managers only, like the runs' log
		"CRM Migration Run",
		"CRM Sync Issue",  # the ERPNext / Contact sync's failures (issue 20): managers only
		"CRM Catalog Product",  # products on opportunities (issue 20): CRM Users read, managers write
		# the sales organisation: every CRM User may read it, managers maintain it
		"CRM Sales Team",
		"CRM Sales Team Member",
		"CRM Sales Territory",
		"CRM Sales Territory Rep",
		# automation rules (issue 13): managers only
		"CRM Automation Rule",
		"CRM Automation Condition",
		"CRM Automation Recipient",
		"CRM Automation Event",
		"CRM Automation Log",
		"CRM Web Lead Field",  # rows of the web form's settings (issue 21): managers only, like the settings
	}
	automation = ("CRM Automation Rule", "CRM Automation Event", "CRM Automation Log")
	for manager_only in ("CRM Record Access", "CRM Source Link", "CRM Migration Run", *automation):
		assert not {perm["role"] for perm in doctypes()[manager_only]["permissions"]} & {"CRM User"}
	assert crm - children == {d for d in h["has_permission"] if d.startswith("CRM ")}
	# Frappe doctypes that point at CRM records are covered too
	assert {"File", "Tag Link"} <= set(h["permission_query_conditions"]) & set(h["has_permission"])
	assert "Notification Log" in h["has_permission"]


def test_frappe_paths_without_row_rules_are_overridden():
	overridden = set(hooks()["override_whitelisted_methods"])
	assert {
		"frappe.client.get_count",
		"frappe.desk.listview.get_group_by_count",
		"frappe.desk.search.search_widget",
		"frappe.desk.search.search_link",
		"frappe.desk.doctype.dashboard_chart.dashboard_chart.get",
		"frappe.desk.doctype.number_card.number_card.get_result",
		"frappe.desk.doctype.tag.tag.get_tagged_docs",
	} <= overridden


def test_writes_and_grants_are_guarded():
	events = hooks()["doc_events"]
	for doctype in {d for d in hooks()["has_permission"] if d.startswith("CRM ")}:
		assert events[doctype]["before_validate"] == "crm_module.access.write_guard.guard_write", doctype
	for doctype in ("ToDo", "DocShare", "File"):
		assert events[doctype]["validate"].startswith("crm_module.access.gates."), doctype


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


def test_gdpr_requests_reach_crm_data():
	events = hooks()["doc_events"]
	assert (
		events["Personal Data Deletion Request"]["on_change"]
		== "crm_module.services.integrations.gdpr.on_deletion_request_update"
	)
	assert (
		events["Personal Data Download Request"]["after_insert"]
		== "crm_module.services.integrations.gdpr.on_download_request"
	)
	# Frappe's own redaction would change the emails the erasure looks records up by
	assert not [e for e in hooks().get("user_data_fields", []) if e["doctype"].startswith("CRM ")]


def test_every_patch_has_an_execute_function():
	lines = (APP / "patches.txt").read_text().splitlines()
	patches = [line.strip() for line in lines if line.strip() and not line.startswith(("#", "["))]
	assert patches, "patches.txt lists no patch"
	for patch in patches:
		file = APP.parent.joinpath(*patch.split(".")).with_suffix(".py")
		assert file.exists(), patch
		assert defines(file, "execute"), patch


def test_the_access_index_follows_the_indexed_doctypes():
	"""Every doctype the index covers re-indexes on change and on delete, and assignments re-index too."""
	import ast

	names = module_constants(APP / "constants.py")
	tree = ast.parse((APP / "access" / "index.py").read_text())
	assign = next(n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "INDEXED")
	indexed = {names[element.attr] for element in assign.value.elts}
	assert set(hooks()["_INDEXED"]) == indexed
	events = hooks()["doc_events"]
	for doctype in indexed:
		assert "crm_module.access.index.on_record_change" in events[doctype]["on_change"]
		assert "crm_module.access.index.on_record_trash" in events[doctype]["on_trash"]
	assert "crm_module.access.index.on_todo_change" in events["ToDo"]["on_change"]
	assert "crm_module.access.index.on_todo_change" in events["ToDo"]["on_trash"]


def test_cached_figures_are_invalidated_by_every_doctype_they_read():
	"""services/reporting/metrics.py and services/reporting/trends.py read only the figure sources (and pipeline stages, which invalidate too); each
	of them invalidates the cache on change and on delete."""
	import ast
	import re

	names = module_constants(APP / "constants.py")
	cache_tree = ast.parse((APP / "services" / "reporting" / "cache.py").read_text())
	assign = next(
		n for n in cache_tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "FIGURE_SOURCES"
	)
	sources = {names[element.attr] for element in assign.value.elts}
	assert set(hooks()["_FIGURE_SOURCES"]) == sources
	cached_readers = ("metrics.py", "trends.py")
	text = "".join((APP / "services" / "reporting" / name).read_text() for name in cached_readers)
	read = {names[m] for m in re.findall(r"DocType\(constants\.([A-Z_]+)\)", text)}
	assert read and read <= sources | {"CRM Pipeline Stage"}, read - sources
	events = hooks()["doc_events"]
	for doctype in sources:
		assert "crm_module.services.reporting.cache.invalidate" in events[doctype]["on_change"]
		assert "crm_module.services.reporting.cache.invalidate" in events[doctype]["on_trash"]
		assert events[doctype]["after_rename"] == "crm_module.services.reporting.cache.invalidate"
	assert events["CRM Pipeline Stage"]["on_change"] == "crm_module.services.reporting.cache.invalidate"
	# assignments change who reaches a record: opened, closed, retargeted and deleted ones invalidate
	for event in ("on_change", "on_trash"):
		assert "crm_module.services.reporting.cache.invalidate_for_todo" in events["ToDo"][event]
	# every cached figure says which sources it reads (a write renews only the figures that read its doctype)
	reads = next(n for n in cache_tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "READS")
	declared = {
		key.value: {names[element.attr] for element in value.elts}
		for key, value in zip(reads.value.keys, reads.value.values, strict=True)
	}
	used = set(re.findall(r"metrics_cache\.cached\(\s*\"(\w+)\"", text))
	assert used and used == set(declared), (used, set(declared))
	assert all(doctypes and doctypes <= sources for doctypes in declared.values()), declared


def _resolves(path: str) -> bool:
	"""A dotted path names a module of the app, or an attribute defined at the top of one."""
	from tests.app_meta import ROOT

	module = ROOT.joinpath(*path.split("."))
	if module.with_suffix(".py").exists() or (module / "__init__.py").exists():
		return True
	file, attribute = resolve_dotted(path)
	return "." not in attribute and (defines(file, attribute) or _imports(file, attribute))


def _imports(file, name: str) -> bool:
	"""`name` is imported at the top of `file` (a patch target such as "crm_module.x.frappe" or an imported
	function patched where it is used)."""
	import ast

	for node in ast.parse(file.read_text()).body:
		if isinstance(node, ast.Import | ast.ImportFrom):
			if any((alias.asname or alias.name.split(".")[0]) == name for alias in node.names):
				return True
	return False


def _dotted_literals():
	"""Every "crm_module.a.b…" string the app's code hands to Frappe (JS namespaces such as frappe.provide("crm_module.x") have
	one dot and are not paths): enqueue methods, frappe.call / xcall methods
	in JS, report and page JSON, patches."""
	import re

	pattern = re.compile(r"[\"'](crm_module(?:\.[A-Za-z0-9_]+){2,})[\"']")
	found = set()
	for file in APP.rglob("*"):
		if file.suffix in {".py", ".js", ".json", ".html"} and "tests" not in file.relative_to(APP).parts:
			found.update((m, file.relative_to(APP).as_posix()) for m in pattern.findall(file.read_text()))
	for line in (APP / "patches.txt").read_text().split():
		if line.startswith("crm_module."):
			found.add((line, "patches.txt"))
	return sorted(found)


DOTTED_LITERALS = _dotted_literals()


def test_the_dotted_literals_were_read():
	paths = {path for path, _ in DOTTED_LITERALS}
	assert "crm_module.services.imports.data_import.run" in paths
	assert "crm_module.services.insights.scoring.score_leads" in paths


@pytest.mark.parametrize(("path", "where"), DOTTED_LITERALS)
def test_every_dotted_path_in_code_resolves(path, where):
	"""enqueue strings, JS method names and patches survive a move of the module they name."""
	assert _resolves(path), f"{where}: {path} names nothing"
