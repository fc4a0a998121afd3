// Copyright (c) 2026, crm_module contributors
// For license information, please see license.txt

// ---------------------------------------------------------------------------------------------------------
// Sales process (issue 4): the customer's activity timeline (newest first) in the form dashboard.
// Self-contained block: other form logic for CRM Customer Profile lives in its own frappe.ui.form.on block.
// ---------------------------------------------------------------------------------------------------------
frappe.ui.form.on("CRM Customer Profile", {
	refresh(frm) {
		if (frm.is_new()) return;
		frappe
			.xcall("crm_module.api.sales.get_activity_timeline", {
				customer: frm.doc.name,
				limit: 20,
				newest_first: 1,
			})
			.then((rows) => crm_render_customer_timeline(frm, rows || []));
	},
});

function crm_render_customer_timeline(frm, rows) {
	if (!rows.length) return;
	const items = rows
		.map((row) => {
			const when = frappe.datetime.comment_when(row.activity_date);
			const title = frappe.utils.escape_html(row.title);
			const link = row.reference_doctype
				? `<a href="/app/${frappe.router.slug(row.reference_doctype)}/${encodeURIComponent(
						row.reference_name
				  )}">${title}</a>`
				: title;
			const badge = row.is_important ? `<span class="indicator-pill orange">${__("Important")}</span>` : "";
			return `<div class="crm-timeline-row">
				<span class="text-muted">${__(row.activity_type)}</span> ${link} ${badge}
				<span class="text-muted small">${when}</span></div>`;
		})
		.join("");
	frm.dashboard.add_section(`<div class="crm-customer-timeline">${items}</div>`, __("Activity Timeline"));
	frm.dashboard.show();
}
// ------------------------------------------- end of sales process ----------------------------------------
