"""The budget cap: every call reserves its worst-case cost first and settles the real cost after.

A reservation that would take ``spent + reserved`` past the cap waits while other calls are
in flight (their settled cost is usually below their reservation); when nothing is in flight
and it still does not fit, it is refused (:class:`BudgetExceeded`) and the call is not made.
Checks and updates happen under one lock, so the cap holds however many calls run at once.
After the first refusal the budget is ``stopped`` and refuses every later reservation, so a
run stops cleanly.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from dataclasses import dataclass
from typing import Protocol

from toolkit._errors import BudgetExceeded, ToolkitError

_EPS = 1e-12
_POLL_S = 0.005


@dataclass(frozen=True)
class Sending:
    """A provider call about to be sent, with what it holds of the budget (its worst case)."""

    task_id: str
    step: str
    executor: str
    model: str
    reserved_usd: float


class CallLedger(Protocol):
    """Where a run writes each call down before it is sent, and its cost when it returns.

    A call written as sent but never as returned was in flight at a kill: the provider may
    have billed it, so the run counts its reservation as possibly billed.
    """

    def sending(self, call: Sending) -> int:
        """Write ``call`` down (durably) before it is sent; returns its ticket."""

    def returned(self, ticket: int, cost_usd: float) -> None:
        """The call with ``ticket`` came back (answered or failed) and cost ``cost_usd``."""


@dataclass(frozen=True)
class Reservation:
    """Money set aside for one call (or one attempt of it)."""

    id: int
    amount: float


class Budget:
    """A spending cap in USD (``None``: no cap, spend is still tracked)."""

    def __init__(self, cap_usd: float | None) -> None:
        if cap_usd is not None and cap_usd < 0:
            raise ValueError("budget cap must be >= 0")
        self.cap_usd = cap_usd
        self.spent_usd = 0.0
        self.reserved_usd = 0.0
        self.stopped = False
        self.stop_reason: str | None = None
        self._open: dict[int, float] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    @property
    def remaining_usd(self) -> float | None:
        """What may still be reserved (None without a cap)."""
        if self.cap_usd is None:
            return None
        return max(0.0, self.cap_usd - self.spent_usd - self.reserved_usd)

    def try_reserve(
        self, amount: float, what: str = "a call", *, wait_if_busy: bool = False
    ) -> Reservation | None:
        """Reserve ``amount`` USD now, or raise BudgetExceeded (and stop the budget).

        With ``wait_if_busy``, returns None instead of refusing while other reservations are
        open (the caller retries after they settle).
        """
        if amount < 0:
            raise ValueError("a reservation must be >= 0")
        with self._lock:
            if self.stopped:
                raise BudgetExceeded(
                    f"budget: {what} was not made: the budget stopped earlier ({self.stop_reason})"
                )
            if self.cap_usd is not None and (
                self.spent_usd + self.reserved_usd + amount > self.cap_usd + _EPS
            ):
                if wait_if_busy and self._open:
                    return None
                left = self.cap_usd - self.spent_usd - self.reserved_usd
                self.stopped = True
                self.stop_reason = (
                    f"{what} needs up to ${amount:.6f} but only ${max(left, 0.0):.6f} of the "
                    f"${self.cap_usd:.6f} cap is left"
                )
                raise BudgetExceeded(
                    f"budget: {self.stop_reason}; the call was not made and the run stops "
                    "(raise --budget to go further)"
                )
            res = Reservation(next(self._ids), amount)
            self._open[res.id] = amount
            self.reserved_usd += amount
            return res

    async def reserve(self, amount: float, what: str = "a call") -> Reservation:
        """Reserve ``amount`` USD, waiting while in-flight calls may still free some;
        raises BudgetExceeded when it cannot fit (the call must not be made)."""
        while True:
            res = self.try_reserve(amount, what, wait_if_busy=True)
            if res is not None:
                return res
            await asyncio.sleep(_POLL_S)

    def settle(self, reservation: Reservation, actual_usd: float) -> None:
        """Replace a reservation by what the call really cost (0 when it cost nothing)."""
        with self._lock:
            amount = self._open.pop(reservation.id, None)
            if amount is None:
                raise ToolkitError(
                    f"budget: reservation {reservation.id} was settled twice (internal error)"
                )
            self.reserved_usd = max(0.0, self.reserved_usd - amount)
            self.spent_usd += actual_usd

    def release(self, reservation: Reservation) -> None:
        """Give a reservation back unspent."""
        self.settle(reservation, 0.0)
