"""Duplicates: the guard on save, the likely-duplicate candidates, and the all-or-nothing merge."""
