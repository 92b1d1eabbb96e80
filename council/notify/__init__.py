"""Notifications: the outbox written with the change that causes it, a delivery worker, the
scheduler, channel adapters (in-app, e-mail, WeCom robot, SMS) and signed links for people
without accounts. Pure rules live in council/notify/rules.py."""
