"""The shipped demo ini, copied into a test's tmp_path; the demo's database (SQLite, PG)."""

from __future__ import annotations

from pathlib import Path

from conftest import DEMO_INI

API_SECTION = "[app:compute_api]\nuse = egg:stackapi#demo\n"
VERSIONS_SECTION = "[app:versions_app]\nuse = egg:stackapi#demo_versions\n"
VERSION_SECTION = "[app:version_v21_app]\nuse = egg:stackapi#demo_version\n"
HEALTH_SECTION = "[filter:healthcheck]\nuse = egg:stackapi#healthcheck\n"
SHIPPED_CONNECTION = "connection = sqlite:///%(here)s/demo.sqlite3\n"


def demo_ini(
    directory: Path,
    *,
    trusted_proxies: str = "",
    api_options: str = "",
    versions_options: str = "",
    health_options: str = "",
    connection: str = "",
    name: str = "api-paste.ini",
) -> Path:
    """``etc/api-paste.ini`` as shipped, in ``directory``, with options added to sections.

    ``versions_options`` go to both version documents (``/`` and ``/v2.1``);
    ``connection``: the database URL instead of the shipped SQLite file.
    """
    path = directory / name
    text = DEMO_INI.read_text()
    sections = (
        (API_SECTION, api_options),
        (VERSIONS_SECTION, versions_options),
        (VERSION_SECTION, versions_options),
        (HEALTH_SECTION, health_options),
    )
    for anchor, added in sections:
        assert anchor in text, f"the demo ini no longer has {anchor!r}"
        text = text.replace(anchor, anchor + added + ("\n" if added else ""))
    text = text.replace("trusted_proxies =\n", f"trusted_proxies = {trusted_proxies}\n")
    if connection:
        assert SHIPPED_CONNECTION in text, f"the demo ini no longer has {SHIPPED_CONNECTION!r}"
        text = text.replace(SHIPPED_CONNECTION, f"connection = {connection}\n")
    path.write_text(text)
    return path


class DemoDatabase:
    """The database a demo test runs on: ``kind`` ("sqlite" or "postgresql") and ``url``.

    ``ini(directory)`` is the shipped ini pointing at it; ``select(sql)`` reads it
    directly, beside the servers (SQLite: read-only), as a list of tuples.
    """

    def __init__(self, kind: str, url: str) -> None:
        self.kind = kind
        self.url = url

    def __repr__(self) -> str:
        return f"DemoDatabase({self.kind}, {self.url})"

    def ini(self, directory: Path, **options: str) -> Path:
        return demo_ini(directory, connection=self.url, **options)

    def select(self, sql: str, params: dict | None = None) -> list[tuple]:
        from sqlalchemy import create_engine, text
        from sqlalchemy.pool import NullPool

        url = self.url
        if self.kind == "sqlite":
            url = f"sqlite:///file:{url.removeprefix('sqlite:///')}?mode=ro&uri=true"
        engine = create_engine(url, poolclass=NullPool)
        try:
            with engine.connect() as db:
                return [tuple(row) for row in db.execute(text(sql), params or {})]
        finally:
            engine.dispose()
