"""Lead and opportunity source options are named once (`crm_module.domain.sources`) and match the
DocTypes' Select options."""

from crm_module.domain.sources import LEAD_SOURCES, OPPORTUNITY_SOURCES, OTHER_SOURCE
from tests.app_meta import doctypes


def select_options(doctype: str, fieldname: str) -> tuple[str, ...]:
	field = next(f for f in doctypes()[doctype]["fields"] if f["fieldname"] == fieldname)
	return tuple(option for option in field["options"].split("\n") if option)


def test_lead_sources_are_the_lead_select_options():
	assert select_options("CRM Sales Lead", "source") == (*LEAD_SOURCES, OTHER_SOURCE)


def test_opportunity_sources_are_the_opportunity_select_options():
	assert select_options("CRM Opportunity", "source") == (*OPPORTUNITY_SOURCES, OTHER_SOURCE)
	assert set(OPPORTUNITY_SOURCES) < set(LEAD_SOURCES)
