"""Salesforce: credentials, login, the client policy, describe → schema, SOQL and extraction."""

__all__ = ["auth", "client", "credentials", "listviews", "record_access", "schema", "ui_api", "ui_api_types"]
