"""Test helpers users can use too: a fault-injecting OpenAI-compatible server.

``FaultServer`` speaks the OpenAI chat and completions API on 127.0.0.1, answers
deterministically, counts requests and fails on purpose. Run it from a shell with
``python -m toolkit.testing.fault_server --port 8000 --fault-rate 0.2 --seed 1``.
"""

from __future__ import annotations

from toolkit.testing._fault_server import (
    FAULT_KINDS,
    TRANSIENT_FAULTS,
    Fault,
    FaultKind,
    FaultServer,
    ServedRequest,
    count_words,
    default_answer,
)

__all__ = [
    "FAULT_KINDS",
    "TRANSIENT_FAULTS",
    "Fault",
    "FaultKind",
    "FaultServer",
    "ServedRequest",
    "count_words",
    "default_answer",
]
