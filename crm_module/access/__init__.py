"""Row-level isolation for CRM records, enforced on every Frappe path.

* `rules`: the one rule table (who reaches which record, which fields only the system may set);
* `users`: who is unrestricted (managers) and who has a CRM role at all;
* `conditions`: the rule table as SQL for lists, reports, counts and search;
* `records`: the rule table for one stored document (`has_permission`);
* `write_guard`: owner and system fields on every write path, field types of what is written;
* `gates`: ToDo, DocShare, File, Tag Link and Notification Log hooks that could otherwise grant or leak;
* `overrides`: Frappe whitelisted methods that count, search or chart without applying the rules.
"""
