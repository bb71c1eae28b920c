"""The benchmark spec: a TOML file naming the tasks, executors, graders and strategies of a run.

:func:`load_spec` reads and validates it. Every problem is reported at once, each as
``path:line: key: problem`` (``tomllib`` has no line numbers, so lines come from
:mod:`toolkit.runner._toml_lines`). The "Benchmark spec" section of docs/reference.md documents the
schema with a complete example.
"""

from __future__ import annotations

import tomllib
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializeAsAny,
    ValidationError,
)

from toolkit._errors import InputError, located
from toolkit.models import ExecutorBase, ExecutorConfig
from toolkit.registry import REGISTRY
from toolkit.runner._toml_lines import Loc, key_lines, line_of
from toolkit.strategies import (
    ModelOverride,
    StrategyConfig,
    parse_strategy_config,
)

#: Spec names become run-directory names: letters, digits, ``.``, ``_`` and ``-``.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


class TasksSection(_Section):
    """``[tasks]``: which task files, and which tasks of them, the run uses."""

    paths: list[str] = Field(min_length=1)
    split: Literal["train", "test"] | None = None
    categories: list[str] = Field(default_factory=list)
    ids: list[str] = Field(default_factory=list)
    limit: int | None = Field(default=None, gt=0)


class GradingSection(_Section):
    """``[grading]``: the grader of tasks that name none, and the judge graders' executor."""

    default: str | None = None
    judge: str | None = None


class PricesSection(_Section):
    """``[prices]``: a user price file overriding litellm's cost map (USD per million tokens)."""

    file: str | None = None


class LocalSection(_Section):
    """``[local]``: the local llama.cpp server and the default hourly rate of local executors."""

    hourly_rate_usd: float = Field(default=0.0, ge=0.0)
    model_path: str | None = None
    n_ctx: int = Field(default=8192, ge=8192)


class CacheSection(_Section):
    """``[cache]``: the response cache (on by default; resume and replay rely on it)."""

    enabled: bool = True
    path: str | None = None


class RunSection(_Section):
    """``[run]``: concurrency, a default rpm limit, a default budget, retry backoff."""

    concurrency: int = Field(default=8, gt=0)
    rpm: float = Field(default=0.0, ge=0.0)
    budget_usd: float | None = Field(default=None, ge=0.0)
    backoff_base_s: float = Field(default=0.5, ge=0.0)
    backoff_max_s: float = Field(default=30.0, ge=0.0)
    max_retry_after_s: float = Field(default=120.0, ge=0.0)


