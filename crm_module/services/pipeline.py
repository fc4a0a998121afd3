"""Pipeline lookups shared by services and controllers: the default pipeline and its cached stages."""

import frappe

from crm_module import caching, constants

STAGES_CACHE_KEY = "crm_module:pipeline_stages"
STAGE_FIELDS = (
	"name",
	"stage_name",
	"stage_order",
	"probability",
	"expected_cycle_days",
	"is_final",
	"outcome",
	"forecast_category",
)


def get_default_pipeline() -> str | None:
	"""The pipeline marked default, else the oldest one (None when there is no pipeline)."""
	return frappe.db.get_value(constants.PIPELINE, {"is_default": 1}, "name") or frappe.db.get_value(
		constants.PIPELINE, {}, "name", order_by="creation asc"
	)


def clear_stage_cache() -> None:
	"""Forget every pipeline's cached stages (called whenever a stage or pipeline changes)."""
	caching.drop(STAGES_CACHE_KEY)


ALL_PIPELINES = "*"  # cache field of every pipeline's stages


def get_all_stages() -> list[dict]:
	"""Every stage of every pipeline, ordered by pipeline and stage order (cached like `get_pipeline_stages`)."""
	return caching.cached(
		STAGES_CACHE_KEY,
		lambda: frappe.get_all(
			constants.PIPELINE_STAGE,
			fields=["pipeline", *STAGE_FIELDS],
			order_by="pipeline asc, stage_order asc",
		),
		field=ALL_PIPELINES,
	)


def get_pipeline_stages(pipeline: str) -> list[dict]:
	"""Ordered stages of a pipeline, cached per site and cleared whenever a stage changes."""
	return caching.cached(
		STAGES_CACHE_KEY,
		lambda: frappe.get_all(
			constants.PIPELINE_STAGE,
			filters={"pipeline": pipeline},
			fields=list(STAGE_FIELDS),
			order_by="stage_order asc",
		),
		field=pipeline,
	)
