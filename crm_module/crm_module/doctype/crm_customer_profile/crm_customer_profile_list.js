// Copyright (c) 2026, crm_module contributors
// For license information, please see license.txt

frappe.listview_settings["CRM Customer Profile"] = {
	onload(listview) {
		crm_module.add_tag_filter(listview);
	},
};
