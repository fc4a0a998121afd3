"""Reading an import file (CSV or XLSX, the Data Import template's layout) into the engine's rows.

Headers are matched as Frappe's Data Import matches them (`build_fields_dict_for_column_matching`):
label, fieldname, "Label (fieldname)", the ID column; child table columns as "Label (Table Label)" or
"table.fieldname". A line that leaves every parent column empty but fills child columns adds a child
row to the record above it (the template's layout for several email addresses of one contact). Each
row carries its line number in the file (`_row`; the header is line 1).
"""

import os

import frappe
from frappe import _
from frappe.core.doctype.data_import.importer import build_fields_dict_for_column_matching


class FileError(frappe.ValidationError):
	pass


def read_table(path: str) -> list[list]:
	"""The file's lines as lists of cells (CSV or XLSX, by extension)."""
	if not os.path.exists(path):
		raise FileError(_("No file {0}").format(path))
	extension = os.path.splitext(path)[1].lower()
	if extension == ".xlsx":
		from frappe.utils.xlsxutils import read_xlsx_file_from_attached_file

		with open(path, "rb") as handle:
			return read_xlsx_file_from_attached_file(fcontent=handle.read())
	if extension == ".csv":
		from frappe.utils.csvutils import read_csv_content

		with open(path, "rb") as handle:
			return read_csv_content(handle.read())
	raise FileError(_("{0}: only .csv and .xlsx files can be imported").format(path))


def columns_of(doctype: str, header: list) -> list[tuple[str | None, str]]:
	"""(table fieldname or None for the parent, fieldname) per column; unknown headers refuse the file."""
	by_header = build_fields_dict_for_column_matching(doctype)
	out, unknown = [], []
	for title in header:
		title = str(title or "").strip()
		if title in ("", "Sr. No"):
			out.append((None, ""))
			continue
		df = by_header.get(title)
		if df is None:
			unknown.append(title)
			out.append((None, ""))
		elif df.get("is_child_table_field"):
			out.append((df.child_table_df.fieldname, df.fieldname))
		else:
			out.append((None, df.fieldname))
	if unknown:
		raise FileError(
			_("Cannot match these columns with fields of {0}: {1}").format(doctype, ", ".join(unknown))
		)
	return out


def rows_of(doctype: str, table: list[list]) -> list[dict]:
	"""The engine's rows from a file's lines (see the module docstring)."""
	if not table:
		raise FileError(_("The file is empty"))
	columns = columns_of(doctype, table[0])
	rows: list[dict] = []
	for number, line in enumerate(table[1:], start=2):
		parent, children = {}, {}
		for (child_table, fieldname), cell in zip(columns, line, strict=False):
			if not fieldname:
				continue
			value = cell.strip() if isinstance(cell, str) else cell
			if child_table:
				children.setdefault(child_table, {})[fieldname] = value
			else:
				parent[fieldname] = value
		filled = {t: c for t, c in children.items() if any(v not in (None, "") for v in c.values())}
		if not any(v not in (None, "") for v in parent.values()):
			if filled and rows:
				for child_table, child in filled.items():
					rows[-1].setdefault(child_table, []).append(child)
			continue
		parent["_row"] = number
		for child_table, child in filled.items():
			parent[child_table] = [child]
		rows.append(parent)
	return rows


def read_rows(doctype: str, path: str) -> list[dict]:
	return rows_of(doctype, read_table(path))
