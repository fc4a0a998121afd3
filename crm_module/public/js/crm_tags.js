// Shared desk helpers for CRM tags (loaded on every desk page through app_include_js).
// List views of taggable CRM doctypes get a "Filter by CRM Tag" menu item: pick a tag, the list is
// filtered to the documents carrying it (names from crm_module.api.sales.get_tagged_names).
frappe.provide("crm_module");

crm_module.TAGGABLE_DOCTYPES = [
	"CRM Customer Profile",
	"CRM Sales Lead",
	"CRM Opportunity",
	"CRM Contact",
	"CRM Interaction",
];

crm_module.filter_list_by_tag = function (listview) {
	frappe.prompt(
		{ fieldname: "tag", fieldtype: "Link", options: "CRM Tag", label: __("CRM Tag"), reqd: 1 },
		({ tag }) =>
			frappe
				.xcall("crm_module.api.sales.get_tagged_names", { tag, doctype: listview.doctype })
				.then((names) =>
					listview.filter_area.add([[listview.doctype, "name", "in", names.length ? names : [""]]])
				),
		__("Filter by CRM Tag"),
		__("Filter")
	);
};

// Each taggable doctype's <doctype>_list.js calls this from its onload.
crm_module.add_tag_filter = function (listview) {
	listview.page.add_menu_item(__("Filter by CRM Tag"), () => crm_module.filter_list_by_tag(listview));
};
