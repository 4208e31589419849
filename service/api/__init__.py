"""The JSON API: its blueprint and routes (views), the JSON base (base), the schemas, the contract."""
