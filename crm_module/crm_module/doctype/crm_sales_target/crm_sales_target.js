// Copyright (c) 2026, crm_module contributors
// For license information, please see license.txt

frappe.ui.form.on("CRM Sales Target", {
	target_for(frm) {
		// one subject per kind of target: clear the fields of the other kinds
		const keep = { Rep: "user", Team: "sales_team", Territory: "territory" }[frm.doc.target_for];
		for (const field of ["user", "sales_team", "territory"]) {
			if (field !== keep && frm.doc[field]) frm.set_value(field, null);
		}
	},
	period_start(frm) {
		// snap the date to the first day of its month or quarter
		const d = frm.doc.period_start && frappe.datetime.str_to_obj(frm.doc.period_start);
		if (!d) return;
		const month = frm.doc.period_type === "Quarter" ? Math.floor(d.getMonth() / 3) * 3 : d.getMonth();
		const first = frappe.datetime.obj_to_str(new Date(d.getFullYear(), month, 1));
		if (first !== frm.doc.period_start) frm.set_value("period_start", first);
	},
	period_type(frm) {
		frm.trigger("period_start");
	},
});
