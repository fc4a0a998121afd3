"""The nightly work is one ordered `daily_long` job, not several `daily` hooks in no guaranteed order."""

import ast

from tests.app_meta import APP, hooks, resolve_dotted

DAILY = APP / "services" / "daily.py"


def step_names() -> list[str]:
	tree = ast.parse(DAILY.read_text())
	for node in tree.body:
		if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == "STEPS":
			return [element.elts[0].value for element in node.value.elts]
	raise AssertionError("STEPS not found in services/daily.py")


def test_one_daily_long_job_and_no_daily_jobs():
	events = hooks()["scheduler_events"]
	# besides the nightly run, only the hourly retries of failed email captures and failed ERPNext syncs
	assert events == {
		"daily_long": ["crm_module.services.daily.run_daily"],
		"hourly": ["crm_module.services.integrations.email_capture.retry_failed"],
		"hourly_long": ["crm_module.services.integrations.erp_sync.retry_issues"],
	}
	file, attribute = resolve_dotted(events["daily_long"][0])
	assert file == DAILY and attribute == "run_daily"
	file, attribute = resolve_dotted(events["hourly"][0])
	assert file == APP / "services" / "integrations" / "email_capture.py" and attribute == "retry_failed"


def test_steps_run_in_dependency_order():
	# health before churn and segments (both read today's health); scoring before health is independent
	# but keeps the documented order; alerts last
	# automation rules after the nightly figures (they see today's health and grades)
	# the forecast snapshot after every step that changes deals (it copies the day's deals as they end up),
	# then the learned forecast, trained on that history
	assert step_names() == [
		"refresh",
		"scoring",
		"health",
		"churn",
		"segments",
		"automation",
		"alerts",
		"forecast",
		"learned_forecast",
	]
