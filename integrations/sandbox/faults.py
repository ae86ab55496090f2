"""Fault injection and rate limits shared by the emulators.

A fault is picked per request from SandboxFault rows (admin-editable). A
timeout is emulated for real over HTTP (the emulator sleeps past the client's
read timeout); inside the test process, where sleeping would only slow the
suite, the emulator answers a private status that the in-process adapter turns
into the same `requests.ReadTimeout` the client would see.
"""

import functools
import random
import re
import threading
import time
from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.db.models import F
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .models import SandboxFault

INPROCESS_ENV = "koppla.inprocess"
TIMEOUT_STATUS = 599
_rng = random.Random()


def pick_fault(system: str, endpoint: str) -> SandboxFault | None:
    for fault in SandboxFault.objects.filter(system=system, enabled=True):
        if fault.remaining is not None and fault.remaining <= 0:
            continue
        if not re.search(fault.endpoint, endpoint):
            continue
        if fault.probability < 1 and _rng.random() >= fault.probability:
            continue
        updates = {"fired": F("fired") + 1}
        if fault.remaining is not None:
            updates["remaining"] = F("remaining") - 1
        SandboxFault.objects.filter(pk=fault.pk).update(**updates)
        return fault
    return None


def timeout_response(request) -> HttpResponse:
    if request.META.get(INPROCESS_ENV):
        return HttpResponse(status=TIMEOUT_STATUS, headers={"X-Sandbox-Fault": "timeout"})
    time.sleep(getattr(settings, "SANDBOX_TIMEOUT_SECONDS", 35))
    return HttpResponse("gateway timeout", status=504)


def gateway_page(status: int) -> HttpResponse:
    """The HTML error page a front proxy (nginx here) answers with instead of the API's JSON."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    html = (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
    return HttpResponse(html, status=status, content_type="text/html")


def fault_before(fault: SandboxFault, request, error_body: Callable[[int, str], dict]) -> HttpResponse | None:
    """The response of a fault that strikes before the request is handled (None: carry on)."""
    if fault.kind == SandboxFault.Kind.GATEWAY_PAGE:
        return gateway_page(fault.status_code)
    if fault.kind == SandboxFault.Kind.SERVER_ERROR:
        return JsonResponse(
            error_body(fault.status_code, "Sandbox fault: service unavailable"), status=fault.status_code
        )
    if fault.kind == SandboxFault.Kind.RATE_LIMIT:
        return JsonResponse(
            error_body(429, "Too many requests"), status=429, headers={"Retry-After": str(fault.retry_after)}
        )
    if fault.kind == SandboxFault.Kind.TIMEOUT:
        return timeout_response(request)
    if fault.kind == SandboxFault.Kind.SLOW:
        time.sleep(fault.delay_seconds)
    return None


# --------------------------------------------------------------------------- rate limits
class _Window:
    def __init__(self):
        self.lock = threading.Lock()
        self.hits: dict[str, list[float]] = {}

    def check(self, key: str, count: int, period: float) -> float | None:
        """Record a hit; return seconds to wait when over the limit (the hit is not counted)."""
        now = time.monotonic()
        with self.lock:
            hits = [t for t in self.hits.get(key, []) if now - t < period]
            if len(hits) >= count:
                self.hits[key] = hits
                return period - (now - hits[0])
            hits.append(now)
            self.hits[key] = hits
            return None


    def state(self, key: str, count: int, period: float) -> tuple[int, float]:
        """(calls left, seconds until the oldest call leaves the window) without recording a hit."""
        now = time.monotonic()
        with self.lock:
            hits = [t for t in self.hits.get(key, []) if now - t < period]
        reset = period - (now - hits[0]) if hits else period
        return max(0, count - len(hits)), reset


_windows = _Window()


def rate_limit_state(system: str, key: str) -> tuple[int, int, float] | None:
    """(limit, calls left, seconds to reset) of SANDBOX_RATE_LIMITS[system] for `key`, or None when unlimited."""
    limits = getattr(settings, "SANDBOX_RATE_LIMITS", {}).get(system)
    if not limits:
        return None
    count, period = limits
    remaining, reset = _windows.state(f"{system}:{key}", count, period)
    return count, remaining, reset


def rate_limit_check(system: str, key: str) -> float | None:
    """Seconds to wait when the caller exceeded SANDBOX_RATE_LIMITS[system], else None."""
    limits = getattr(settings, "SANDBOX_RATE_LIMITS", {}).get(system)
    if not limits:
        return None
    count, period = limits
    return _windows.check(f"{system}:{key}", count, period)


def rate_limit_reset() -> None:
    with _windows.lock:
        _windows.hits.clear()


# --------------------------------------------------------------------------- decorator
def sandbox_endpoint(system: str, error_body: Callable[[int, str], dict]):
    """Wrap an emulator view: CSRF-exempt, faults applied before (and after, for timeout-after-write).

    Faults match against "METHOD /full/path", e.g. "POST /sandbox/visma-net/api/v2/customerinvoice".
    """

    def decorator(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            fault = pick_fault(system, f"{request.method} {request.path_info}")
            if fault is not None:
                early = fault_before(fault, request, error_body)
                if early is not None:
                    return early
            response = view(request, *args, **kwargs)
            if fault is not None and fault.kind == SandboxFault.Kind.TIMEOUT_AFTER_WRITE:
                return timeout_response(request)
            return response

        return wrapper

    return decorator
