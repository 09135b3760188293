"""Salesforce: credentials, login, the client policy, describe → schema, SOQL and extraction."""
