"""Asana's record shapes: which fields each resource has, its compact form, and `opt_fields`.

Lists answer compact records; a single record answers in full; `opt_fields` (a comma-separated
list of dotted paths) selects exactly the fields asked for, plus `gid`. A field the resource
does not have is refused, as Asana does: that is what a Python list sent as its repr hits.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

Tree = dict[str, "Tree"]


class OptFieldError(ValueError):
    """An `opt_fields` path names a field the resource does not have."""


@dataclass(frozen=True)
class Shape:
    """The fields of one resource type (field -> nested type or None) and its compact fields."""

    fields: dict[str, str | None]
    compact: tuple[str, ...]


def _shape(compact: str, **fields: str | None) -> Shape:
    names = tuple(compact.split())
    return Shape({**{n: None for n in names if n not in fields}, **fields}, names)


SHAPES: Final[dict[str, Shape]] = {
    "workspace": _shape("gid resource_type name", is_organization=None, email_domains=None),
    "user": _shape("gid resource_type name", email=None, photo=None, workspaces="workspace"),
    "enum_option": _shape("gid resource_type name color enabled"),
    "custom_field": _shape(
        "gid resource_type name resource_subtype type text_value number_value display_value enabled",
        enum_value="enum_option",
        enum_options="enum_option",
        description=None,
        is_global_to_workspace=None,
        precision=None,
    ),
    "custom_field_setting": _shape(
        "gid resource_type", custom_field="custom_field", is_important=None, parent="project", project="project"
    ),
    "team": _shape(
        "gid resource_type name",
        description=None,
        html_description=None,
        organization="workspace",
        permalink_url=None,
        visibility=None,
    ),
    "project": _shape(
        "gid resource_type name",
        archived=None,
        color=None,
        created_at=None,
        modified_at=None,
        notes=None,
        owner="user",
        custom_fields="custom_field",
        workspace="workspace",
        permalink_url=None,
        public=None,
        due_on=None,
        start_on=None,
        current_status=None,
        members="user",
        followers="user",
        team="team",
        custom_field_settings="custom_field_setting",
    ),
    "section": _shape("gid resource_type name", created_at=None, project="project"),
    "membership": _shape("project section", project="project", section="section"),
    "task": _shape(
        "gid resource_type name resource_subtype",
        completed=None,
        completed_at=None,
        due_on=None,
        due_at=None,
        start_on=None,
        assignee="user",
        memberships="membership",
        projects="project",
        workspace="workspace",
        modified_at=None,
        created_at=None,
        notes=None,
        permalink_url=None,
        parent="task",
        num_subtasks=None,
        custom_fields="custom_field",
        followers="user",
    ),
    "dates": _shape("start_on due_at due_on"),
    "story": _shape(
        "gid resource_type created_at created_by resource_subtype text type",
        created_by="user",
        html_text=None,
        old_dates="dates",
        new_dates="dates",
        assignee="user",
        target="task",
        is_pinned=None,
        is_edited=None,
    ),
    "resource": _shape("gid resource_type name"),
    "date_variable": _shape("gid name description"),
    "template_role": _shape("gid resource_type name"),
    "project_template": _shape(
        "gid resource_type name",
        description=None,
        html_description=None,
        owner="user",
        team="team",
        public=None,
        color=None,
        requested_dates="date_variable",
        requested_roles="template_role",
    ),
    "job": _shape(
        "gid resource_type resource_subtype status new_project new_task new_project_template",
        new_project="project",
        new_task="task",
        new_project_template="project_template",
    ),
    "webhook": _shape(
        "gid resource_type active resource target",
        resource="resource",
        created_at=None,
        last_failure_at=None,
        last_failure_content=None,
        last_success_at=None,
        filters=None,
    ),
    "event": _shape(
        "user resource type action created_at parent change", user="user", resource="resource", parent="resource"
    ),
}


def parse_opt_fields(raw: str | None) -> Tree | None:
    """`"name,owner.name"` -> {"name": {}, "owner": {"name": {}}}; None when absent or empty."""
    if raw is None or not raw.strip():
        return None
    tree: Tree = {}
    for part in raw.split(","):
        node = tree
        for segment in part.strip().split("."):
            node = node.setdefault(segment, {})
    return tree


def check(kind: str, tree: Tree | None, prefix: str = "") -> None:
    """Raise OptFieldError for the first path that `kind` does not have."""
    shape = SHAPES[kind]
    for name, sub in (tree or {}).items():
        if name not in shape.fields:
            raise OptFieldError(f"{prefix}{name}")
        nested = shape.fields[name]
        if sub:
            if nested is None:
                raise OptFieldError(f"{prefix}{name}.{next(iter(sub))}")
            check(nested, sub, f"{prefix}{name}.")


def render(kind: str, value: Any, tree: Tree | None, *, full: bool = False) -> Any:
    """Shape `value` (a full record, a list of them, or None) the way Asana answers it."""
    if value is None:
        return None
    if isinstance(value, list):
        return [render(kind, item, tree, full=full) for item in value]
    shape = SHAPES[kind]
    if tree:
        names = (["gid"] if "gid" in shape.fields and "gid" not in tree else []) + list(tree)
    elif full:
        names = list(shape.fields)
    else:
        names = list(shape.compact)
    out: dict[str, Any] = {}
    for name in names:
        nested = shape.fields[name]
        item = value.get(name)
        out[name] = render(nested, item, (tree or {}).get(name)) if nested else item
    return out
