"""Service responses that survive DDS discovery lag on the server side.

rmw_fastrtps sends a response only once the server's response writer has matched the caller's response reader,
and waits for that match no longer than the writer's reliability max_blocking_time (100 ms). A caller discovered
moments before it calls (every new client: wait_for_service only proves the caller's side of the match) and a
server that answers at once (a rejected request) on a busy machine lose that race: rclpy then only issues a
RuntimeWarning, the response is dropped, and the caller waits for its whole timeout. `deliver_responses` makes a
service try again until the match happens or its patience runs out.
"""

from __future__ import annotations

import threading
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

from rclpy.service import Service

# What rclpy's service_send_response warns with when rmw_send_response returns RMW_RET_TIMEOUT.
SEND_TIMEOUT_TEXT = "failed to send response (timeout)"

# warnings.catch_warnings swaps process-wide state, so sends that watch for the warning go one at a time.
_SEND_LOCK = threading.Lock()


@dataclass
class ResponseDelivery:
    """Sends a service's responses, retrying while the middleware has not matched the caller yet."""

    send_once: Any  # the service's own send_response(response, header)
    patience_s: float = 5.0
    delivered: int = 0
    retried: int = 0  # responses that needed more than one try
    dropped: int = 0  # responses given up on after patience_s
    logger: Any = field(default=None, repr=False)  # an rclpy logger for dropped responses

    def __call__(self, response: Any, header: Any) -> None:
        deadline = time.monotonic() + self.patience_s
        tries = 0
        while True:
            tries += 1
            if self._send_and_see(response, header):
                self.delivered += 1
                self.retried += int(tries > 1)
                return
            if time.monotonic() >= deadline:
                self.dropped += 1
                if self.logger is not None:
                    self.logger.error(
                        f"response not delivered: the caller's response reader was not matched within "
                        f"{self.patience_s:.1f} s ({tries} tries); the caller will time out"
                    )
                return

    def _send_and_see(self, response: Any, header: Any) -> bool:
        """Send once; False when the middleware timed out waiting for the caller (each try waits ~100 ms)."""
        with _SEND_LOCK, warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.send_once(response, header)
        timed_out = False
        for warning in caught:
            if issubclass(warning.category, RuntimeWarning) and SEND_TIMEOUT_TEXT in str(warning.message):
                timed_out = True
            else:  # another thread's warning, caught by accident: pass it on
                warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)
        return not timed_out


def deliver_responses(service: Service, patience_s: float = 5.0, logger: Any = None) -> ResponseDelivery:
    """Make the executor send `service`'s responses through a `ResponseDelivery`; returns it for its counters."""
    delivery = ResponseDelivery(service.send_response, patience_s=patience_s, logger=logger)
    service.send_response = delivery  # the executor calls srv.send_response(response, header)
    return delivery
