"""The registry itself: names, clashes, did-you-mean, lazy built-ins, listing, plugin files."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from toolkit._errors import InputError
from toolkit.registry import (
    BUILTINS,
    KINDS,
    REGISTRY,
    Builtin,
    PluginError,
    PluginWarning,
    Registry,
    grader,
)


def test_every_builtin_registers_itself_under_its_listed_name() -> None:
    for kind, names in BUILTINS.items():
        for name, builtin in names.items():
            if builtin.missing():  # an extra not installed here: listed as needing it
                continue
            entry = REGISTRY.get(kind, name)
            assert entry.source == "builtin" and entry.name == name, (kind, name)


def test_listing_the_registry_imports_no_heavy_module() -> None:
    code = (
        "import json, sys; from toolkit.registry import listing; rows = listing(); "
        "print(json.dumps([sorted(rows), "
        "[m for m in ('pandas', 'sklearn', 'litellm', 'numpy') if m in sys.modules]]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    kinds, heavy = json.loads(out.stdout)
    assert kinds == sorted(KINDS) and heavy == []


def test_unknown_names_suggest_the_closest_and_say_how_plugins_load() -> None:
    with pytest.raises(InputError) as err:
        REGISTRY.get("grader", "numerc")
    text = str(err.value)
    assert "unknown grader 'numerc'; did you mean 'numeric'?" in text
    assert "TOOLKIT_PLUGINS" in text and "toolkit.plugins" in text
    with pytest.raises(ValueError, match="unknown registry kind"):
        REGISTRY.get("graders", "numeric")


def test_a_clash_is_an_error_unless_replace_and_a_rerun_cell_is_not_a_clash() -> None:
    @grader("clash_test")
    def first(task: object, answer: str) -> float:
        return 1.0

    try:

        def other(task: object, answer: str) -> float:
            return 0.0

        with pytest.raises(PluginError, match="already registered"):
            REGISTRY.register("grader", "clash_test", other)
        with pytest.raises(
            PluginError, match=r"grader 'exact' from .* is already registered by builtin"
        ):
            REGISTRY.register("grader", "exact", other)

        # the same definition run again (a notebook cell re-run) replaces it silently
        @grader("clash_test")
        def first(task: object, answer: str) -> float:
            return 0.5

        assert REGISTRY.get("grader", "clash_test").obj is first
        REGISTRY.register("grader", "clash_test", other, replace=True)
        assert REGISTRY.get("grader", "clash_test").obj is other
    finally:
        REGISTRY.unregister("grader", "clash_test")


def test_a_replaced_builtin_stays_replaced() -> None:
    def mine(task: object, answer: str) -> float:
        return 1.0

    REGISTRY.register("grader", "contains", mine, replace=True)
    try:
        import toolkit.grading._graders  # noqa: F401  (already imported: nothing re-registers)

        assert REGISTRY.get("grader", "contains").obj is mine
        assert REGISTRY.get("grader", "contains").source.startswith("module:")
    finally:
        REGISTRY.unregister("grader", "contains")
    assert REGISTRY.get("grader", "contains").source == "builtin"


def test_names_are_checked() -> None:
    for bad in ("", "a:b", "a,b"):
        with pytest.raises(PluginError, match="a name is a non-empty string"):
            REGISTRY.register("grader", bad, lambda t, a: 1.0)
    with pytest.raises(PluginError, match="pydantic BaseModel"):
        REGISTRY.register("grader", "x_test", lambda t, a: 1.0, config=dict)


def test_a_builtin_whose_extra_is_missing_is_listed_as_unavailable() -> None:
    registry = Registry(
        {"executor": {"far": Builtin("toolkit.models._build", "x", (("no_such_mod", "pip x"),))}}
    )
    (row,) = registry.listing("executor")
    assert row == {
        "name": "far",
        "summary": "x",
        "source": "builtin",
        "available": False,
        "needs": "pip x",
    }
    with pytest.raises(InputError, match="needs an optional dependency: pip x"):
        registry.lookup("executor", "far")


def test_plugin_files_load_once_and_failures_name_the_file(tmp_path: Path) -> None:
    plugin = tmp_path / "once_plugin.py"
    plugin.write_text(
        "import toolkit\n"
        "COUNT = [0]\n"
        "@toolkit.grader('once_test')\n"
        "def once(task, answer):\n"
        "    '''Counts its imports.'''\n"
        "    return 1.0\n"
    )
    registry = REGISTRY
    try:
        registry.load_modules(["once_plugin.py"], base_dir=tmp_path)
        registry.load_modules([str(plugin)])
        entry = registry.get("grader", "once_test")
        assert entry.source == "module:once_plugin" and entry.summary == "Counts its imports."
    finally:
        registry.unregister("grader", "once_test")
    broken = tmp_path / "broken.py"
    broken.write_text("def (:\n")
    with pytest.raises(
        PluginError, match=r"plugin file 'broken\.py' failed to import: SyntaxError"
    ):
        registry.load_modules(["broken.py"], base_dir=tmp_path)


def test_a_plugin_grader_that_raises_is_named_not_a_traceback() -> None:
    import asyncio

    from toolkit._errors import ToolkitError
    from toolkit.grading import grader_for
    from toolkit.tasks import GraderRef, Task

    @grader("raises_test", needs_target=False)
    def raises(task: object, answer: str) -> float:
        raise ValueError("broken plugin")

    try:
        task = Task(id="t1", input="q", category="c", grader=GraderRef("raises_test"))
        with pytest.raises(ToolkitError, match=r"grader 'raises_test' .* task 't1': ValueError"):
            asyncio.run(grader_for(task).grade(task, "a"))
    finally:
        REGISTRY.unregister("grader", "raises_test")


def test_an_entry_point_that_calls_sys_exit_is_a_plugin_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.metadata

    class ExitingEntryPoint:
        name, value, dist = "exiting", "exiting_plugin:setup", None

        def load(self) -> None:
            raise SystemExit(0)

    monkeypatch.delenv("TOOLKIT_PLUGINS", raising=False)
    monkeypatch.setattr(importlib.metadata, "entry_points", lambda group: [ExitingEntryPoint()])
    with pytest.raises(PluginError, match=r"entry point 'exiting' .* it called sys\.exit\(0\)"):
        Registry({}).load_plugins()


def test_one_plugin_named_as_a_module_and_as_a_file_loads_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    for name in ("twice_a", "twice_b"):
        (tmp_path / f"{name}.py").write_text(
            "import toolkit\n"
            f"@toolkit.grader('{name}_test')\n"
            "def g(task, answer):\n"
            "    '''One plugin.'''\n"
            "    return 1.0\n"
        )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        REGISTRY.load_modules(["twice_a"], where="TOOLKIT_PLUGINS")  # module, then file
        REGISTRY.load_modules(["twice_a.py"], base_dir=tmp_path)
        REGISTRY.load_modules(["twice_b.py"], base_dir=tmp_path)  # file, then module
        REGISTRY.load_modules(["twice_b"], where="TOOLKIT_PLUGINS")
        assert REGISTRY.get("grader", "twice_a_test").source == "module:twice_a"
        recorded = {p["source"]: p for p in REGISTRY.provenance()["plugins"]}
        digest = hashlib.sha256((tmp_path / "twice_a.py").read_bytes())
        assert recorded["module:twice_a"]["sha256"] == digest.hexdigest()
    finally:
        for name in ("twice_a", "twice_b"):
            REGISTRY.unregister("grader", f"{name}_test")
            sys.modules.pop(name, None)


def test_replacing_a_builtin_warns_naming_both_and_is_recorded() -> None:
    REGISTRY.get("grader", "exact")  # the built-in is loaded

    def exact(task: object, answer: str) -> float:
        return 1.0

    exact.__module__ = "my_plugin"
    try:
        with pytest.warns(PluginWarning, match="grader 'exact' from module:my_plugin replaces "):
            REGISTRY.register("grader", "exact", exact, replace=True)
        assert "grader:exact" in REGISTRY.provenance()["replaced_builtins"]
    finally:
        REGISTRY.unregister("grader", "exact")
    assert "grader:exact" not in REGISTRY.provenance()["replaced_builtins"]


def test_a_plugin_importer_that_raises_is_one_line_naming_it_and_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from toolkit.cli import main
    from toolkit.registry import importer

    def raising(path: Path, opts: object) -> None:
        raise KeyError("no such column")

    raising.__module__ = "broken_importer_plugin"
    importer("raising_test")(raising)
    data = tmp_path / "data.csv"
    data.write_text("a\n1\n")
    out = tmp_path / "o.parquet"
    try:
        argv = ["outcomes", "import", str(data), "--format", "raising_test", "--out", str(out)]
        code = main(argv)
        err = capsys.readouterr().err
        assert code == 1 and not out.exists(), err
        assert (
            f"importer 'raising_test' (module:broken_importer_plugin) failed on {data}: "
            "KeyError: 'no such column'"
        ) in err
        assert "Traceback" not in err
    finally:
        REGISTRY.unregister("importer", "raising_test")
