"""Asana: the delivery project that carries the HubSpot deal ID in a text custom field (`AsanaConnector`)."""

from connectors.asana.connector import (
    DEFAULT_BASE_URL,
    PROJECT_FIELDS,
    SECTION_FIELDS,
    STORY_FIELDS,
    TASK_FIELDS,
    AsanaConnector,
    Events,
    classify,
)
from connectors.asana.hooks import AsanaWebhookApi, Webhook
from connectors.asana.index import INDEX_FIELDS, SYSTEM

__all__ = [
    "DEFAULT_BASE_URL",
    "INDEX_FIELDS",
    "PROJECT_FIELDS",
    "SECTION_FIELDS",
    "STORY_FIELDS",
    "SYSTEM",
    "TASK_FIELDS",
    "AsanaConnector",
    "AsanaWebhookApi",
    "Events",
    "Webhook",
    "classify",
]
