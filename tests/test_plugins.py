"""Plugins end to end: a test package registers one of each kind, and every command finds it.

The package (``tests/plugins/toolkit_demo_plugin``) is loaded two ways, and every check runs
both ways: through ``TOOLKIT_PLUGINS`` (on ``PYTHONPATH``) and as an installed entry point in a
throwaway venv made here (``--system-site-packages``, never the project's ``.venv``).

All task and outcome data here is synthetic (made up for these tests).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from synthetic_runs import read_jsonl

from toolkit.registry import BUILTINS, KINDS

PLUGIN_ROOT = Path(__file__).parent / "plugins" / "toolkit_demo_plugin"
PLUGIN = "toolkit_demo_plugin"

#: Synthetic tasks graded by the plugin's ``starts_with`` grader.
TASKS = [
    {
        "id": "g1",
        "input": "greet the user",
        "target": "hello",
        "category": "greet",
        "grader": "starts_with",
    },
    {
        "id": "g2",
        "input": "greet the team",
        "target": "hello",
        "category": "greet",
        "grader": "starts_with",
    },
    {
        "id": "m1",
        "input": "two plus two",
        "target": "4",
        "category": "math",
        "grader": {"name": "starts_with", "args": {"ignore_case": False}},
    },
]


@dataclass
class Toolkit:
    """How to run ``toolkit`` with the plugin loaded one way."""

    how: str
    python: str
    env: dict[str, str] = field(default_factory=dict)

    def run(self, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.python, "-m", "toolkit", *args],
            capture_output=True,
            text=True,
            env=self.env,
            cwd=cwd,
            timeout=240,
        )


def _base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("TOOLKIT_PLUGINS", "PYTHONPATH")}
    return env


@pytest.fixture(scope="module")
def entry_point_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A throwaway venv that sees the project's packages and has the plugin installed."""
    venv = tmp_path_factory.mktemp("plugin-venv") / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
        check=True,
        timeout=120,
    )
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # the project's environment (toolkit and its dependencies) as a site dir of the new venv
    ours = sysconfig.get_paths()["purelib"]
    Path(site, "toolkit_project.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    source = venv.parent / "src"  # built from a copy: the build leaves nothing in tests/
    shutil.copytree(PLUGIN_ROOT, source)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            str(source),
        ],
        check=True,
        timeout=240,
        capture_output=True,
    )
    return str(python)


@pytest.fixture(params=["env", "entry_point"])
def kit(request: pytest.FixtureRequest) -> Toolkit:
    env = _base_env()
    if request.param == "env":
        env["PYTHONPATH"] = str(PLUGIN_ROOT)
        env["TOOLKIT_PLUGINS"] = PLUGIN
        return Toolkit("env", sys.executable, env)
    return Toolkit("entry_point", request.getfixturevalue("entry_point_python"), env)


def _source(kit: Toolkit) -> str:
    return f"module:{PLUGIN}" if kit.how == "env" else "entry_point:toolkit-demo-plugin"


def _write_tasks(path: Path, tasks: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(t) + "\n" for t in tasks), encoding="utf-8")
    return path


# ----- toolkit plugins --json ------------------------------------------------------------------


