// Copyright (c) 2026, crm_module contributors
// For license information, please see license.txt

frappe.listview_settings["CRM Sales Lead"] = {
	onload(listview) {
		crm_module.add_tag_filter(listview);
	},
};
