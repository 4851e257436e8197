"""Proactive alerts: signals (webhooks, pollers) → events recorded once → outbox → Slack, exactly once."""
