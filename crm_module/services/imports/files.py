"""Reading an import file (CSV or XLSX, the Data Import template's layout) into the engine's rows.

Headers are matched as Frappe's Data Import matches them (`build_fields_dict_for_column_matching`):
label, fieldname, "Label (fieldname)", the ID column; child table columns as "Label (Table Label)" or
"table.fieldname". A line that leaves every parent column empty but fills child columns adds a child
row to the record above it (the template's layout for several email addresses of one contact). Each
row carries its line number in the file (`_row`; the header is line 1).
"""

import csv
import os
from collections.abc import Iterable, Iterator
from itertools import chain

import frappe
from frappe import _
from frappe.core.doctype.data_import.importer import build_fields_dict_for_column_matching


class FileError(frappe.ValidationError):
	pass


def read_table(path: str) -> Iterator[list]:
	"""The file's lines as lists of cells (CSV or XLSX, by extension), read as they are used: blank cells
	are None, others stripped (as Frappe's `read_csv_content` gives them)."""
	if not os.path.exists(path):
		raise FileError(_("No file {0}").format(path))
	extension = os.path.splitext(path)[1].lower()
	if extension == ".xlsx":
		return xlsx_lines(path)
	if extension == ".csv":
		return csv_lines(path)
	raise FileError(_("{0}: only .csv and .xlsx files can be imported").format(path))


def csv_lines(path: str) -> Iterator[list]:
	try:
		with open(path, encoding="utf-8-sig", newline="") as handle:
			handle.read(1 << 16)  # an encoding Frappe tries after UTF-8 is read whole below
	except UnicodeDecodeError:
		from frappe.utils.csvutils import read_csv_content

		with open(path, "rb") as handle:
			return iter(read_csv_content(handle.read()))
	return cells(path)


def cells(path: str) -> Iterator[list]:
	with open(path, encoding="utf-8-sig", newline="") as handle:
		for line in csv.reader(handle):
			yield [(value.strip() or None) for value in line]


def xlsx_lines(path: str) -> Iterator[list]:
	from openpyxl import load_workbook

	workbook = load_workbook(path, read_only=True, data_only=True)
	try:
		for line in workbook.active.iter_rows(values_only=True):
			yield [value.strip() or None if isinstance(value, str) else value for value in line]
	finally:
		workbook.close()


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


def rows_of(doctype: str, table: Iterable[list]) -> Iterator[dict]:
	"""The engine's rows from a file's lines (see the module docstring), one at a time. The header is
	checked when the first row is asked for."""
	lines = iter(table)
	header = next(lines, None)
	if header is None:
		raise FileError(_("The file is empty"))
	return records(columns_of(doctype, header), enumerate(lines, start=2))


def records(columns: list[tuple[str | None, str]], lines: Iterable[tuple[int, list]]) -> Iterator[dict]:
	"""Engine rows from numbered lines (`columns`: (table fieldname or None, fieldname) per cell, an empty
	fieldname for a cell that is not imported): a line that leaves every parent column empty but fills
	child columns adds a child row to the record above it. Each row carries its line number (`_row`)."""
	held: dict | None = None  # a row is given out once the next line shows it has no more child rows
	for number, line in lines:
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
			if filled and held is not None:
				for child_table, child in filled.items():
					held.setdefault(child_table, []).append(child)
			continue
		if held is not None:
			yield held
		parent["_row"] = number
		for child_table, child in filled.items():
			parent[child_table] = [child]
		held = parent
	if held is not None:
		yield held


def read_rows(doctype: str, path: str) -> Iterator[dict]:
	"""The rows of the file at `path`, read as the engine asks for them (a file of millions of lines is
	never held whole); a bad header or a missing file is raised before the first row."""
	rows = rows_of(doctype, read_table(path))
	first = next(rows, None)
	return chain([first], rows) if first is not None else iter(())
