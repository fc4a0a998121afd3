// Copyright (c) 2026, crm_module contributors
// For license information, please see license.txt

// Meetings and calls by date (like Frappe's Event and ToDo calendars). The end of each one is its date
// plus its duration, computed on the server (crm_module.api.calendar.get_events).
frappe.views.calendar["CRM Interaction"] = {
	field_map: {
		start: "interaction_date",
		end: "interaction_end",
		id: "name",
		title: "title",
		color: "color",
	},
	filters: [
		{
			fieldtype: "Select",
			fieldname: "interaction_type",
			options: "\nMeeting\nCall",
			label: __("Interaction Type"),
		},
		{
			fieldtype: "Link",
			fieldname: "customer",
			options: "CRM Customer Profile",
			label: __("Customer"),
		},
	],
	get_events_method: "crm_module.api.calendar.get_events",
	update_event_method: "crm_module.api.calendar.update_event",
};
