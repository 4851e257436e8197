"""Deal properties and deal writes: the property group and properties a setup creates, and batch updates.

A mixin of `HubSpotConnector` (connector.py), which provides the Runner and the SDK API objects.
HubSpot answers a batch whose items partly fail with 207 and an `errors` list: taken names
(OBJECT_ALREADY_EXISTS) on create, unknown ids (OBJECT_NOT_FOUND) on update. A value HubSpot
won't take fails the whole request with 400 VALIDATION_ERROR (`Refused`, with the details).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from connectors.errors import ConnectorError

if TYPE_CHECKING:
    from connectors.runtime import Runner

BATCH: Final = 100  # HubSpot's largest batch of deals per update


@dataclass(frozen=True)
class PropertySpec:
    """A deal property to create: HubSpot's name, label, type and fieldType (options for an enumeration)."""

    name: str
    label: str
    type: str
    field_type: str
    description: str = ""
    options: tuple[tuple[str, str], ...] = ()  # (label, value)

    def to_json(self, group: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": self.name,
            "label": self.label,
            "type": self.type,
            "fieldType": self.field_type,
            "groupName": group,
            "description": self.description,
        }
        if self.options:
            body["options"] = [
                {"label": label, "value": value, "displayOrder": n, "hidden": False}
                for n, (label, value) in enumerate(self.options)
            ]
        return body


@dataclass(frozen=True)
class Created:
    """What a setup made, and what was there already."""

    created: tuple[str, ...] = ()
    existing: tuple[str, ...] = ()


@dataclass
class Written:
    """The deals a batch update wrote, and those HubSpot doesn't know (deleted or merged)."""

    written: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


class DealWrites:
    """`deal_property_names`, `create_property_group`, `create_deal_properties`, `update_deals`."""

    if TYPE_CHECKING:  # provided by HubSpotConnector
        runner: Runner
        _timeout: tuple[float, float]
        _properties_api: Any
        _property_groups_api: Any
        _property_batch_api: Any
        _batch: Any

    async def deal_property_names(self) -> set[str]:
        """The names of every deal property the portal has."""
        page = await self.runner.call(
            self._properties_api.get_all, "deals", archived=False, _request_timeout=self._timeout
        )
        return {p.name for p in page.results or ()}

    async def create_property_group(self, name: str, label: str) -> bool:
        """Create the deal property group; False when it exists already."""
        try:
            await self.runner.call(
                self._property_groups_api.create,
                "deals",
                {"name": name, "label": label, "displayOrder": -1},
                _request_timeout=self._timeout,
            )
        except ConnectorError as exc:
            if "409" in exc.message or "OBJECT_ALREADY_EXISTS" in exc.message:
                return False
            raise
        return True

    async def create_deal_properties(self, specs: Sequence[PropertySpec], group: str) -> Created:
        """Create deal properties in one batch; those whose names are taken are reported as existing."""
        if not specs:
            return Created()
        body = {"inputs": [spec.to_json(group) for spec in specs]}
        response = await self.runner.call(
            self._property_batch_api.create, "deals", body, _request_timeout=self._timeout
        )
        made = tuple(sorted(p.name for p in getattr(response, "results", None) or ()))
        existing = tuple(sorted({s.name for s in specs} - set(made)))
        return Created(made, existing)

    async def update_deals(self, updates: Mapping[str, Mapping[str, str]]) -> Written:
        """Write properties onto deals, 100 per request; ids HubSpot doesn't know are reported, not written."""
        result = Written()
        items = list(updates.items())
        for start in range(0, len(items), BATCH):
            chunk = items[start : start + BATCH]
            body = {"inputs": [{"id": deal_id, "properties": dict(values)} for deal_id, values in chunk]}
            response = await self.runner.call(self._batch.update, "deals", body, _request_timeout=self._timeout)
            done = {str(obj.id) for obj in getattr(response, "results", None) or ()}
            result.written += [deal_id for deal_id, _ in chunk if deal_id in done]
            result.unknown += [deal_id for deal_id, _ in chunk if deal_id not in done]
        return result
