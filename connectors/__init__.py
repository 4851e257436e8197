"""Small libraries for HubSpot, Asana and QuickBooks Online, joined on the HubSpot deal ID.

They know nothing of Slack: they take a config and return the typed results in `types`.
"""
