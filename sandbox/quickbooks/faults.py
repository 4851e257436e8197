"""Refusals of the QBO emulator's write path: each is one Fault QBO answers with.

Codes and Message texts are QBO's (developer.intuit.com "Handling common errors" and the error-code
list); Detail texts follow what QBO is seen to send where that is known, and are marked otherwise.
"""

from __future__ import annotations

STALE_EDITOR = "Pat Bookkeeper"  # the company user whose save makes another writer's SyncToken stale


class Refusal(Exception):
    """A request QBO refuses: becomes a Fault body with this status, code, Message and Detail."""

    def __init__(self, code: str, message: str, detail: str, status: int = 400, kind: str = "ValidationFault") -> None:
        super().__init__(detail)
        self.code, self.message, self.detail, self.status, self.kind = code, message, detail, status, kind


def unparseable(detail: str = "failed to parse json object; a property specified is unsupported or invalid") -> Refusal:
    """2010: the body does not deserialise into the entity (QBO prefixes the detail with 'Property Name:')."""
    return Refusal("2010", "Request has invalid or unsupported property", f"Property Name:{detail}")


def unrecognized(name: str, entity: str = "Invoice") -> Refusal:
    """2010 for a property the entity does not have (detail wording as QBO's Jackson message; unconfirmed)."""
    return unparseable(
        f'Unrecognized field "{name}" (class com.intuit.schema.finance.v3.{entity}), not marked as '
        "ignorable specified is unsupported or invalid"
    )


def bad_value(name: str, value: object, kind: str) -> Refusal:
    """2010 for a value that does not parse as the property's type (wording unconfirmed)."""
    return unparseable(
        f"Can not construct instance of {kind} from String value '{value}' for {name}: not a valid "
        "representation specified is unsupported or invalid"
    )


def required(name: str) -> Refusal:
    """2020 Required param missing (the documented code; the Detail wording is unconfirmed)."""
    return Refusal(
        "2020",
        "Required param missing, need to supply the required value for the API",
        f"Required parameter {name} is missing in the request",
    )


def too_long(name: str, limit: int, length: int) -> Refusal:
    """2050: a string longer than the property allows."""
    return Refusal(
        "2050",
        "String length specified does not match the supported length",
        f"String length specified does not match the supported length. Min:0 Max:{limit} supported. "
        f"Supplied length:{length} ({name})",
    )


def bad_enum(name: str, value: object) -> Refusal:
    """2170 Invalid Enumeration."""
    return Refusal("2170", "Invalid Enumeration", f"Invalid Enumeration : {value} ({name})")


def not_found() -> Refusal:
    """610 Object Not Found, as QBO answers for an Id that is not (or no longer) there."""
    return Refusal(
        "610",
        "Object Not Found",
        "Object Not Found : Something you're trying to use has been made "
        "inactive. Check the fields with accounts, customers, items, vendors or employees.",
    )


def stale(editor: str = STALE_EDITOR) -> Refusal:
    """5010 Stale Object Error: the SyncToken sent is not the object's current one."""
    return Refusal(
        "5010",
        "Stale Object Error",
        f"Stale Object Error : You and {editor} were working on this at the "
        f"same time. {editor} finished before you did, so your work was not saved.",
    )


def not_modelled(what: str) -> Refusal:
    """6000 for a change the sandbox does not model (real QBO may accept it): the bot must not depend on it."""
    return Refusal(
        "6000",
        "A business validation error has occurred while processing your request",
        f"Business Validation Error: {what} (not modelled by the sandbox emulator)",
    )
