"""Project writes: `PUT /projects/{gid}` and `POST /projects/{gid}/addCustomFieldSetting`,
and the project's settings at `GET /projects/{gid}/custom_field_settings`.

A custom field value can be written only once the field is on the project: otherwise 400
"Custom field with ID {gid} is not on given object" (Asana's words, reported for tasks and
projects alike). A request is checked whole before anything changes. Every change touches
`modified_at` and logs a `changed` event on the project, naming the field.
"""

from __future__ import annotations

import json
from typing import Any, Final

from aiohttp import web

from sandbox.asana.api import Answer, AsanaApi
from sandbox.asana.customfields import Setting, coerce, setting_view
from sandbox.asana.errors import AsanaError, check_gid, missing
from sandbox.asana.fields import Tree
from sandbox.asana.records import ProjectRec

WRITABLE: Final = frozenset({"name", "notes", "owner", "archived", "custom_fields"})
READ_ONLY: Final = frozenset(
    {
        "gid",
        "resource_type",
        "created_at",
        "modified_at",
        "custom_field_settings",
        "workspace",
        "permalink_url",
        "members",
        "current_status",
    }
)
SETTING_KEYS: Final = frozenset({"custom_field", "is_important", "insert_before", "insert_after"})


class AsanaWrites(AsanaApi):
    """Project writes and their handlers; mixed into AsanaEmulator."""

    def update_project(self, p: ProjectRec, data: dict[str, Any], user: str) -> None:
        """Apply a PUT's `data` to the project, all or nothing."""
        changes = {key: self._checked(p, key, value, user) for key, value in data.items()}
        for key, value in changes.items():
            if key == "custom_fields":
                fresh = {gid: v for gid, v in value.items() if p.values.get(gid) != v}
                p.values.update(fresh)
                changed = bool(fresh)
            else:
                changed = getattr(p, key) != value
                setattr(p, key, value)
            if changed:
                self._project_changed(p, key, user)

    def _checked(self, p: ProjectRec, key: str, value: Any, user: str) -> Any:
        """The value to store for one field of a PUT; 400 in Asana's manner otherwise."""
        if key in READ_ONLY:
            raise AsanaError(400, f"{key}: Cannot write this property")
        if key not in WRITABLE:
            # Wording *unconfirmed*. Asana's other writable fields (color, dates, privacy, team...)
            # are not emulated: refused too, rather than accepted and dropped.
            raise AsanaError(400, f"{key}: Unrecognized request field")
        if key == "custom_fields":
            return self._checked_fields(p, value)
        if key == "owner":
            if value is None or value == "me":
                return None if value is None else user
            if not isinstance(value, str) or value not in self.users:
                raise AsanaError(400, f"owner: Not a user in Organization: {value}")
            return value
        if key == "archived":
            if not isinstance(value, bool):
                raise AsanaError(400, f"archived: Value is not a boolean: {json.dumps(value)}")
            return value
        if not isinstance(value, str):
            raise AsanaError(400, f"{key}: Value is not a string: {json.dumps(value)}")
        if key == "name" and not value.strip():
            raise missing("name")
        return value

    def _checked_fields(self, p: ProjectRec, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise AsanaError(400, f"custom_fields: Value is not a JSON object: {json.dumps(value)}")
        on_project = {s.field for s in p.settings}
        out: dict[str, Any] = {}
        for gid, raw in value.items():
            check_gid("custom_fields", gid)
            if gid not in on_project:  # an unknown field too: it is on no object
                raise AsanaError(400, f"Custom field with ID {gid} is not on given object")
            out[gid] = coerce(self.custom_fields[gid], raw)
        return out

    def add_custom_field_setting(self, p: ProjectRec, data: dict[str, Any], user: str) -> Setting:
        """Put a workspace custom field on the project (no value yet); 400 if it is already there."""
        for key in data:
            if key not in SETTING_KEYS:
                raise AsanaError(400, f"{key}: Unrecognized request field")  # wording *unconfirmed*
        if data.get("custom_field") is None:
            raise missing("custom_field")
        gid = check_gid("custom_field", data["custom_field"])
        if gid not in self.custom_fields:
            raise AsanaError(400, f"custom_field: Unknown object: {gid}")
        if any(s.field == gid for s in p.settings):
            # Asana refuses a second setting for the same field; its words are *unconfirmed*.
            raise AsanaError(400, f"Custom field with ID {gid} is already on given object")
        important = data.get("is_important", False)
        if not isinstance(important, bool):
            raise AsanaError(400, f"is_important: Value is not a boolean: {json.dumps(important)}")
        at = self._insert_at(p, data.get("insert_before"), data.get("insert_after"))
        setting = self._add_setting(p, gid, important)
        p.settings.insert(at, p.settings.pop())
        self._project_changed(p, "custom_field_settings", user)
        return setting

    def _insert_at(self, p: ProjectRec, before: Any, after: Any) -> int:
        """Where a new setting goes: before or after another of the project's settings, else last."""
        if before is not None and after is not None:
            raise AsanaError(400, "insert_before, insert_after: Cannot specify both")  # wording *unconfirmed*
        for key, anchor, shift in (("insert_before", before, 0), ("insert_after", after, 1)):
            if anchor is not None:
                gid = check_gid(key, anchor)
                for n, s in enumerate(p.settings):
                    if s.gid == gid:
                        return n + shift
                raise AsanaError(400, f"{key}: Unknown object: {gid}")
        return len(p.settings)

    # -- handlers -----------------------------------------------------------------------

    async def _update_project(self, request: web.Request, fields: Tree | None) -> Answer:
        p = self._project_for(request, request.match_info["gid"])
        self.update_project(p, await self._data(request), self._caller(request))
        return self._one("project", self.project_view(p), fields)

    async def _add_setting_route(self, request: web.Request, fields: Tree | None) -> Answer:
        p = self._project_for(request, request.match_info["gid"])
        setting = self.add_custom_field_setting(p, await self._data(request), self._caller(request))
        compact = {"gid": p.gid, "resource_type": "project", "name": p.name}
        return self._one(
            "custom_field_setting", setting_view(setting, self.custom_fields[setting.field], compact), fields
        )

    async def _project_settings(self, request: web.Request, fields: Tree | None) -> Answer:
        p = self._project_for(request, request.match_info["gid"])
        compact = {"gid": p.gid, "resource_type": "project", "name": p.name}
        return self._page(
            request,
            "custom_field_setting",
            p.settings,
            fields,
            lambda s: setting_view(s, self.custom_fields[s.field], compact),
        )
