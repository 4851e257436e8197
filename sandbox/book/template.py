"""The standard delivery project: its sections, and tasks done up to a phase."""

from __future__ import annotations

from typing import Final

from sandbox.book.records import Task

STD_SECTIONS: Final = ("Discovery", "Design", "Build", "Launch", "Hypercare")


def phase_tasks(done_through: str, current: tuple[Task, ...], later: int, pm: str, dev: str) -> tuple[Task, ...]:
    """Completed tasks for sections before `done_through`, the given current ones, then later ones."""
    tasks: list[Task] = []
    idx = STD_SECTIONS.index(done_through)
    for section in STD_SECTIONS[:idx]:
        for n in range(1, 4):
            tasks.append(Task(f"{section}: step {n}", section, completed=True, due=-60 + n, assignee=dev))
        tasks.append(Task(f"{section} sign-off", section, completed=True, due=-50, assignee=pm, milestone=True))
    tasks.extend(current)
    for section in STD_SECTIONS[idx + 1 : idx + 1 + later]:
        tasks.append(Task(f"{section}: plan", section, due=40, assignee=dev))
        tasks.append(Task(f"{section} sign-off", section, due=60, assignee=pm, milestone=True))
    return tuple(tasks)
