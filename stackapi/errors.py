"""Exceptions that are not HTTP responses: configuration and startup errors.

Each one renders as a single line (for a terminal or a log), never a traceback.
"""

from __future__ import annotations


class StackapiError(Exception):
    """Base class: anything the CLI reports as one line and exit code 1."""


class ConfigError(StackapiError):
    """A configuration problem, located as precisely as the caller could.

    ``str()`` is one line: ``PATH: [SECTION] KEY: REASON``; parts that are not
    known are left out.  Filters raise it with only ``key`` and ``reason``;
    the loader, which knows the file and the section, fills in the rest
    (:meth:`located`).
    """

    def __init__(
        self,
        reason: str,
        *,
        path: str | None = None,
        section: str | None = None,
        key: str | None = None,
    ) -> None:
        self.reason = " ".join(str(reason).split())  # one line, always
        self.path = path
        self.section = section
        self.key = key
        super().__init__(str(self))

    def located(self, path: str | None, section: str | None) -> ConfigError:
        """Return a copy that also names ``path`` and ``section`` (if unset)."""
        return ConfigError(
            self.reason,
            path=self.path or path,
            section=self.section or section,
            key=self.key,
        )

    def __str__(self) -> str:
        where = []
        if self.path:
            where.append(f"{self.path}:")
        if self.section:
            where.append(f"[{self.section}]")
        if self.key:
            where.append(f"{self.key}:")
        return " ".join([*where, self.reason])
