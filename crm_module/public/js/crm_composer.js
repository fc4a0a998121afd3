// The desk's email composer for users who may not read Email Account (issue 20).
//
// Frappe's composer looks up the signature of the default outgoing Email Account with a list query of
// Email Account when the user has no signature of their own; a plain CRM User may not read Email
// Account, so the query is refused and "Not permitted" covers the composer as it opens. For such a user
// the composer uses no account signature (their own User signature still applies), as when no account
// adds one; who may read Email Account keeps Frappe's behaviour.
(() => {
	const Composer = frappe.views && frappe.views.CommunicationComposer;
	if (!Composer || Composer.prototype.crm_signature_guarded) return;
	const get_signature = Composer.prototype.get_signature;
	Composer.prototype.get_signature = function (sender_email) {
		if (frappe.boot.user.email_signature || frappe.model.can_read("Email Account")) {
			return get_signature.call(this, sender_email);
		}
		return Promise.resolve("");
	};
	Composer.prototype.crm_signature_guarded = true;
})();
