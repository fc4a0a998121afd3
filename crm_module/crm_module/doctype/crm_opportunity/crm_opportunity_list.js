// Copyright (c) 2026, crm_module contributors
// For license information, please see license.txt

frappe.listview_settings["CRM Opportunity"] = {
	// the Kanban cards show the value in the deal's own currency and the owner's avatar
	add_fields: ["opportunity_owner", "currency", "pipeline", "status"],

	onload(listview) {
		crm_module.add_tag_filter(listview);
	},

	refresh(listview) {
		if (listview.view_name === "Kanban") crm_module.opportunity_board.setup(listview);
	},
};

// ---------------------------------------------------------------------------------------------------------
// Kanban boards of opportunities (issue 11): one board per pipeline (crm_module/services/sales/boards.py).
// Frappe draws the board; this decorates it and asks for the loss reason when a card is dropped on a lost
// stage (the opportunity cannot be saved as lost without one). A move is a save of the opportunity on the
// server (crm_module/access/overrides.py), so the deal's stage history and timeline follow.
// ---------------------------------------------------------------------------------------------------------
frappe.provide("crm_module.opportunity_board");

Object.assign(crm_module.opportunity_board, {
	setup(listview) {
		const $board = listview.$result;
		if (!$board || !$board.length) return;
		this.add_board_menu(listview);
		this.load_stages(listview).then(() => {
			this.decorate(listview);
			if (listview.__crm_board_observer) return;
			// Frappe redraws cards and columns whenever the board's store changes
			let queued = false;
			listview.__crm_board_observer = new MutationObserver(() => {
				if (queued) return;
				queued = true;
				requestAnimationFrame(() => {
					queued = false;
					this.decorate(listview);
				});
			});
			listview.__crm_board_observer.observe($board[0], { childList: true, subtree: true });
		});
	},

	add_board_menu(listview) {
		// every pipeline has its board; the menu reaches them where the view switcher is hidden (phones)
		if (listview.__crm_board_menu) return;
		listview.__crm_board_menu = true;
		(listview.kanbans || [])
			.filter((board) => board.name !== listview.board_name)
			.forEach((board) =>
				listview.page.add_menu_item(__("Board: {0}", [__(board.name)]), () =>
					frappe.set_route("List", "CRM Opportunity", "Kanban", board.name)
				)
			);
		if ((listview.kanbans || []).length > 1) listview.page.show_menu();
	},

	load_stages(listview) {
		if (listview.__crm_stages) return Promise.resolve(listview.__crm_stages);
		return frappe.db
			.get_list("CRM Pipeline Stage", {
				fields: ["name", "stage_name", "outcome", "is_final"],
				limit: 0,
			})
			.then((rows) => {
				listview.__crm_stages = {};
				(rows || []).forEach((row) => (listview.__crm_stages[row.name] = row));
				return listview.__crm_stages;
			});
	},

	decorate(listview) {
		const stages = listview.__crm_stages || {};
		const $board = listview.$result;
		$board.addClass("crm-opportunity-board");
		$board.find(".kanban-column").each((_i, column) => {
			const $column = $(column);
			const stage = stages[$column.attr("data-column-value")];
			if (stage && !$column.hasClass("crm-decorated")) {
				$column.addClass("crm-decorated");
				// the column is the stage's document name ("Proposal - Default"); show the stage's name
				$column.find(".kanban-title").text(__(stage.stage_name)).attr("title", stage.name);
				if (stage.outcome === "Lost") $column.addClass("crm-lost-column");
			}
			this.guard_lost_drop(listview, $column);
		});
		$board.find(".kanban-card-wrapper:not(.crm-decorated)").each((_i, wrapper) => {
			this.decorate_card(listview, $(wrapper));
		});
	},

	decorate_card(listview, $wrapper) {
		const name = decodeURIComponent($wrapper.attr("data-name") || "");
		const doc = (listview.data || []).find((row) => row.name === name);
		if (!doc) return;
		$wrapper.addClass("crm-decorated");
		const fields = (listview.board && listview.board.fields) || [];
		const at = fields.indexOf("value");
		if (at !== -1) {
			const $value = $wrapper.find(".kanban-card-doc > div").eq(at).find("span").last();
			$value.text(format_currency(doc.value, doc.currency || frappe.boot.sysdefaults.currency));
		}
		if (doc.opportunity_owner) {
			const $owner = $(
				`<span class="crm-card-owner" title="${frappe.utils.escape_html(
					__("Owner: {0}", [frappe.user.full_name(doc.opportunity_owner)])
				)}"></span>`
			).html(frappe.avatar(doc.opportunity_owner, "avatar-small"));
			$wrapper.find(".kanban-card-meta").prepend($owner);
		}
	},

	guard_lost_drop(listview, $column) {
		// Frappe's Sortable on the column's card list posts the move in its onEnd; a drop on a lost stage
		// asks for the reason first and saves stage and reason together, then lets the move run
		const list = $column.find(".kanban-cards").get(0);
		const sortable = list && window.Sortable && Sortable.get(list);
		if (!sortable || sortable.__crm_guarded) return;
		sortable.__crm_guarded = true;
		const on_end = sortable.option("onEnd");
		const end = (event) => {
			if (event.to !== event.from) this.refresh_after_move(listview);
			on_end(event);
			this.restore_heights(listview);
		};
		sortable.option("onEnd", (event) => {
			const to = $(event.to).closest(".kanban-column").attr("data-column-value");
			const from = $(event.from).closest(".kanban-column").attr("data-column-value");
			const stage = (listview.__crm_stages || {})[to];
			if (to === from || !stage || stage.outcome !== "Lost") return end(event);
			this.ask_loss_reason(listview, event, stage).then(
				() => end(event),
				() => this.put_back(listview, event)
			);
		});
	},

	refresh_after_move(listview) {
		// the saved move changes more than the column (probability, status): reload the cards once it is done
		const handler = (_event, _xhr, settings) => {
			if (!String(settings.url || "").includes("update_order_for_single_card")) return;
			$(document).off("ajaxComplete", handler);
			listview.last_args = null; // Frappe skips a refresh with the same arguments within 3 seconds
			listview.refresh();
		};
		$(document).on("ajaxComplete", handler);
		setTimeout(() => $(document).off("ajaxComplete", handler), 60000);
	},

	restore_heights(listview) {
		// Frappe leaves every card list at its content's height after a drag, so an empty column (a lost
		// stage, usually) becomes a thin strip that is hard to drop on: give the lists their full height back
		listview.$result.find(".kanban-cards").css("height", "");
	},

	ask_loss_reason(listview, event, stage) {
		const name = decodeURIComponent($(event.item).attr("data-name") || "");
		const doc = (listview.data || []).find((row) => row.name === name) || { name };
		return new Promise((resolve, reject) => {
			let saved = false;
			const dialog = new frappe.ui.Dialog({
				title: __("Close {0} as lost", [doc.opportunity_name || name]),
				fields: [
					{
						fieldtype: "HTML",
						options: `<p class="text-muted">${__(
							"Moving the deal to {0} closes it as lost. Why was it lost?",
							[`<b>${frappe.utils.escape_html(__(stage.stage_name))}</b>`]
						)}</p>`,
					},
					{
						fieldname: "win_loss_reason",
						fieldtype: "Small Text",
						label: __("Loss Reason"),
						reqd: 1,
					},
				],
				primary_action_label: __("Close as Lost"),
				primary_action: (values) => {
					dialog.disable_primary_action();
					frappe
						.call({
							method: "frappe.client.set_value",
							args: {
								doctype: "CRM Opportunity",
								name,
								fieldname: { stage: stage.name, win_loss_reason: values.win_loss_reason },
							},
						})
						.then(() => {
							saved = true;
							dialog.hide();
							resolve();
						})
						// refused (Frappe shows why): the card goes back to where it was
						.catch(() => dialog.hide());
				},
			});
			dialog.onhide = () => {
				if (!saved) reject();
			};
			dialog.show();
		});
	},

	put_back(listview, event) {
		// nothing was saved: the card goes back where it was and the board looks as before the drag
		const ref = event.from.children[event.oldIndex] || null;
		event.from.insertBefore(event.item, ref);
		listview.$result.find(".add-card").fadeIn(100);
		this.restore_heights(listview);
	},
});
