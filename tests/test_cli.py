"""CLI conventions: help with examples everywhere, --version, python -m, -q/-v, the
workspace choice (flag, environment, current folder), exit codes, and where files go.
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from conftest import Server, page, rss

from curator import __version__
from curator.cli import cli
from curator.lock import workspace_lock

CONTACTS = """\
contacts:
  - name: Ada Gardener
    interests: [urban gardening, tomatoes]
"""


def _commands(group: click.Group, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command path under ``group``, subcommand groups included, the group first."""
    found = [path]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += _commands(command, (*path, name))
        else:
            found.append((*path, name))
    return found


COMMANDS = _commands(cli)


def test_the_weekly_commands_are_there() -> None:
    assert {("init",), ("fetch",), ("run",), ("suggest",)} <= set(COMMANDS)


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "curator")
def test_every_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="curator", catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout.startswith(f"Usage: curator {' '.join(path)}".rstrip())
    assert "Example" in result.stdout, f"`curator {' '.join(path)} --help` shows no example"
    # The example is a real invocation of this very command, not boilerplate.
    example = result.stdout.split("Example", 1)[1]
    assert f"curator {' '.join(path)}".rstrip() in example or not path


def test_short_help_flag() -> None:
    assert CliRunner().invoke(cli, ["-h"]).stdout == CliRunner().invoke(cli, ["--help"]).stdout


