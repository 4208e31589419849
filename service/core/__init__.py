"""The small core every feature uses: settings, database, auth, errors, logs, security, CLI."""
