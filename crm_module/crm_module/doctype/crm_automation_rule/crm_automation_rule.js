// Copyright (c) 2026, crm_module contributors
// For license information, please see license.txt

frappe.ui.form.on("CRM Automation Rule", {
	refresh(frm) {
		if (frm.is_new() || !frm.doc.enabled) return;
		frm.add_custom_button(__("Run Now"), () => {
			frappe
				.call({
					method: "crm_module.api.automation.run_rule_now",
					args: { rule: frm.doc.name },
				})
				.then(() => {
					frappe.show_alert({
						message: __("The rule runs in the background; reload to see its summary"),
						indicator: "green",
					});
				});
		});
		frm.add_custom_button(__("Log"), () => {
			frappe.set_route("List", "CRM Automation Log", { rule: frm.doc.name });
		});
	},
});
