"""Local HTTP emulators of HubSpot, Asana, QuickBooks Online and the Slack Web API.

They behave like the real services on every point of API_FACTS.md that the bot touches,
and are seeded with a demo book (`sandbox.book`). `Sandbox` starts them all on loopback.
"""
