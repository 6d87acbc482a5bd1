"""The documentation: a README that fits on a screen and leads with the two commands, a
CLI reference that is what the parser says, and every page of docs/ on the site."""

from __future__ import annotations

import importlib.util

import yaml

from tests.conftest import PROJECT_ROOT

ROOT = PROJECT_ROOT


def _cli_reference():
    spec = importlib.util.spec_from_file_location(
        "cli_reference", ROOT / "scripts" / "cli_reference.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_leads_with_the_two_commands_and_fits_on_a_screen():
    """At most 200 lines; its first code block is make run, then make test, nothing else."""
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200
    start = lines.index("```bash")
    block = lines[start + 1 : lines.index("```", start + 1)]
    assert [line.split()[:2] for line in block] == [["make", "run"], ["make", "test"]]


def test_the_cli_reference_is_what_the_parser_says():
    """docs/cli.md holds every command's --help as the parser prints it today."""
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert page == _cli_reference().render(), "docs/cli.md is out of date: run make docs"
    for command in ("prepare", "train", "forecast", "init-spec", "deploy", "run-stage"):
        assert f"## seqcast {command}\n" in page


def test_every_page_is_on_the_site_and_every_readme_link_resolves():
    """Each docs/*.md is in mkdocs.yml's nav; each relative link of the README names a file
    that exists (the site's own links are checked by mkdocs build --strict)."""

    class Loader(yaml.SafeLoader):  # mkdocs.yml names Python objects (the mermaid fence)
        pass

    Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)

    def pages(nav) -> set[str]:
        found: set[str] = set()
        for item in nav:
            for value in item.values() if isinstance(item, dict) else [item]:
                found |= pages(value) if isinstance(value, list) else {value}
        return found

    on_site = pages(config["nav"])
    assert {p.name for p in (ROOT / "docs").glob("*.md")} == on_site
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme):
        if not target.startswith("http"):
            assert (ROOT / target).exists(), target


def test_every_command_says_what_it_does_and_shows_two_examples():
    """Each command's help opens with its one-line summary and ends with two examples that
    the parser itself accepts."""
    from seqcast.app.cli import USAGE, _build_parser

    parser = _build_parser(plain=True)
    page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for name, (summary, examples) in USAGE.items():
        assert len(examples) == 2
        section = page.split(f"## seqcast {name}\n", 1)[1].split("\n## ", 1)[0]
        assert f"{summary}." in section and all(e in section for e in examples)
        for example in examples:
            import shlex

            args = parser.parse_args(shlex.split(example)[1:])
            assert args.command == name