class Spec(BaseModel):
    """A validated benchmark spec. Build it with :func:`load_spec` or :meth:`from_mapping`."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)

    name: str = Field(pattern=NAME_PATTERN)
    description: str = ""
    plugins: list[str] = Field(default_factory=list)
    tasks: TasksSection
    grading: GradingSection = Field(default_factory=GradingSection)
    prices: PricesSection = Field(default_factory=PricesSection)
    local: LocalSection = Field(default_factory=LocalSection)
    cache: CacheSection = Field(default_factory=CacheSection)
    run: RunSection = Field(default_factory=RunSection)
    executors: list[SerializeAsAny[ExecutorBase]] = Field(min_length=1)
    strategies: list[SerializeAsAny[StrategyConfig]] = Field(min_length=1)
    overrides: list[ModelOverride] = Field(default_factory=list)

    _source: str = PrivateAttr(default="<spec>")
    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)
    _lines: dict[Loc, int] = PrivateAttr(default_factory=dict)
    _text: str = PrivateAttr(default="")
    _missing_models: list[str] = PrivateAttr(default_factory=list)

    # ----- construction ---------------------------------------------------------------------

    @classmethod
    def from_mapping(
        cls,
        data: Mapping[str, Any],
        *,
        source: str = "<spec>",
        base_dir: str | Path | None = None,
        text: str = "",
        check_files: bool = True,
        allow_missing_models: bool = False,
    ) -> Spec:
        """Validate a parsed spec; ``InputError`` lists every problem, located in ``text``.

        With ``allow_missing_models`` (a dry run), a specialist whose model file is missing is
        not a problem: it is listed in :attr:`missing_models`, with the command that fits it.
        """
        lines = key_lines(text) if text else {}
        base = Path(base_dir) if base_dir is not None else Path.cwd()
        problems: list[str] = []

        def at(loc: Sequence[str | int], problem: str) -> None:
            key = ".".join(str(p) for p in loc) or "spec"
            problems.append(located(source, line_of(lines, loc) or 1, key, problem))

        raw = dict(data)
        plugins = raw.get("plugins")
        if isinstance(plugins, list) and all(isinstance(p, str) for p in plugins):
            # TOOLKIT_PLUGINS first: a clash with one of them is then found at this line
            REGISTRY.load_plugins()
            for i, plugin in enumerate(plugins):
                try:
                    REGISTRY.load_modules([plugin], base_dir=base, where="plugins")
                except InputError as exc:
                    at(("plugins", i), exc.problems[0].removeprefix("plugins: "))
            if problems:
                raise InputError(_summary(source, problems), problems)
        by_entry: set[str] = set()
        for section, parse in (
            ("executors", parse_executor_config),
            ("strategies", parse_strategy_config),
        ):
            tables = raw.get(section)
            if not isinstance(tables, list) or not tables:
                continue
            by_entry.add(section)
            parsed: list[Any] = []
            for i, entry in enumerate(tables):
                if not isinstance(entry, Mapping):
                    at((section, i), f"expected a table, got {type(entry).__name__}")
                    continue
                try:
                    parsed.append(parse(entry))
                except InputError as exc:
                    at((section, i, "kind"), exc.problems[0])
                except ValidationError as exc:
                    for err in exc.errors():
                        at((section, i, *err["loc"]), _message(err))
            raw[section] = parsed if len(parsed) == len(tables) else []
        try:
            spec = cls.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors():
                if err["loc"] and err["loc"][0] in by_entry:
                    continue  # already reported entry by entry above
                at(err["loc"], _message(err))
            raise InputError(_summary(source, problems), problems) from None
        if problems:
            raise InputError(_summary(source, problems), problems)
        spec._source = source
        spec._base_dir = base
        spec._lines = lines
        spec._text = text
        problems.extend(spec._cross_check(check_files, allow_missing_models))
        if problems:
            raise InputError(_summary(source, problems), problems)
        return spec

    # ----- where things are ------------------------------------------------------------------

    @property
    def source(self) -> str:
        """The spec file's path as given (``<spec>`` for a spec built in code)."""
        return self._source

    @property
    def base_dir(self) -> Path:
        """The folder relative paths in the spec are resolved against (the spec's folder)."""
        return self._base_dir

    @property
    def missing_models(self) -> list[str]:
        """Warnings for specialists whose model file is missing (allowed on a dry run)."""
        return list(self._missing_models)

    def fit_command(self) -> str:
        """The command that fits the specialists this spec names, from its train tasks."""
        return f"toolkit fit-specialist --spec {self._source}"

    @property
    def text(self) -> str:
        """The spec file's text ("" for a spec built in code)."""
        return self._text

    def _line(self, *loc: str | int) -> int:
        return line_of(self._lines, loc) or 1

    def where(self, *loc: str | int) -> str:
        """``path:line`` of a key, for messages about it."""
        return f"{self._source}:{line_of(self._lines, loc) or 1}"

    def problem(self, loc: Sequence[str | int], problem: str) -> str:
        """A located ``path:line: key: problem`` message about a key of this spec."""
        key = ".".join(str(p) for p in loc) or "spec"
        return located(self._source, line_of(self._lines, loc) or 1, key, problem)

    def resolve(self, path: str) -> Path:
        """A path from the spec, made absolute against the spec's folder (``~`` expanded)."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else self._base_dir / p

    # ----- derived values ---------------------------------------------------------------------

    def executor_configs(self) -> list[ExecutorBase]:
        """The executors with the spec's defaults applied (local hourly rate, ``[run] rpm``)."""
        out = []
        for cfg in self.executors:
            update: dict[str, Any] = {}
            if cfg.kind == "local" and not cfg.hourly_rate_set:
                update["hourly_rate_usd"] = self.local.hourly_rate_usd
            if cfg.rpm is None and self.run.rpm > 0:
                update["rpm"] = self.run.rpm
            if isinstance(cfg, ExecutorConfig) and cfg.kind == "specialist" and cfg.model_path:
                update["model_path"] = str(self.resolve(cfg.model_path))
            out.append(cfg.model_copy(update=update) if update else cfg)
        return out

    def strategy_names(self) -> list[str]:
        """The strategies' names, in spec order."""
        return [s.strategy_name for s in self.strategies]

    def uses_local(self) -> bool:
        """True when an executor runs on the local llama.cpp server."""
        return any(cfg.kind == "local" for cfg in self.executors)

    # ----- checks across sections --------------------------------------------------------------

    def _cross_check(self, check_files: bool, allow_missing_models: bool = False) -> list[str]:
        problems: list[str] = []
        names = [cfg.name for cfg in self.executors]
        known = set(names)
        shown = ", ".join(names)
        seen: Counter[str] = Counter()
        for i, cfg in enumerate(self.executors):
            seen[cfg.name] += 1
            if seen[cfg.name] == 2:
                problems.append(
                    self.problem(
                        ("executors", i, "name"),
                        f"duplicate executor name {cfg.name!r} (first at line "
                        f"{self._line('executors', names.index(cfg.name), 'name')})",
                    )
                )
            for j, fb in enumerate(cfg.fallbacks):
                if fb not in known:
                    problems.append(
                        self.problem(
                            ("executors", i, "fallbacks", j),
                            f"unknown executor {fb!r} (executors: {shown})",
                        )
                    )
        local_models = {cfg.base_model for cfg in self.executors if cfg.kind == "local"}
        if len(local_models) > 1:
            i = next(
                i
                for i, cfg in enumerate(self.executors)
                if cfg.kind == "local" and cfg.base_model != sorted(local_models)[0]
            )
            problems.append(
                self.problem(
                    ("executors", i, "model"),
                    f"the local server serves one model; local executors name "
                    f"{', '.join(sorted(local_models))}",
                )
            )
        strategy_seen: dict[str, int] = {}
        for i, strat in enumerate(self.strategies):
            for key, ref in strat.executor_refs():
                if ref not in known:
                    loc: list[str | int] = ["strategies", i]
                    loc.extend(int(p) if p.isdigit() else p for p in key.split("."))
                    problems.append(
                        self.problem(loc, f"unknown executor {ref!r} (executors: {shown})")
                    )
            name = strat.strategy_name
            if name in strategy_seen:
                problems.append(
                    self.problem(
                        ("strategies", i, "name" if strat.name else "kind"),
                        f"duplicate strategy name {name!r} (first at line "
                        f"{self._line('strategies', strategy_seen[name])}); give one a name",
                    )
                )
            else:
                strategy_seen[name] = i
        if self.grading.judge is not None and self.grading.judge not in known:
            problems.append(
                self.problem(
                    ("grading", "judge"),
                    f"unknown executor {self.grading.judge!r} (executors: {shown})",
                )
            )
        if self.grading.default is not None:
            try:
                known_grader = REGISTRY.lookup("grader", self.grading.default) is not None
                problem = REGISTRY.unknown("grader", self.grading.default)
            except InputError as exc:
                known_grader, problem = False, exc.problems[0]
            if not known_grader:
                problems.append(self.problem(("grading", "default"), problem))
        for i, ov in enumerate(self.overrides):
            if ov.executor is not None and ov.executor not in known:
                problems.append(
                    self.problem(
                        ("overrides", i, "executor"),
                        f"unknown executor {ov.executor!r} (executors: {shown})",
                    )
                )
        if check_files:
            for i, p in enumerate(self.tasks.paths):
                if not self.resolve(p).exists():
                    problems.append(
                        self.problem(
                            ("tasks", "paths", i),
                            f"no such file or folder: {self.resolve(p)} "
                            "(paths are relative to the spec file)",
                        )
                    )
            files: list[tuple[tuple[str | int, ...], str | None]] = [
                (("prices", "file"), self.prices.file),
                (("local", "model_path"), self.local.model_path),
            ]
            for where, value in files:
                if value is not None and not self.resolve(value).is_file():
                    problems.append(self.problem(where, f"no such file: {self.resolve(value)}"))
            for i, cfg in enumerate(self.executors):
                if (
                    isinstance(cfg, ExecutorConfig)
                    and cfg.kind == "specialist"
                    and cfg.model_path is not None
                    and not self.resolve(cfg.model_path).is_file()
                ):
                    missing = self.problem(
                        ("executors", i, "model_path"),
                        f"no such file: {self.resolve(cfg.model_path)} (specialist "
                        f"{cfg.name!r}); fit it with `{self.fit_command()}`",
                    )
                    if allow_missing_models:
                        self._missing_models.append(missing)
                    else:
                        problems.append(missing)
        return problems


