"""The code grader's harness: the program the sandbox runs for a ``code`` task (stdlib only).

Two processes, so that nothing the answer does can make the tests look passed:

- the **tester** (``python main.py``) reads the task's tests and helpers from
  ``payload.json`` and deletes it, makes itself undumpable (so a process of the same uid can
  neither trace it nor read its memory), starts the answerer, then reads the completion
  secret from descriptor 3 and closes it. It runs ``check(candidate)`` itself, where
  ``candidate`` forwards each call to the answerer and gets back plain data only (numbers,
  strings, bytes, lists, tuples, dicts, sets, None); no object the answer made ever reaches
  it. When ``check`` returns, it writes ``{"secret": ..., "result": "passed"}`` to
  descriptor 4, the launcher's report pipe, and exits 0;
- the **answerer** (``python main.py --serve answer.py ENTRY_POINT``) is a fresh interpreter
  started after descriptors 3 and 4 are closed in it: it runs the answer (the prompt and the
  model's code) and answers the tester's calls.

The secret is never in a file, an argument or the environment, and the answer's process never
holds descriptor 3 or 4 or the tester's memory. The launcher outside the sandbox gives the
score: 1 only for the tester's report carrying the secret.
"""

from __future__ import annotations

import builtins
import json
import os
import sys
import traceback
from typing import Any

SECRET_FD = 3
REPORT_FD = 4
MAX_ITEMS = 100_000  # items read from an iterator an answer returns
_PR_SET_DUMPABLE = 4


class AnswerProcessEnded(Exception):
    """The answer's process ended, or broke the protocol, while the tests were calling it."""


# -- plain data across the boundary --------------------------------------------------------


