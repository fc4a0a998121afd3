// Copyright (c) 2026, crm_module contributors
// For license information, please see license.txt

frappe.ui.form.on("CRM Pipeline", {
	refresh(frm) {
		if (frm.is_new()) return;
		frm.add_custom_button(__("Stages"), () =>
			frappe.set_route("List", "CRM Pipeline Stage", { pipeline: frm.doc.name })
		);
		frm.add_custom_button(__("Opportunities"), () =>
			frappe.set_route("List", "CRM Opportunity", { pipeline: frm.doc.name })
		);
	},
});