def parse_executor_config(data: Mapping[str, Any]) -> ExecutorBase:
    """Validate one ``[[executors]]`` table with its kind's registered config model.

    Raises ``InputError`` for a missing or unknown kind and pydantic's ``ValidationError``
    for bad fields.
    """
    kind = data.get("kind")
    if not isinstance(kind, str):
        known = ", ".join(REGISTRY.names("executor"))
        raise InputError(f"missing or non-string 'kind' (known: {known})")
    entry = REGISTRY.lookup("executor", kind)
    if entry is None:
        raise InputError(REGISTRY.unknown("executor", kind, what="executor kind"))
    assert entry.config is not None
    config: ExecutorBase = entry.config.model_validate(dict(data), strict=True)
    return config


def _message(err: Mapping[str, Any]) -> str:
    """A short, plain problem text for one pydantic error."""
    kind = err.get("type", "")
    msg = str(err.get("msg", "invalid"))
    if kind == "missing":
        return "required key is missing"
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; docs/reference.md lists the spec's keys)"
    if kind == "literal_error":
        return f"{msg[0].lower()}{msg[1:]}" if msg else "not an allowed value"
    if kind == "value_error":
        msg = msg.removeprefix("Value error, ")
    if "input" in err and kind not in ("missing",):
        got = err["input"]
        if not isinstance(got, dict | list):
            return f"{msg[0].lower()}{msg[1:]}, got {got!r}"
    return f"{msg[0].lower()}{msg[1:]}" if msg else "invalid"


