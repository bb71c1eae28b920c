"""A tuned setting written as a spec that runs as it is: the source run's spec, its relative
paths rebased onto the new file's folder, with the tuned strategy added."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from toolkit._errors import InputError, check_output_file, located

if TYPE_CHECKING:
    from toolkit.analysis._tune import ThresholdRouter


def relative(target: Path, dst: Path) -> str:
    """``target`` as a path relative to the folder ``dst``."""
    return os.path.relpath(target.resolve(), dst.resolve())


def rebase(raw: str, src: Path, dst: Path) -> str:
    """A spec path relative to ``src``, made relative to ``dst`` (absolute ones stay)."""
    p = Path(raw).expanduser()
    if p.is_absolute():
        return raw
    return relative(src / p, dst)


#: Spec keys that hold a path (or a list of paths): in a table, and in each table of an array.
_TABLE_PATHS: dict[str, tuple[str, ...]] = {
    "tasks": ("paths",),
    "prices": ("file",),
    "local": ("model_path",),
    "cache": ("path",),
}
_ARRAY_PATHS: dict[str, tuple[str, ...]] = {
    "executors": ("model_path",),
    "strategies": ("fit_run", "fit_outcomes", "fit_tasks"),
}


def rebase_spec(data: dict[str, Any], src: Path, dst: Path) -> dict[str, Any]:
    """``data`` (a parsed spec) with every relative path moved from ``src`` to ``dst``."""

    def fix(table: Any, keys: tuple[str, ...]) -> None:
        if not isinstance(table, dict):
            return
        for key in keys:
            v = table.get(key)
            if isinstance(v, str):
                table[key] = rebase(v, src, dst)
            elif isinstance(v, list):
                table[key] = [rebase(x, src, dst) if isinstance(x, str) else x for x in v]

    for section, keys in _TABLE_PATHS.items():
        fix(data.get(section), keys)
    for section, keys in _ARRAY_PATHS.items():
        tables = data.get(section)
        for table in tables if isinstance(tables, list) else []:
            fix(table, keys)
            if isinstance(table, dict):
                fix(table.get("shares_from"), ("run",))
    plugins = data.get("plugins")
    if isinstance(plugins, list):  # files (a path or a .py name) move; module names stay
        data["plugins"] = [
            rebase(p, src, dst) if isinstance(p, str) and ("/" in p or p.endswith(".py")) else p
            for p in plugins
        ]
    return data


def _source_spec(run: Path) -> tuple[dict[str, Any], Path]:
    """The spec a run was made from (its TOML, as the manifest keeps it) and that spec's
    folder, which its relative paths are relative to."""
    from toolkit.runs import read_manifest

    spec = read_manifest(run).spec
    text, shown = spec.get("toml"), spec.get("path")
    if not isinstance(text, str) or not isinstance(shown, str) or shown.startswith("<"):
        # a spec built in code: the manifest keeps its values, relative to the folder the
        # run was started in (taken to be this one)
        kept = {k: v for k, v in spec.items() if k not in ("path", "toml")}
        return _without_none(kept), Path.cwd()
    given = Path(shown).expanduser()
    candidates = (
        [given]
        if given.is_absolute()
        else [Path.cwd() / given, *(a / given for a in run.resolve().parents)]
    )
    found = [c for c in candidates if c.is_file()]
    same = [c for c in found if c.read_text(encoding="utf-8", errors="replace") == text]
    if not (same or found):
        raise InputError(
            located(
                run / "manifest.json",
                None,
                "spec.path",
                f"cannot find {shown}, the spec this run was made from (looked from the "
                "current folder and the run's parent folders); run tune from the folder the "
                "run was started in",
            )
        )
    return tomllib.loads(text), (same or found)[0].resolve().parent


def _without_none(value: Any) -> Any:
    """``value`` with every None dropped from its tables (TOML has no null)."""
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value if v is not None]
    return value


def tuned_table(router: ThresholdRouter, fit: Mapping[str, str]) -> dict[str, Any]:
    """The ``[[strategies]]`` table of a tuned two-executor router, in the live config's
    terms, with ``fit`` (``fit_run`` or ``fit_outcomes``) naming what it is fitted on."""
    name = f"{router.kind}:{router.signal_name()}:tuned"
    if router.kind == "cascade":
        return {
            "kind": "cascade",
            "name": name,
            "executors": [router.weak_, router.strong_],
            "signal": "score",
            "estimator": router.signal_name(),
            "threshold": router.live_threshold(),
            **fit,
        }
    return {
        "kind": "score_router",
        "name": name,
        "signal": router.signal_name(),
        "executors": [router.weak_, router.strong_],
        "threshold": router.live_threshold(),
        **fit,
    }


def check_spec_path(path: str | Path) -> Path:
    """``path`` as a spec file to write, not a folder (checked before any fitting, so a
    wrong path fails at once)."""
    return check_output_file(path, "--write-spec")


def write_tuned_spec(path: str | Path, router: ThresholdRouter, source: str | Path) -> Path:
    """Write the tuned router as a spec. From a run directory: the run's own spec (paths
    rebased onto ``path``'s folder) with the tuned strategy added, so ``toolkit run PATH``
    takes it as it is. From an outcome file: the strategy table alone, fitted from that file
    (``fit_outcomes``), to add to a spec that defines its executors. Written atomically;
    the result is checked by loading it."""
    import tomli_w

    out = check_spec_path(path)
    dst = out.resolve().parent
    src = Path(source)
    header = [
        f"# Written by `toolkit tune` from {source}: {router.kind} {router.strong_} (strong) vs "
        f"{router.weak_} (weak),",
        f"# threshold chosen on train for {router.target_}; on train it sends "
        f"{router.train_['strong_share']:.1%} of tasks to the strong executor.",
    ]
    if src.is_dir():
        data, base = _source_spec(src)
        data = rebase_spec(data, base, dst)
        table = tuned_table(router, {"fit_run": relative(src, dst), "fit_split": router.fit_split_})
        names = {
            str(s.get("name") or "") for s in data.get("strategies", []) if isinstance(s, dict)
        }
        if table["name"] in names:
            k = 2
            while f"{table['name']}-{k}" in names:
                k += 1
            table["name"] = f"{table['name']}-{k}"
        data.setdefault("strategies", []).append(table)
        header.append(
            f"# The spec of that run, its paths made relative to this file's folder, with the "
            f"tuned strategy {table['name']!r} last."
        )
    else:
        table = tuned_table(
            router, {"fit_outcomes": relative(src, dst), "fit_split": router.fit_split_}
        )
        data = {"strategies": [table]}
        header.append(
            "# An outcome file has no spec: add this table to a spec whose executors are named "
            f"{router.weak_!r} and {router.strong_!r}."
        )
    text = "\n".join(header) + "\n\n" + tomli_w.dumps(data)
    dst.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        if src.is_dir():
            from toolkit.runner import load_spec

            try:  # what `toolkit run --dry-run` will do
                load_spec(tmp, allow_missing_models=True)
            except InputError as exc:
                problems = [p.replace(str(tmp), str(out)) for p in exc.problems]
                raise InputError(
                    f"{out}: the spec of {source} with the tuned strategy does not load, so it "
                    "was not written:",
                    [f"{out}: the spec of {source} does not load; not written", *problems],
                ) from None
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return out
