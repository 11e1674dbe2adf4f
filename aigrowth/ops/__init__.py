"""Operators: the admin-only Operations page and the RQ dashboard behind admin sessions."""