def _summary(source: str, problems: Sequence[str]) -> str:
    n = len(problems)
    return f"{n} problem{'s' * (n != 1)} in spec {source}"


def load_spec(path: str | Path, *, allow_missing_models: bool = False) -> Spec:
    """Read and validate a spec file; ``InputError`` lists every problem, located.
    ``allow_missing_models``: see :meth:`Spec.from_mapping`."""
    p = Path(path)
    shown = str(path)
    if not p.exists():
        raise InputError(located(shown, None, "spec", "no such file"))
    if not p.is_file():
        raise InputError(located(shown, None, "spec", "not a file (expected a .toml spec)"))
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(located(shown, None, "spec", f"cannot read: {exc.strerror}")) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(located(shown, line, "spec", "not UTF-8 text")) from None
    if not text.strip():
        raise InputError(
            located(shown, 1, "spec", "empty file (see docs/reference.md for an example)")
        )
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(_toml_error(shown, exc)) from None
    return Spec.from_mapping(
        data,
        source=shown,
        base_dir=p.resolve().parent,
        text=text,
        allow_missing_models=allow_missing_models,
    )


def _toml_error(shown: str, exc: tomllib.TOMLDecodeError) -> str:
    """``path:line: toml: problem`` from tomllib's "problem (at line L, column C)" text."""
    import re

    msg = str(exc)
    m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
    if m:
        problem = msg[: m.start()].strip()
        return located(shown, int(m.group(1)), "toml", f"{problem} (column {m.group(2)})")
    m = re.search(r"\(at end of document\)", msg)
    if m:
        return located(shown, None, "toml", msg[: m.start()].strip() + " (at end of file)")
    return located(shown, None, "toml", msg)
