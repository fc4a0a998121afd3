"""Automation rules: what managers write, how a rule's occurrences are found and fired once, and what a fired rule does."""
