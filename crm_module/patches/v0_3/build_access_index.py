"""Fill the access index (CRM Record Access) from the records already on the site."""

from crm_module.access import index


def execute():
	index.rebuild()
