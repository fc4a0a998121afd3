"""Reads the app's static definitions (DocType JSON, hooks, desk records) without importing frappe."""

import ast
import json
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "crm_module"
MODULE_DIR = APP / "crm_module"
SHARED_RESERVED = ROOT.parent / "shared" / "reference" / "reserved-names.json"
LOCAL_RESERVED = ROOT / "tests" / "fixtures" / "reserved-names.json"

DESK_RECORD_FOLDERS = {
	"DocType": "doctype",
	"Report": "report",
	"Page": "page",
	"Workspace": "workspace",
	"Number Card": "number_card",
	"Dashboard Chart": "dashboard_chart",
}


def scrub(name: str) -> str:
	return name.lower().replace(" ", "_").replace("-", "_")


@cache
def desk_records(kind: str) -> dict[str, dict]:
	"""{name: json} for every record of a kind shipped in the module folder."""
	folder = MODULE_DIR / DESK_RECORD_FOLDERS[kind]
	records = {}
	if not folder.exists():
		return records
	for path in sorted(folder.glob("*/*.json")):
		data = json.loads(path.read_text())
		if data.get("doctype") == kind:
			records[data["name"]] = data | {"__path__": str(path)}
	return records


def doctypes() -> dict[str, dict]:
	return desk_records("DocType")


@cache
def reserved() -> dict[str, set[str]]:
	"""{kind: names used by Frappe core, ERPNext and Frappe CRM}."""
	path = SHARED_RESERVED if SHARED_RESERVED.exists() else LOCAL_RESERVED
	data = json.loads(path.read_text())
	names: dict[str, set[str]] = {}
	for per_kind in data["sources"].values():
		for kind, values in per_kind.items():
			names.setdefault(kind, set()).update(values)
	return names


def frappe_core_doctypes() -> set[str]:
	data = json.loads((SHARED_RESERVED if SHARED_RESERVED.exists() else LOCAL_RESERVED).read_text())
	for source, per_kind in data["sources"].items():
		if source.startswith("frappe v"):
			return set(per_kind["DocType"])
	raise AssertionError("reserved-names.json has no frappe source")


def frappe_core_roles() -> set[str]:
	data = json.loads((SHARED_RESERVED if SHARED_RESERVED.exists() else LOCAL_RESERVED).read_text())
	for source, per_kind in data["sources"].items():
		if source.startswith("frappe v"):
			return set(per_kind["Role"]) | {"Guest", "All", "Administrator", "Desk User"}
	raise AssertionError("reserved-names.json has no frappe source")


@cache
def app_roles() -> set[str]:
	"""Roles the app creates: the ROLES tuple in crm_module/setup/install.py, read with ast."""
	tree = ast.parse((APP / "setup" / "install.py").read_text())
	constants = module_constants(APP / "constants.py")
	for node in tree.body:
		if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "ROLES" for t in node.targets):
			roles = set()
			for element in node.value.elts:
				first = element.elts[0]
				roles.add(constants[first.attr] if isinstance(first, ast.Attribute) else first.value)
			return roles
	raise AssertionError("ROLES not found in install.py")


def module_constants(path: Path) -> dict[str, str]:
	tree = ast.parse(path.read_text())
	out = {}
	for node in tree.body:
		if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
			for target in node.targets:
				if isinstance(target, ast.Name):
					out[target.id] = node.value.value
	return out


@cache
def hooks() -> dict:
	"""Top-level assignments of hooks.py evaluated as literals (dict comprehensions evaluated safely)."""
	source = (APP / "hooks.py").read_text()
	namespace: dict = {"__builtins__": {}}  # one namespace, as a module has: comprehensions see the names
	exec(compile(source, "hooks.py", "exec"), namespace)  # hooks.py is pure data
	namespace.pop("__builtins__")
	return namespace


def resolve_dotted(path: str) -> tuple[Path, str]:
	"""Map 'crm_module.a.b.func' to (file, attribute) without importing."""
	parts = path.split(".")
	for cut in range(len(parts) - 1, 0, -1):
		module = ROOT.joinpath(*parts[:cut])
		candidates = [module.with_suffix(".py"), module / "__init__.py"]
		for candidate in candidates:
			if candidate.exists():
				return candidate, ".".join(parts[cut:])
	raise AssertionError(f"{path}: no module found")


def defines(file: Path, attribute: str) -> bool:
	tree = ast.parse(file.read_text())
	for node in tree.body:
		if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and node.name == attribute:
			return True
		if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == attribute for t in node.targets):
			return True
	return False
