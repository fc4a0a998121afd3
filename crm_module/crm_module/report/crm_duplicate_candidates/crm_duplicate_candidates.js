// Copyright (c) 2026, crm_module contributors
// For license information, please see license.txt

frappe.query_reports["CRM Duplicate Candidates"] = {
	filters: [
		{
			fieldname: "doctype",
			label: __("Records"),
			fieldtype: "Select",
			options: ["CRM Customer Profile", "CRM Sales Lead", "CRM Contact"],
			default: "CRM Customer Profile",
			reqd: 1,
		},
	],
	formatter(value, row, column, data, default_formatter) {
		// the server says who may merge (the right to delete the records); the merge checks it again
		if (column.fieldname === "merge" && data && data.a && data.can_merge) {
			const pair = encodeURIComponent(JSON.stringify([data.doctype, data.a, data.b]));
			return `<button class="btn btn-xs btn-default crm-merge-pair" data-pair="${pair}">${__("Merge")}</button>`;
		}
		return default_formatter(value, row, column, data);
	},
	onload(report) {
		$(report.page.main).on("click", ".crm-merge-pair", (event) => {
			const [doctype, a, b] = JSON.parse(decodeURIComponent($(event.currentTarget).attr("data-pair")));
			crm_merge_dialog(report, doctype, a, b);
		});
	},
};

function crm_merge_dialog(report, doctype, survivor, loser) {
	frappe
		.call({ method: "crm_module.api.merge.preview", type: "GET", args: { doctype, survivor, loser } })
		.then(({ message: preview }) => {
			const fields = [
				{
					fieldtype: "HTML",
					options: `<p>${__("Everything that points at {0} ({1} linked records) moves to {2} ({3}); then {0} is deleted.", [
						frappe.utils.escape_html(loser),
						preview.links[loser],
						frappe.utils.escape_html(survivor),
						preview.links[survivor],
					])}</p><p class="text-muted">${__("Tick the fields that should take the value of {0}:", [frappe.utils.escape_html(loser)])}</p>`,
				},
				...preview.fields.map((row) => ({
					fieldname: row.field,
					fieldtype: "Check",
					label: `${row.label}: ${frappe.utils.escape_html(String(row.loser))} (${__("now")}: ${frappe.utils.escape_html(String(row.survivor ?? ""))})`,
				})),
			];
			const dialog = new frappe.ui.Dialog({
				title: __("Merge {0} into {1}", [loser, survivor]),
				fields,
				primary_action_label: __("Merge"),
				primary_action(values) {
					const take = preview.fields.map((row) => row.field).filter((field) => values[field]);
					frappe
						.xcall("crm_module.api.merge.merge_records", { doctype, survivor, loser, take })
						.then(() => {
							dialog.hide();
							frappe.show_alert({ message: __("Merged into {0}", [survivor]), indicator: "green" });
							report.refresh();
						});
				},
			});
			dialog.show();
		});
}
