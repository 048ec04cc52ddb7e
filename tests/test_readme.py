"""The README's copy-paste commands stay true: CI runs the same test command."""

from conftest import REPO


def shell_blocks(text: str) -> list[str]:
    blocks, inside = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            inside = line == "```sh"
            continue
        if inside:
            blocks.append(line)
    return blocks


def test_readme_has_the_two_setup_commands_and_ci_runs_the_test_one():
    readme = (REPO / "README.md").read_text()
    commands = [c for c in shell_blocks(readme) if c.startswith("python3 -m venv")]
    assert len(commands) == 2, commands
    serve, test = commands
    assert "stackapi-server --config etc/api-paste.ini" in serve
    assert test in (REPO / ".ci" / "run").read_text().splitlines()
