"""One Kanban board per pipeline: boards for the pipelines made before boards followed them, the existing
"CRM Opportunities" board limited to its pipeline, and every board's columns in step with its stages
(won stages green, lost ones red)."""

from crm_module.services.sales import boards


def execute():
	boards.sync_all_boards(reset_colours=True)
