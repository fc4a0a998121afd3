import ast
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import crm_module.domain as domain

DOMAIN_DIR = Path(domain.__file__).parent
ROOT = DOMAIN_DIR.parent.parent


def test_no_module_imports_frappe():
	files = sorted(DOMAIN_DIR.rglob("*.py"))
	assert files
	for path in files:
		tree = ast.parse(path.read_text(), filename=str(path))
		for node in ast.walk(tree):
			names = []
			if isinstance(node, ast.Import):
				names = [a.name for a in node.names]
			elif isinstance(node, ast.ImportFrom):
				names = [node.module or ""]
			elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__":
				names = [a.value for a in node.args if isinstance(a, ast.Constant)]
			for name in names:
				assert name != "frappe" and not str(name).startswith("frappe."), f"{path.name} imports {name}"


def test_every_module_imports_with_frappe_blocked():
	modules = [m.name for m in pkgutil.iter_modules([str(DOMAIN_DIR)])]
	code = (
		"import sys; sys.modules['frappe'] = None\n"
		+ "".join(f"import crm_module.domain.{m}\n" for m in modules)
		+ "assert not any(k == 'frappe' or k.startswith('frappe.') for k, v in sys.modules.items() if v)\n"
	)
	result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
	assert result.returncode == 0, result.stderr


def test_init_has_only_a_docstring():
	tree = ast.parse((DOMAIN_DIR / "__init__.py").read_text())
	assert len(tree.body) == 1 and isinstance(tree.body[0], ast.Expr)
	assert isinstance(tree.body[0].value, ast.Constant) and isinstance(tree.body[0].value.value, str)


def test_modules_are_small():
	for path in DOMAIN_DIR.glob("*.py"):
		assert len(path.read_text().splitlines()) < 320, path.name
	for m in pkgutil.iter_modules([str(DOMAIN_DIR)]):
		importlib.import_module(f"crm_module.domain.{m.name}")
