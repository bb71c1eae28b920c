"""Turning a request into a provider prompt and generation settings, following a profile."""

from __future__ import annotations

from typing import Any

from toolkit._types import Request
from toolkit.models._config import Profile


class _Fields(dict[str, str]):
    """Format fields; unknown names cannot occur (templates are checked on load)."""


def render_text(profile: Profile, request: Request) -> str:
    """The profile's template filled with the request's input, category and few-shot prefix."""
    few_shot = profile.few_shot.get(request.category, profile.few_shot.get("default", ""))
    return profile.template.format_map(
        _Fields(input=request.prompt, category=request.category, few_shot=few_shot)
    )


def render_payload(profile: Profile, request: Request) -> dict[str, Any]:
    """The prompt payload: ``{"messages": [...]}`` in chat mode, ``{"prompt": str}`` otherwise."""
    text = render_text(profile, request)
    if profile.mode == "chat":
        messages: list[dict[str, str]] = []
        if profile.system:
            messages.append({"role": "system", "content": profile.system})
        messages.append({"role": "user", "content": text})
        return {"messages": messages}
    prefix = f"{profile.system}\n\n" if profile.system else ""
    return {"prompt": prefix + text}


def payload_text(payload: dict[str, Any]) -> str:
    """All prompt text of a payload, joined (for token counts and CLI tools)."""
    if "prompt" in payload:
        return str(payload["prompt"])
    return "\n\n".join(str(m.get("content", "")) for m in payload.get("messages", []))


def render_settings(profile: Profile, request: Request) -> dict[str, Any]:
    """Generation settings: the profile's, then ``profile.extra``, then the request's own."""
    settings: dict[str, Any] = {
        "mode": profile.mode,
        "max_tokens": profile.max_tokens,
        "temperature": profile.temperature,
    }
    if profile.stop:
        settings["stop"] = list(profile.stop)
    settings.update(profile.extra)
    settings.update(request.settings)
    if request.json_schema is not None:
        if profile.mode == "chat":
            settings["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "answer", "schema": dict(request.json_schema)},
            }
        else:  # completion mode: the local server turns it into a grammar
            settings["json_schema"] = dict(request.json_schema)
    return settings
