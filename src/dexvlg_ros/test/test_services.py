"""ResponseDelivery: retries exactly the sends rclpy reports as timed out, and nothing else."""

from __future__ import annotations

import warnings

import pytest

from dexvlg_ros.services import SEND_TIMEOUT_TEXT, ResponseDelivery


class FlakySend:
    """Behaves like rclpy's Service.send_response while the caller's reader is unmatched for `misses` tries."""

    def __init__(self, misses: int, other_warning: str | None = None) -> None:
        self.misses, self.other_warning, self.sent = misses, other_warning, []

    def __call__(self, response, header) -> None:
        if self.other_warning:
            warnings.warn(self.other_warning, UserWarning, stacklevel=1)
        if self.misses > 0:
            self.misses -= 1
            warnings.warn(f"{SEND_TIMEOUT_TEXT}: client will not receive response", RuntimeWarning, stacklevel=1)
            return
        self.sent.append((response, header))


def test_a_timed_out_send_is_retried_until_it_goes_through():
    send = FlakySend(misses=3)
    delivery = ResponseDelivery(send, patience_s=5.0)
    delivery("answer", "header")
    assert send.sent == [("answer", "header")]
    assert (delivery.delivered, delivery.retried, delivery.dropped) == (1, 1, 0)
    delivery("second", "header2")  # a caller already matched: one try
    assert (delivery.delivered, delivery.retried, delivery.dropped) == (2, 1, 0)


def test_patience_bounds_the_retries():
    send = FlakySend(misses=10**9)
    delivery = ResponseDelivery(send, patience_s=0.05)
    delivery("answer", "header")
    assert send.sent == [] and (delivery.delivered, delivery.dropped) == (0, 1)


def test_other_warnings_are_passed_on_not_swallowed():
    send = FlakySend(misses=0, other_warning="something else")
    delivery = ResponseDelivery(send)
    with pytest.warns(UserWarning, match="something else"):
        delivery("answer", "header")
    assert delivery.delivered == 1 and delivery.retried == 0
