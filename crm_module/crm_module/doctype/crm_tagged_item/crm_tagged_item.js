// Copyright (c) 2026, crm_module contributors
// For license information, please see license.txt

frappe.ui.form.on("CRM Tagged Item", {
	setup(frm) {
		frm.set_query("reference_doctype", () => ({
			filters: { name: ["in", crm_module.TAGGABLE_DOCTYPES] },
		}));
	},
});
