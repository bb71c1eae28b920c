"""Executor configuration: the outside schema a spec's ``[[executors]]`` tables are read into."""

from __future__ import annotations

import re
import string
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Fields a profile template may use.
TEMPLATE_FIELDS = frozenset({"input", "category", "few_shot"})

#: Kinds of executor whose model is a language model (the knob, cache and retries apply).
LLM_KINDS = frozenset({"litellm", "local", "cli"})

#: The alias the local server serves by default.
DEFAULT_LOCAL_ALIAS = "gemma-3-270m"

#: Built-in patterns of the ``regex_extract`` tool, by name.
BUILTIN_PATTERNS: dict[str, str] = {
    "email": r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
    "date": (
        r"\b(?:\d{4}-\d{2}-\d{2}"
        r"|\d{1,2}/\d{1,2}/\d{2,4}"
        r"|(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.? \d{1,2},? \d{4}"
        r"|\d{1,2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.? \d{4})\b"
    ),
    "amount": r"(?:[$€£]\s?\d[\d,]*(?:\.\d+)?|\b\d[\d,]*(?:\.\d+)?\s?(?:USD|EUR|GBP|dollars?|euros?)\b)",
    # a sentence's closing punctuation is not part of the address
    "url": r"https?://[^\s<>\"')\]]+(?<![.,;:!?])",
}


#: Bounds on numbers a spec gives: a call times out within a day; compute costs at most
#: $10,000 an hour (anything larger is a typo that would make every cost unreadable).
MAX_TIMEOUT_S = 86_400.0
MAX_HOURLY_USD = 10_000.0


class Profile(BaseModel):
    """How an executor turns a request into a prompt, and its generation settings."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    mode: Literal["chat", "completion"] = "chat"
    system: str | None = None
    template: str = "{input}"
    few_shot: dict[str, str] = Field(default_factory=dict)
    stop: list[str] = Field(default_factory=list)
    max_tokens: int = Field(default=256, gt=0)
    temperature: float = Field(default=0.0, ge=0.0)
    extra: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_template(self) -> Profile:
        try:
            names = {f for _, f, _, _ in string.Formatter().parse(self.template) if f is not None}
        except ValueError as exc:
            raise ValueError(f"template is not a valid format string: {exc}") from exc
        unknown = sorted(n for n in names if n not in TEMPLATE_FIELDS)
        if unknown:
            raise ValueError(
                f"template uses unknown field(s) {', '.join('{' + n + '}' for n in unknown)}; "
                f"allowed: {{input}}, {{category}}, {{few_shot}} (write {{{{ and }}}} for braces)"
            )
        return self

    @property
    def stream(self) -> bool:
        """True when the profile asks for streaming (``extra.stream = true``): TTFT is measured."""
        return bool(self.extra.get("stream", False))


class ExecutorBase(BaseModel):
    """What every kind of executor's config has, a plugin's included.

    A plugin's config subclasses this and adds its own fields (with ``extra="forbid"``, so a
    misspelt key is an error). ``fallbacks``, ``concurrency``, ``rpm``, ``timeout_s`` and
    ``max_retries`` drive the policies that wrap every executor.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    name: str = Field(min_length=1)
    kind: str = Field(min_length=1)
    model: str | None = None
    role: str = ""
    capabilities: list[str] = Field(default_factory=list)
    hourly_rate_usd: float = Field(default=0.0, ge=0.0, le=MAX_HOURLY_USD)
    fallbacks: list[str] = Field(default_factory=list)
    concurrency: int | None = Field(default=None, gt=0)
    rpm: float | None = Field(default=None, gt=0)
    timeout_s: float = Field(default=120.0, gt=0, le=MAX_TIMEOUT_S)
    max_retries: int = Field(default=3, ge=0)

    @model_validator(mode="after")
    def _check_common(self) -> ExecutorBase:
        if self.name in self.fallbacks:
            raise ValueError(f"executor {self.name!r} lists itself in fallbacks")
        if self.role and not re.fullmatch(r"[A-Za-z0-9_]+", self.role):
            raise ValueError(
                f"role {self.role!r} must be letters, digits or _ (it names TOOLKIT_MODEL_<ROLE>)"
            )
        return self

    @property
    def is_llm(self) -> bool:
        """True for executors backed by a language model (the knob applies to them)."""
        return False

    @property
    def hourly_rate_set(self) -> bool:
        """True when the config states ``hourly_rate_usd`` explicitly (even as 0)."""
        return "hourly_rate_usd" in self.model_fields_set

    @property
    def base_model(self) -> str:
        """The configured model before the knob."""
        return self.model or ""


class ExecutorConfig(ExecutorBase):
    """A built-in executor of a spec; docs/models-and-executors.md lists every field."""

    kind: Literal["litellm", "local", "cli", "specialist", "tool"]
    api_base: str | None = None
    api_key_env: str | None = None
    profile: Profile = Field(default_factory=Profile)
    command: list[str] | None = None
    tool: Literal["arithmetic", "regex_extract"] | None = None
    pattern: str | None = None
    categories: list[str] = Field(default_factory=list)
    model_path: str | None = None
    allow_pickle: bool = False

    @model_validator(mode="after")
    def _check_kind(self) -> ExecutorConfig:
        if self.kind == "litellm" and not self.model:
            raise ValueError("kind 'litellm' needs a model, e.g. model = \"claude-haiku-4-5\"")
        if self.kind == "cli" and not self.command:
            raise ValueError(
                'kind \'cli\' needs a command, e.g. command = ["toolkit", "complete", "--model", "{model}"]'
            )
        if self.kind == "tool":
            if self.tool is None:
                raise ValueError('kind \'tool\' needs tool = "arithmetic" or "regex_extract"')
            if self.tool == "regex_extract":
                if not self.pattern:
                    raise ValueError(
                        "tool 'regex_extract' needs a pattern: a regular expression or one of "
                        + ", ".join(sorted(BUILTIN_PATTERNS))
                    )
                try:
                    re.compile(BUILTIN_PATTERNS.get(self.pattern, self.pattern))
                except re.error as exc:
                    raise ValueError(f"pattern is not a valid regular expression: {exc}") from exc
        if self.kind == "specialist" and not self.model_path:
            raise ValueError(
                "kind 'specialist' needs model_path, a file made by `toolkit fit-specialist` or "
                "toolkit.models.fit_specialist"
            )
        return self

    @property
    def is_llm(self) -> bool:
        """True for executors backed by a language model (litellm, local, cli)."""
        return self.kind in LLM_KINDS

    @property
    def base_model(self) -> str:
        """The configured model before the knob; local executors name ``local/<alias>``."""
        if self.kind == "local":
            alias = self.model or DEFAULT_LOCAL_ALIAS
            return alias if alias.startswith("local/") else f"local/{alias}"
        return self.model or ""
