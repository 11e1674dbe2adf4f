"""Notifications: in-app bell (models.py) + one email per notification (service.py)."""