def test_plugins_json_lists_every_builtin_and_the_plugin(kit: Toolkit) -> None:
    out = kit.run("plugins", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert list(data) == list(KINDS)
    for kind in KINDS:
        rows = data[kind]
        assert [r["name"] for r in rows] == sorted(r["name"] for r in rows)
        for r in rows:
            assert {"name", "summary", "source", "available"} <= set(r)
            assert r["available"] or r.get("needs")
        by_name = {r["name"]: r for r in rows}
        for name in BUILTINS[kind]:
            assert by_name[name]["source"] == "builtin", (kind, name)
    mine = {
        "grader": "starts_with",
        "executor": "canned",
        "signal": "length",
        "strategy": "by_category",
        "importer": "simple_json",
    }
    for kind, name in mine.items():
        row = {r["name"]: r for r in data[kind]}[name]
        assert row["source"] == _source(kit)
        assert row["summary"]


# ----- tasks validate --------------------------------------------------------------------------


def test_tasks_validate_accepts_the_plugin_grader_and_suggests_a_fix(
    kit: Toolkit, tmp_path: Path
) -> None:
    good = _write_tasks(tmp_path / "good.jsonl", TASKS)
    out = kit.run("tasks", "validate", str(good))
    assert out.returncode == 0, out.stderr
    bad = _write_tasks(tmp_path / "bad.jsonl", [{**TASKS[0], "grader": "starts_wth"}])
    out = kit.run("tasks", "validate", str(bad))
    assert out.returncode == 2
    assert f"{bad}:1: grader: unknown grader 'starts_wth'; did you mean 'starts_with'?" in (
        out.stdout + out.stderr
    )
    assert "TOOLKIT_PLUGINS" in out.stdout + out.stderr
    args = _write_tasks(
        tmp_path / "args.jsonl",
        [{**TASKS[0], "grader": {"name": "starts_with", "args": {"ignore_cse": True}}}],
    )
    out = kit.run("tasks", "validate", str(args))
    assert out.returncode == 2
    assert f"{args}:1: grader.args.ignore_cse:" in out.stdout + out.stderr


# ----- toolkit run: custom executor, strategy and grader --------------------------------------


def _spec(tmp_path: Path, *, budget: str = "") -> Path:
    tasks = _write_tasks(tmp_path / "tasks.jsonl", TASKS)
    spec = tmp_path / "spec.toml"
    spec.write_text(
        textwrap.dedent(
            f"""
            name = "plugin-run"

            [tasks]
            paths = ["{tasks.name}"]

            [cache]
            path = "cache.sqlite"

            [run]
            backoff_base_s = 0.0
            {budget}

            [[executors]]
            name = "polite"
            kind = "canned"
            answers = {{ "greet the user" = "Hello there", "greet the team" = "hi all" }}
            cost_per_call_usd = 0.01
            fail_first = 1

            [[executors]]
            name = "mathy"
            kind = "canned"
            answers = {{ "two plus two" = "4, of course" }}
            cost_per_call_usd = 0.02

            [[strategies]]
            kind = "by_category"
            name = "router"
            routes = {{ greet = "polite", math = "mathy" }}
            """
        ),
        encoding="utf-8",
    )
    return spec


def test_run_uses_the_custom_executor_strategy_and_grader_through_the_policies(
    kit: Toolkit, tmp_path: Path
) -> None:
    spec = _spec(tmp_path)
    out = kit.run("run", str(spec), "--out", str(tmp_path / "run1"), "--no-progress")
    assert out.returncode == 0, out.stderr
    results = {r["task_id"]: r for r in read_jsonl(tmp_path / "run1" / "results.jsonl")}
    assert {k: r["score"] for k, r in results.items()} == {"g1": 1.0, "g2": 0.0, "m1": 1.0}
    calls = read_jsonl(tmp_path / "run1" / "calls.jsonl")
    by_task = {c["task_id"]: c for c in calls}
    # retries: the polite executor fails its first attempt per prompt, the policy retries once
    assert by_task["g1"]["attempts"] == 2 and by_task["g1"]["executor"] == "polite"
    assert by_task["m1"]["attempts"] == 1 and by_task["m1"]["executor"] == "mathy"
    assert sum(c["billed_usd"] for c in calls) == pytest.approx(0.04)

    # the cache: a second run answers every call from it and pays nothing
    out = kit.run("run", str(spec), "--out", str(tmp_path / "run2"), "--no-progress")
    assert out.returncode == 0, out.stderr
    again = read_jsonl(tmp_path / "run2" / "calls.jsonl")
    assert all(c["cached"] for c in again) and sum(c["billed_usd"] for c in again) == 0
    assert sum(c["cost_usd"] for c in again) == pytest.approx(0.04)
    # replay from that cache calls nothing either
    out = kit.run("run", str(spec), "--out", str(tmp_path / "run3"), "--replay", "--no-progress")
    assert out.returncode == 0, out.stderr


def test_the_budget_stops_a_plugin_executor_before_it_passes_the_cap(
    kit: Toolkit, tmp_path: Path
) -> None:
    spec = _spec(tmp_path)
    out = kit.run(
        "run",
        str(spec),
        "--out",
        str(tmp_path / "run"),
        "--budget",
        "0.025",
        "--concurrency",
        "1",
        "--no-progress",
    )
    assert out.returncode == 3, out.stdout + out.stderr
    calls = read_jsonl(tmp_path / "run" / "calls.jsonl")
    assert sum(c["billed_usd"] for c in calls) <= 0.025 + 1e-12
    assert "budget" in out.stderr


# ----- outcomes import and evaluate -------------------------------------------------------------


def _outcomes(path: Path) -> Path:
    """Synthetic outcomes: ``big`` is right on long prompts, ``small`` on short ones."""
    tasks = []
    for i in range(60):
        long = i % 2 == 0
        prompt = ("please explain in detail " * 4 if long else "say ") + f"item {i}"
        tasks.append(
            {
                "id": f"t{i}",
                "prompt": prompt,
                "category": "long" if long else "short",
                "split": "train" if i < 40 else "test",
                "scores": {"big": 1.0, "small": 0.0 if long else 1.0},
                "costs": {"big": 0.01, "small": 0.001},
            }
        )
    path.write_text(json.dumps({"executors": ["big", "small"], "tasks": tasks}))
    return path


def test_import_a_plugin_format_and_score_plugin_signal_and_strategy_offline(
    kit: Toolkit, tmp_path: Path
) -> None:
    src = _outcomes(tmp_path / "outcomes.json")
    parquet = tmp_path / "m.parquet"
    out = kit.run("outcomes", "import", str(src), "--format", "simple_json", "--out", str(parquet))
    assert out.returncode == 0, out.stderr
    assert "60 tasks" in out.stdout
    out = kit.run(
        "evaluate",
        str(parquet),
        "--strategy",
        "single",
        "--strategy",
        "score_router:length",
        "--strategy",
        "by_category",
        "--bootstrap",
        "50",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    rows = {s["name"]: s for s in result["strategies"]}
    # the category router learned on train sends long prompts to big, short ones to small
    assert rows["by_category"]["quality"] == 1.0
    assert rows["by_category"]["cost_per_task"] == pytest.approx((0.01 + 0.001) / 2)
    # the length signal separates the two as well: some score-router setting is perfect and
    # cheaper than always calling big
    length = [s for s in result["strategies"] if s["name"].startswith("score_router:length")]
    assert length and max(s["quality"] for s in length) == 1.0
    assert min(s["cost_per_task"] for s in length if s["quality"] == 1.0) < 0.01
    out = kit.run("evaluate", str(parquet), "--strategy", "by_categry", "--json")
    assert out.returncode == 2 and "did you mean 'by_category'?" in out.stderr


# ----- discovery: failures, spec plugins, clashes ----------------------------------------------


def _toolkit(
    *args: str, env: dict[str, str], cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "toolkit", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )


def test_a_plugin_that_fails_to_import_exits_2_naming_it(tmp_path: Path) -> None:
    (tmp_path / "broken_plugin.py").write_text("import no_such_module_here\n")
    env = {**_base_env(), "PYTHONPATH": str(tmp_path), "TOOLKIT_PLUGINS": "broken_plugin"}
    out = _toolkit("plugins", env=env)
    assert out.returncode == 2
    assert "TOOLKIT_PLUGINS: plugin 'broken_plugin' failed to import: ModuleNotFoundError" in (
        out.stderr
    )
    assert "Traceback" not in out.stderr
    env["TOOLKIT_PLUGINS"] = "not_installed_anywhere"
    out = _toolkit("plugins", env=env)
    assert out.returncode == 2 and "'not_installed_anywhere'" in out.stderr


@pytest.fixture
def plugin_file(tmp_path: Path) -> Iterator[Path]:
    """A spec folder with a one-file plugin that registers a grader."""
    (tmp_path / "local_grader.py").write_text(
        textwrap.dedent(
            """
            import toolkit

            @toolkit.grader("shouty")
            def shouty(task, answer):
                '''The answer is in capitals.'''
                return 1.0 if answer.isupper() else 0.0
            """
        )
    )
    yield tmp_path


def test_a_spec_loads_plugin_files_relative_to_itself(plugin_file: Path) -> None:
    tasks = _write_tasks(
        plugin_file / "tasks.jsonl",
        [{"id": "a", "input": "shout", "target": "x", "category": "c", "grader": "shouty"}],
    )
    spec = plugin_file / "spec.toml"
    spec.write_text(
        textwrap.dedent(
            f"""
            name = "files"
            plugins = ["local_grader.py"]

            [tasks]
            paths = ["{tasks.name}"]

            [cache]
            enabled = false

            [[executors]]
            name = "calc"
            kind = "tool"
            tool = "arithmetic"

            [[strategies]]
            kind = "single"
            executor = "calc"
            """
        )
    )
    out = subprocess.run(
        [sys.executable, "-m", "toolkit", "run", str(spec), "--dry-run"],
        capture_output=True,
        text=True,
        env=_base_env(),
        cwd=plugin_file.parent,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    spec.write_text(spec.read_text().replace("local_grader.py", "missing.py"))
    out = subprocess.run(
        [sys.executable, "-m", "toolkit", "run", str(spec), "--dry-run"],
        capture_output=True,
        text=True,
        env=_base_env(),
        timeout=120,
    )
    assert out.returncode == 2
    assert f"{spec}:3: plugins.0: plugin file 'missing.py' not found" in out.stderr


def test_a_plugin_that_calls_sys_exit_at_load_exits_2_naming_it(tmp_path: Path) -> None:
    (tmp_path / "exiting_plugin.py").write_text("import sys\nsys.exit(0)\n")
    env = {**_base_env(), "PYTHONPATH": str(tmp_path), "TOOLKIT_PLUGINS": "exiting_plugin"}
    out = _toolkit("plugins", env=env)
    assert out.returncode == 2, out.stderr
    assert (
        "TOOLKIT_PLUGINS: plugin 'exiting_plugin' failed to import: it called sys.exit(0) "
        "while loading"
    ) in out.stderr
    assert "Traceback" not in out.stderr
    spec = tmp_path / "spec.toml"  # the same file named by a spec's plugins
    spec.write_text('name = "x"\nplugins = ["exiting_plugin.py"]\n')
    out = _toolkit("run", str(spec), "--dry-run", env=_base_env())
    assert out.returncode == 2, out.stderr
    assert f"{spec}:2: plugins.0: plugin file 'exiting_plugin.py' failed to import: it called " in (
        out.stderr
    )


def test_a_clash_between_plugins_names_both_and_the_specs_plugins_line(tmp_path: Path) -> None:
    for name in ("first_plugin", "second_plugin"):
        (tmp_path / f"{name}.py").write_text(
            "import toolkit\n@toolkit.grader('same_name')\ndef g(task, answer):\n    return 1.0\n"
        )
    spec = tmp_path / "spec.toml"
    spec.write_text('name = "x"\n\nplugins = ["second_plugin.py"]\n')
    env = {**_base_env(), "PYTHONPATH": str(tmp_path), "TOOLKIT_PLUGINS": "first_plugin"}
    out = _toolkit("run", str(spec), "--dry-run", env=env)
    assert out.returncode == 2, out.stderr
    assert f"{spec}:3: plugins.0:" in out.stderr
    assert (
        "grader 'same_name' from module:second_plugin is already registered by module:first_plugin"
    ) in out.stderr
    # one plugin named twice (a module in TOOLKIT_PLUGINS, its file in the spec) is no clash
    spec.write_text('name = "x"\n\nplugins = ["first_plugin.py"]\n')
    out = _toolkit("run", str(spec), "--dry-run", env=env)
    assert "already registered" not in out.stderr and "plugins.0" not in out.stderr, out.stderr


def test_an_executor_plugin_that_raises_is_named_in_the_summary_and_recorded(
    tmp_path: Path,
) -> None:
    plugin = tmp_path / "boom_plugin.py"
    plugin.write_text(
        textwrap.dedent(
            """
            from typing import Literal

            import toolkit
            from toolkit.models import ExecutorBase


            class BoomConfig(ExecutorBase):
                kind: Literal["boom"] = "boom"


            class Boom:
                def __init__(self, config):
                    self.name = config.name

                def worst_case_usd(self, request):
                    return 0.0

                async def complete(self, request):
                    raise RuntimeError("boom at " + request.prompt)


            @toolkit.executor("boom", config=BoomConfig)
            def boom(config):
                '''Always raises (a test double).'''
                return Boom(config)
            """
        )
    )
    tasks = _write_tasks(tmp_path / "tasks.jsonl", TASKS[:2])
    spec = tmp_path / "spec.toml"
    spec.write_text(
        textwrap.dedent(
            f"""
            name = "boom"
            plugins = ["boom_plugin.py"]

            [tasks]
            paths = ["{tasks.name}"]

            [cache]
            enabled = false

            [[executors]]
            name = "bot"
            kind = "boom"
            max_retries = 0

            [[strategies]]
            kind = "single"
            executor = "bot"
            """
        )
    )
    plugin_tasks = PLUGIN_ROOT  # the starts_with grader of TASKS
    env = {**_base_env(), "PYTHONPATH": str(plugin_tasks), "TOOLKIT_PLUGINS": PLUGIN}
    dry = _toolkit("run", str(spec), "--dry-run", env=env, cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert "boom: free" in dry.stdout and "no worst case given" not in dry.stdout, dry.stdout
    out = _toolkit("run", str(spec), "--out", str(tmp_path / "run"), env=env, cwd=tmp_path)
    text = out.stdout + out.stderr
    assert "2 with errors (bot: 2, first: " in text and "RuntimeError: boom at greet" in text, text
    assert "Traceback" not in text
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text("utf-8"))
    recorded = {p["source"]: p for p in manifest["plugins"]}
    assert recorded["module:boom_plugin"]["path"] == str(plugin.resolve())
    digest = hashlib.sha256(plugin.read_bytes()).hexdigest()
    assert recorded["module:boom_plugin"]["sha256"] == digest
    assert f"module:{PLUGIN}" in recorded and manifest["replaced_builtins"] == []
