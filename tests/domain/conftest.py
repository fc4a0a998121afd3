"""Hypothesis settings for the domain tests: no per-example deadline (CI machines vary in speed)."""

from hypothesis import HealthCheck, settings

settings.register_profile("crm_domain", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("crm_domain")
