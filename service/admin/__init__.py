"""Parameter administration: publish, correct and withdraw versions, the audit log, export and import."""
