"""Accounts, roles, sessions, API tokens and the one access policy (plain Python, no HTTP)."""
