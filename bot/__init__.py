"""accountbot: the app, settings, status service, store, alert engine and CLI."""