def encode(value: Any) -> Any:
    """``value`` as tagged JSON; only built-in data types, read through their base types."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return ["i", format(int.__index__(value), "x")]
    if isinstance(value, float):
        return ["f", float.__repr__(float(value))]
    if isinstance(value, complex):
        return ["c", float.__repr__(value.real), float.__repr__(value.imag)]
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, (bytes, bytearray)):
        return ["ba" if isinstance(value, bytearray) else "b", bytes(value).hex()]
    if isinstance(value, range):
        return ["r", value.start, value.stop, value.step]
    if isinstance(value, dict):
        return ["d", [[encode(k), encode(v)] for k, v in dict.items(value)]]
    kinds: tuple[tuple[type[Any], str], ...] = (
        (list, "l"),
        (tuple, "t"),
        (frozenset, "fs"),
        (set, "s"),
    )
    for kind, tag in kinds:
        if isinstance(value, kind):
            return [tag, [encode(v) for v in kind.__iter__(value)]]
    if hasattr(value, "__next__"):
        items: list[Any] = []
        for item in value:
            if len(items) == MAX_ITEMS:
                raise ValueError(f"the iterator it returned has more than {MAX_ITEMS} items")
            items.append(encode(item))
        return ["it", items]
    raise TypeError(
        f"it returned a {type(value).__name__}, which the code grader cannot check: "
        "return numbers, strings, bytes, lists, tuples, dicts, sets or None"
    )


def decode(data: Any) -> Any:
    """The value that :func:`encode` wrote; builds built-in types only."""
    if data is None or isinstance(data, (bool, str)):
        return data
    if not isinstance(data, list) or not data or not isinstance(data[0], str):
        raise AnswerProcessEnded(f"unexpected data from the answer's process: {data!r:.80}")
    tag, *rest = data
    if tag == "i":
        return int(rest[0], 16)
    if tag == "f":
        return float(rest[0])
    if tag == "c":
        return complex(float(rest[0]), float(rest[1]))
    if tag in ("b", "ba"):
        raw = bytes.fromhex(rest[0])
        return bytearray(raw) if tag == "ba" else raw
    if tag == "r":
        return range(int(rest[0]), int(rest[1]), int(rest[2]))
    if tag == "d":
        return {decode(k): decode(v) for k, v in rest[0]}
    kinds: dict[str, Any] = {"l": list, "t": tuple, "s": set, "fs": frozenset, "it": list}
    if tag in kinds:
        items = kinds[tag](decode(v) for v in rest[0])
        return iter(items) if tag == "it" else items
    raise AnswerProcessEnded(f"unexpected data from the answer's process: {data!r:.80}")


def _write_back(sent: Any, got: Any) -> None:
    """Mutations the answer made to a list, dict, set or bytearray argument, made here too."""
    if isinstance(sent, (list, bytearray)) and isinstance(got, type(sent)):
        sent[:] = got
    elif isinstance(sent, (dict, set)) and isinstance(got, type(sent)):
        sent.clear()
        sent.update(got)


# -- the answerer ----------------------------------------------------------------------------


def _send(out: Any, record: dict[str, Any]) -> None:
    out.write(json.dumps(record) + "\n")
    out.flush()


def _error(exc: BaseException) -> dict[str, Any]:
    return {"raise": type(exc).__name__, "message": str(exc)[:2000]}


def serve(answer_path: str, entry_point: str) -> int:
    """Run the answer, then call ``entry_point`` for each request on stdin (fd 0)."""
    requests = os.fdopen(os.dup(0), "r", encoding="utf-8")
    replies = os.fdopen(os.dup(1), "w", encoding="utf-8")
    devnull = os.open(os.devnull, os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(2, 1)  # what the answer prints goes to stderr, not into the protocol
    with open(answer_path, encoding="utf-8") as fh:
        source = fh.read()
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
    try:
        exec(compile(source, "answer.py", "exec"), namespace)
        function = namespace[entry_point]
    except BaseException as exc:
        traceback.print_exc()
        _send(replies, {"load_error": _error(exc)})
        return 1
    _send(replies, {"ready": True})
    for line in requests:
        call = json.loads(line)
        args, kwargs = decode(call["args"]), decode(call["kwargs"])
        try:
            value = function(*args, **kwargs)
            reply = {"value": encode(value), "args": encode(args)}
        except BaseException as exc:
            reply = _error(exc)
        _send(replies, reply)
    return 0


# -- the tester ------------------------------------------------------------------------------


class Candidate:
    """Stands for the answer's function: each call runs in the answer's process."""

    def __init__(self, entry_point: str, requests: Any, replies: Any) -> None:
        self.__name__ = entry_point
        self._requests = requests
        self._replies = replies

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            _send(self._requests, {"args": encode(list(args)), "kwargs": encode(kwargs)})
        except BrokenPipeError:
            raise AnswerProcessEnded("the answer's process ended during the tests") from None
        line = self._replies.readline()
        if not line:
            raise AnswerProcessEnded("the answer's process ended during the tests")
        reply = json.loads(line)
        if "raise" in reply:
            raise _exception(reply["raise"], reply.get("message", ""))
        for sent, got in zip(args, decode(reply["args"]), strict=False):
            _write_back(sent, got)
        return decode(reply["value"])


def _exception(name: str, message: str) -> BaseException:
    """The built-in exception the answer raised (others become a RuntimeError naming it)."""
    cls = getattr(builtins, str(name), None)
    if isinstance(cls, type) and issubclass(cls, Exception):
        return cls(message)
    return RuntimeError(f"{name}: {message}" if message else str(name))


def _undumpable() -> None:
    """No process of this uid may trace this one or read its memory (best effort)."""
    try:
        import ctypes

        ctypes.CDLL(None).prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    except (ImportError, OSError, AttributeError):
        pass


def _start_answerer(entry_point: str) -> tuple[int, Any, Any]:
    to_answer_r, to_answer_w = os.pipe()
    from_answer_r, from_answer_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(SECRET_FD)
            os.close(REPORT_FD)
            os.dup2(to_answer_r, 0)
            os.dup2(from_answer_w, 1)
            os.closerange(3, 1 << 16)
            argv = [
                sys.executable,
                "-I",
                "-S",
                "-B",
                "main.py",
                "--serve",
                "answer.py",
                entry_point,
            ]
            os.execv(sys.executable, argv)
        finally:
            os._exit(127)
    os.close(to_answer_r)
    os.close(from_answer_w)
    requests = os.fdopen(to_answer_w, "w", encoding="utf-8")
    replies = os.fdopen(from_answer_r, "r", encoding="utf-8")
    return pid, requests, replies


def test(payload_path: str) -> int:
    """Run the task's ``check`` against the answer's process; report success on fd 4."""
    with open(payload_path, encoding="utf-8") as fh:
        payload = json.load(fh)
    os.unlink(payload_path)
    _undumpable()
    entry_point = payload["entry_point"]
    pid, requests, replies = _start_answerer(entry_point)
    secret = os.read(SECRET_FD, 256).decode()
    os.close(SECRET_FD)
    try:
        first = replies.readline()
        ready = json.loads(first) if first else {}
        if "load_error" in ready:
            failed = ready["load_error"]
            raise _exception(failed["raise"], failed["message"])
        if not ready.get("ready"):
            raise AnswerProcessEnded("the answer's process ended before its function was defined")
        candidate = Candidate(entry_point, requests, replies)
        namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": builtins}
        if payload["helpers"]:
            exec(compile(payload["helpers"], "prompt.py", "exec"), namespace)
        namespace[entry_point] = candidate
        exec(compile(payload["test"], "test.py", "exec"), namespace)
        namespace["check"](candidate)
    finally:
        with _quiet():
            requests.close()
        with _quiet():
            os.kill(pid, 9)
        os.waitpid(pid, 0)
    sys.stdout.flush()
    os.write(REPORT_FD, (json.dumps({"secret": secret, "result": "passed"}) + "\n").encode())
    return 0


class _quiet:
    """Ignore OSError (a closed pipe, a process already gone)."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: object, tb: object) -> bool:
        return isinstance(exc, OSError)


def main(argv: list[str]) -> int:
    """``main.py`` tests; ``main.py --serve ANSWER ENTRY_POINT`` answers."""
    if len(argv) == 4 and argv[1] == "--serve":
        return serve(argv[2], argv[3])
    return test("payload.json")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
