// What the app's desk pages share (the Sales Dashboard, My Day).
frappe.provide("crm_module");

/**
 * A "Sales Rep" picker on `page` for managers (any rep) and team leads (their team), as told by
 * crm_module.api.dashboard.team; nobody else gets one. Sets `owner.user_field` once it is there (null
 * until then) and calls `on_change` when the pick changes.
 */
crm_module.add_rep_picker = function (page, owner, on_change) {
	owner.user_field = null;
	return frappe
		.call({ method: "crm_module.api.dashboard.team", type: "GET" })
		.then(({ message }) => {
			if (!message || (message.members && message.members.length < 2)) return;
			const filters = { enabled: 1, user_type: "System User" };
			if (message.members) filters.name = ["in", message.members];
			owner.user_field = page.add_field({
				fieldname: "user",
				label: __("Sales Rep"),
				fieldtype: "Link",
				options: "User",
				get_query: () => ({ filters }),
				change: on_change,
			});
		});
};
