"""The import graph runs one way: api / reports / pages / controllers -> services -> domain.

Read with `ast` (no import of frappe): every `crm_module` import of every module, at any depth in the
file (function-level imports count too). Layers:

- ``domain``: framework-free rules; imports only ``domain`` (checked further in tests/domain).
- ``services``: may import domain, access, constants, exceptions, utils, permissions, other services;
  never a controller, a report, a page or the api.
- ``access`` and ``permissions``: the row rules; never services, the api, controllers or reports.
- ``reports`` and ``pages``: never the api (shared rules such as the acting user live in services).
- and no cycle between modules of services, access or domain.
"""

import ast
from pathlib import Path

import pytest

from tests.app_meta import APP

ROOT = APP.parent


def module_name(path: Path) -> str:
	parts = list(path.relative_to(ROOT).with_suffix("").parts)
	if parts[-1] == "__init__":
		parts.pop()
	return ".".join(parts)


def imports_of(path: Path) -> set[str]:
	found = set()
	for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
		if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("crm_module"):
			found.add(node.module)
			for alias in node.names:
				candidate = f"{node.module}.{alias.name}"
				if (ROOT / (candidate.replace(".", "/") + ".py")).exists():
					found.add(candidate)
		elif isinstance(node, ast.Import):
			found.update(alias.name for alias in node.names if alias.name.startswith("crm_module"))
	return found


GRAPH = {
	module_name(path): imports_of(path)
	for path in APP.rglob("*.py")
	if "__pycache__" not in path.parts
	and "tests" not in path.relative_to(APP).parts[:1]
	and not path.name.startswith("test_")
}


def layer(module: str) -> str:
	if ".doctype." in module:
		return "controller"
	if ".report." in module:
		return "report"
	if ".page." in module:
		return "page"
	parts = module.split(".")
	return parts[1] if len(parts) > 1 else "app"


FORBIDDEN = {
	"domain": {"services", "access", "permissions", "api", "controller", "report", "page", "setup", "utils"},
	"services": {"api", "controller", "report", "page", "setup", "benchmarks"},
	"access": {"services", "api", "controller", "report", "page"},
	"permissions": {"services", "api", "controller", "report", "page"},
	"report": {"api"},
	"page": {"api"},
}


def edges():
	for module, targets in sorted(GRAPH.items()):
		for target in sorted(targets):
			yield module, target


def test_the_graph_was_read():
	assert "crm_module.services.insights.scoring" in GRAPH and "crm_module.domain.metrics" in GRAPH
	assert any(layer(module) == "controller" for module in GRAPH)


@pytest.mark.parametrize("source", sorted(FORBIDDEN))
def test_no_import_against_the_layers(source):
	wrong = [
		f"{module} -> {target}"
		for module, target in edges()
		if layer(module) == source and layer(target) in FORBIDDEN[source]
	]
	assert not wrong, "\n".join(wrong)


def test_no_cycles():
	inner = {m: {t for t in ts if t in GRAPH} for m, ts in GRAPH.items()}
	state: dict[str, int] = {}
	stack: list[str] = []
	cycles = []

	def visit(node: str) -> None:
		state[node] = 1
		stack.append(node)
		for target in sorted(inner.get(node, ())):
			if state.get(target) == 1:
				cycles.append(" -> ".join([*stack[stack.index(target) :], target]))
			elif target not in state:
				visit(target)
		stack.pop()
		state[node] = 2

	for node in sorted(inner):
		if node not in state:
			visit(node)
	assert not cycles, "\n".join(cycles)


def test_the_check_sees_a_violation():
	"""The rules above are not vacuous: a service importing a controller is caught."""
	module, target = "crm_module.services.x", "crm_module.crm_module.doctype.crm_pipeline.crm_pipeline"
	assert layer(target) in FORBIDDEN[layer(module)]
