// Copyright (c) 2026, crm_module contributors
// For license information, please see license.txt

frappe.ui.form.on("CRM Internal Note", {
	setup(frm) {
		frm.set_query("reference_doctype", () => ({
			filters: { name: ["in", crm_module.TAGGABLE_DOCTYPES] },
		}));
	},

	refresh(frm) {
		if (frm.is_new()) return;
		const pinned = frm.doc.is_pinned;
		frm.add_custom_button(pinned ? __("Unpin") : __("Pin"), () =>
			frappe.call({
				method: `crm_module.api.sales.${pinned ? "unpin_note" : "pin_note"}`,
				args: { note: frm.doc.name },
				callback: () => frm.reload_doc(),
			})
		);
		if (frm.doc.reference_doctype && frm.doc.reference_name) {
			frm.add_custom_button(__("Open {0}", [__(frm.doc.reference_doctype)]), () =>
				frappe.set_route("Form", frm.doc.reference_doctype, frm.doc.reference_name)
			);
		}
	},
});
