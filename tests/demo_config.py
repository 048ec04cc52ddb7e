"""The shipped demo ini, copied into a test's tmp_path (its SQLite file lands there too)."""

from __future__ import annotations

from pathlib import Path

from conftest import DEMO_INI

API_SECTION = "[app:compute_api]\nuse = egg:stackapi#demo\n"
VERSIONS_SECTION = "[app:versions_app]\nuse = egg:stackapi#demo_versions\n"
VERSION_SECTION = "[app:version_v21_app]\nuse = egg:stackapi#demo_version\n"


def demo_ini(
    directory: Path,
    *,
    trusted_proxies: str = "",
    api_options: str = "",
    versions_options: str = "",
) -> Path:
    """``etc/api-paste.ini`` as shipped, in ``directory``, with options added to sections.

    ``versions_options`` go to both version documents (``/`` and ``/v2.1``).
    """
    path = directory / "api-paste.ini"
    text = DEMO_INI.read_text()
    for anchor, added in (
        (API_SECTION, api_options),
        (VERSIONS_SECTION, versions_options),
        (VERSION_SECTION, versions_options),
    ):
        assert anchor in text, f"the demo ini no longer has {anchor!r}"
        text = text.replace(anchor, anchor + added + ("\n" if added else ""))
    text = text.replace("trusted_proxies =\n", f"trusted_proxies = {trusted_proxies}\n")
    path.write_text(text)
    return path
