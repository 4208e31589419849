"""Contribution parameters: what was in force when, and on which document."""