def test_version() -> None:
    result = CliRunner().invoke(cli, ["--version"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout == f"curator, version {__version__}\n"


def test_unknown_command_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["frobnicate"])
    assert result.exit_code == 2
    assert "No such command 'frobnicate'" in result.stderr


def test_python_dash_m_curator() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CURATOR_")}
    result = subprocess.run(
        [sys.executable, "-m", "curator", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: curator [OPTIONS] COMMAND [ARGS]...")
    assert "Example:" in result.stdout
    assert result.stderr == ""
    version = subprocess.run(
        [sys.executable, "-m", "curator", "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert version.stdout == f"curator, version {__version__}\n"


# -- the workspace: flag, else CURATOR_WORKSPACE, else the current folder --------------------


def _workspace(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "feeds.yaml").write_text("feeds: []\n")
    (root / "contacts.yaml").write_text(CONTACTS)
    return root


def _ran_in(root: Path) -> bool:
    return (root / ".curator" / "curator.db").is_file() and (
        root / "output" / "index.html"
    ).is_file()


def test_workspace_from_the_flag(tmp_path: Path) -> None:
    flag, env, cwd = (_workspace(tmp_path / n) for n in ("flag", "env", "cwd"))
    os.chdir(cwd)
    for option in ("-w", "--workspace"):
        result = CliRunner().invoke(
            cli,
            [option, str(flag), "run", "--no-fetch"],
            env={"CURATOR_WORKSPACE": str(env)},
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(str(flag / "output"))
    assert _ran_in(flag) and not _ran_in(env) and not _ran_in(cwd)


def test_workspace_from_the_environment(tmp_path: Path) -> None:
    env, cwd = _workspace(tmp_path / "env"), _workspace(tmp_path / "cwd")
    os.chdir(cwd)
    result = CliRunner().invoke(
        cli, ["run", "--no-fetch"], env={"CURATOR_WORKSPACE": str(env)}, catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    assert _ran_in(env) and not _ran_in(cwd)


def test_workspace_is_the_current_folder_by_default(tmp_path: Path) -> None:
    cwd = _workspace(tmp_path / "cwd")
    os.chdir(cwd)
    result = CliRunner().invoke(cli, ["run", "--no-fetch"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert _ran_in(cwd)
    assert result.stdout.startswith(str(cwd.resolve() / "output"))


def test_relative_workspace_flag(tmp_path: Path) -> None:
    _workspace(tmp_path / "a" / "ws")
    result = CliRunner().invoke(cli, ["-w", "a/ws", "run", "--no-fetch"], catch_exceptions=False)
    assert result.exit_code == 0
    assert _ran_in(tmp_path / "a" / "ws")


# -- -q and -v, on a run where one feed and one page fail ---------------------------------


@pytest.fixture
def flaky(http_server: Server, workspace: Path) -> Path:
    """A workspace with one good feed (one page missing) and one feed that errors."""
    good = http_server.add(
        "/feed.xml",
        rss(
            [
                {"title": "Tomatoes on the balcony", "link": http_server.url("/tomatoes")},
                {
                    "title": "Urban gardening in pots",
                    "link": http_server.url("/gone"),
                    "description": "Urban gardening in pots on a city balcony, with tomatoes.",
                },
            ]
        ),
        content_type="application/rss+xml",
    )
    http_server.add(
        "/tomatoes",
        page(
            "Tomatoes on the balcony",
            [
                "Urban gardening starts with tomatoes in deep pots on a sunny balcony.",
                "Tomatoes need water every evening in July.",
            ],
        ),
    )
    broken = http_server.add("/broken.xml", "oops", status=500)
    (workspace / "feeds.yaml").write_text(
        f"feeds:\n  - url: {good}\n    name: Good\n  - url: {broken}\n    name: Broken\n"
    )
    (workspace / "contacts.yaml").write_text(CONTACTS)
    # One extraction process is enough here and keeps the test quick.
    (workspace / "curator.yaml").write_text("extract_workers: 1\n")
    return workspace


def _run(ws: Path, *flags: str) -> Result:
    return CliRunner().invoke(cli, [*flags, "-w", str(ws), "run"], catch_exceptions=False)


def test_default_output(flaky: Path) -> None:
    result = _run(flaky)
    assert result.exit_code == 0  # a digest was written although a feed failed
    assert result.stdout == f"{flaky.resolve()}/output/{_week(flaky)}/index.html\n"
    assert "1 of 2 feeds failed:\n  Broken: " in result.stderr, result.stderr
    assert "1 article page could not be read; its feed text" in result.stderr
    assert "WARNING" not in result.stderr


def test_quiet_prints_only_what_cron_should_mail(flaky: Path) -> None:
    result = _run(flaky, "-q")
    assert result.exit_code == 0
    assert result.stdout == ""
    # A failing feed still reaches stderr under -q, so cron mails it; page trouble does not.
    assert result.stderr.startswith("1 of 2 feeds failed:\n  Broken: "), result.stderr
    assert "article pages" not in result.stderr
    assert _ran_in(flaky)


def test_verbose_names_each_failure(flaky: Path, http_server: Server) -> None:
    result = _run(flaky, "-v")
    assert result.exit_code == 0
    assert f"WARNING: page {http_server.url('/gone')}: " in result.stderr
    assert "WARNING: feed Broken: " in result.stderr
    assert result.stdout.endswith("index.html\n")


def test_quiet_wins_over_verbose(flaky: Path) -> None:
    result = _run(flaky, "-q", "-vv")
    assert result.stdout == ""
    assert "WARNING" not in result.stderr


def test_quiet_run_on_a_healthy_workspace_prints_nothing(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws")
    result = CliRunner().invoke(cli, ["-q", "-w", str(ws), "run"], catch_exceptions=False)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def _week(ws: Path) -> str:
    (week,) = [p.name for p in (ws / "output").iterdir() if p.is_dir()]
    return week


# -- where files go: state in .curator/, only generated files in output/ --------------------


def test_state_stays_out_of_output(flaky: Path) -> None:
    _run(flaky)
    _run(flaky)  # a second run, with its lock, database journal and temporary files
    state = {p.name for p in (flaky / ".curator").iterdir()}
    assert "curator.db" in state
    generated = sorted(
        p.relative_to(flaky / "output").as_posix()
        for p in (flaky / "output").rglob("*")
        if p.is_file()
    )
    week = _week(flaky)
    assert {"index.html", f"{week}/index.html", f"{week}/digest.md", f"{week}/digest.json"} <= set(
        generated
    )
    for name in generated:
        assert Path(name).suffix in {".html", ".md", ".json", ".css", ".js", ".xml", ".txt"}, name
        assert not name.startswith("."), name
    assert not any(
        p.name.endswith(("-wal", "-shm", ".db", ".lock")) for p in (flaky / "output").rglob("*")
    )


def test_fetch_keeps_state_in_the_workspace_and_writes_no_output(flaky: Path) -> None:
    result = CliRunner().invoke(cli, ["-w", str(flaky), "fetch"], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout == "2 new articles from 1 feed\n"
    assert (flaky / ".curator" / "curator.db").is_file()
    assert not (flaky / "output").exists() or not any((flaky / "output").rglob("*"))


def test_a_second_run_while_one_holds_the_lock_exits_75(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws")
    with workspace_lock(ws / ".curator" / "run.lock"):
        result = CliRunner().invoke(cli, ["-w", str(ws), "run", "--no-fetch"])
    assert result.exit_code == 75
    assert result.stderr.startswith("Error: another curator run is using this workspace")
    assert not (ws / "output" / "index.html").exists()


# -- packaging: `pip install .` on a fresh machine must bring every import ------------------


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_third_party_import_is_a_declared_dependency() -> None:
    """A module imported only thanks to a test extra (numpy via rank-bm25 once) breaks
    `pip install . && curator run` on a fresh machine; installed metadata shows it here."""
    repo = Path(__file__).resolve().parent.parent
    declared = {
        _norm(re.split(r"[<>=!~;\[ ]", dep, maxsplit=1)[0])
        for dep in tomllib.loads((repo / "pyproject.toml").read_text())["project"]["dependencies"]
    }
    reachable, todo = set(), list(declared)
    while todo:  # declared dependencies and everything they require, transitively
        name = todo.pop()
        if name in reachable:
            continue
        reachable.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        todo += [
            _norm(re.split(r"[<>=!~;\[ (]", r, maxsplit=1)[0])
            for r in requires
            if "extra ==" not in r
        ]
    imported: set[str] = set()
    for source in (repo / "curator").glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    distributions = metadata.packages_distributions()
    for module in sorted(imported - set(sys.stdlib_module_names) - {"curator"}):
        owners = {_norm(d) for d in distributions.get(module, [module])}
        assert owners & reachable, (
            f"curator imports {module} but pyproject.toml does not declare it"
        )


# -- exit codes: every command's usage errors exit 2, as the README says -----------------------

USAGE_ERRORS: list[tuple[tuple[str, ...], str]] = [
    # (arguments, the start of what stderr says)
    (("--no-such-flag",), "Usage: "),
    (("init", "contacts.yaml"), "Usage: "),  # a file, not a folder
    (("fetch", "--since", "soon"), "Error: option --since: 'soon' is not a duration"),
    (("run", "--since", "soon"), "Error: option --since: 'soon' is not a duration"),
    (("run", "--per-contact", "0"), "Usage: "),
    (("run", "--format", "pdf"), "Usage: "),
    (("suggest", "nobody-at-all"), "Error: no contact called 'nobody-at-all'"),
    (("suggest", "ada", "--limit", "0"), "Usage: "),
    (("explain", "nobody-at-all", "https://example.org/a"), "Error: no contact called"),
    (("explain", "ada", "https://example.org/not-stored"), "Error: no stored article has"),
    (("articles", "--since", "soon"), "Error: option --since: 'soon' is not a duration"),
    (("articles", "--format", "pdf"), "Usage: "),
    (("shared", "nobody-at-all", "https://example.org/a"), "Error: no contact called"),
    (("shared", "ada", "not-a-url"), "Error: 'not-a-url' is not a web address"),
    (("shared", "ada", "https://example.org/a", "--on", "soon"), "Error: 'soon' is not a date"),
    (("shared", "ada", "https://example.org/a", "--on", "2999-01-01"), "Error: '2999-01-01' is in"),
    (("dismiss", "nobody-at-all", "https://example.org/a"), "Error: no contact called"),
    (("dismiss", "ada", "ftp://example.org/a"), "Error: 'ftp://example.org/a' is not a web"),
    (("history", "nobody-at-all"), "Error: no contact called 'nobody-at-all'"),
    (("undo", "ada"), "Usage: "),
    (("touched", "nobody-at-all"), "Error: no contact called 'nobody-at-all'"),
    (("touched", "ada", "--via", "pigeon"), "Usage: "),
    (("touched", "ada", "--on", "2999-01-01"), "Error: '2999-01-01' is in the future"),
    (("snooze", "ada"), "Error: give one of --for 30d, --until DATE"),
    (("snooze", "ada", "--for", "30d", "--off"), "Error: give one of --for 30d"),
    (("snooze", "ada", "--for", "soon"), "Error: 'soon' is not a duration"),
    (("snooze", "ada", "--until", "2000-01-01"), "Error: '2000-01-01' is not after today"),
    (("snooze", "nobody-at-all", "--for", "30d"), "Error: no contact called"),
    (("pause", "nobody-at-all"), "Error: no contact called 'nobody-at-all'"),
    (("forget", "ada", "--yes"), "Error: 'ada' is not exactly anyone's full name or email"),
    (("forget", "nobody-at-all", "--yes"), "Error: no contact has the full name or email"),
    (("contacts", "frob"), "Usage: "),
    (("contacts", "list", "extra"), "Usage: "),
    (("contacts", "import", "missing.vcf"), "Usage: "),
    (("contacts", "import", "feeds.yaml"), "Error: feeds.yaml: not a vCard"),
    (("contacts", "import", "feeds.yaml", "--dry-run"), "Error: feeds.yaml: not a vCard"),
    (("contacts", "undo-import", "extra"), "Usage: "),
    (("feeds", "frob"), "Usage: "),
    (("feeds", "list", "extra"), "Usage: "),
    (("feeds", "add", "ftp://example.org/feed.xml"), "Error: 'ftp://example.org/feed.xml' is not"),
    (("feeds", "add", "missing.xml"), "Error: no feed file at "),
    (("feeds", "import", "missing.opml"), "Usage: "),
    (("feeds", "import", "contacts.yaml"), "Error: contacts.yaml: not valid XML"),
    (("feeds", "export", "extra"), "Usage: "),
    (("coverage", "--weeks", "0"), "Usage: "),
    (("doctor", "--fix"), "Usage: "),
    (("history", "--all"), "Error: --all goes with --format json or --format csv"),
]


@pytest.mark.parametrize(("args", "says"), USAGE_ERRORS, ids=[" ".join(a) for a, _ in USAGE_ERRORS])
def test_usage_errors_exit_2_and_change_nothing(tmp_path: Path, args: tuple, says: str) -> None:
    ws = _workspace(tmp_path / "ws")
    os.chdir(ws)
    before = {p: p.read_bytes() for p in ws.rglob("*") if p.is_file()}
    result = CliRunner().invoke(cli, ["-w", str(ws), *args])
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert result.stderr.startswith(says), result.stderr
    assert "Traceback" not in result.output
    after = {p: p.read_bytes() for p in ws.rglob("*") if p.is_file() and ".curator" not in p.parts}
    assert after == {p: b for p, b in before.items() if ".curator" not in p.parts}


def test_every_command_has_its_usage_errors_tested() -> None:
    tried = {args[: len(path)] for args, _ in USAGE_ERRORS for path in COMMANDS if path}
    untested = [p for p in COMMANDS if p and p not in tried]
    assert untested == [], f"add usage errors of {untested} to USAGE_ERRORS"


RUNTIME_ERRORS: list[tuple[tuple[str, ...], str]] = [
    # Well-formed commands that cannot do their work: 1, not 2.
    (("suggest", "ada"), "Error: no articles stored yet"),
    (("init", "contacts.yaml/inside"), "Error: cannot create the workspace in"),
]


@pytest.mark.parametrize(
    ("args", "says"), RUNTIME_ERRORS, ids=[" ".join(a) for a, _ in RUNTIME_ERRORS]
)
def test_runtime_errors_exit_1(tmp_path: Path, args: tuple, says: str) -> None:
    ws = _workspace(tmp_path / "ws")
    os.chdir(ws)
    result = CliRunner().invoke(cli, ["-w", str(ws), *args])
    assert (result.exit_code, result.stderr[: len(says)]) == (1, says), result.stderr
