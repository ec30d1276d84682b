"""When the action server is down or slow, the customer still gets an answer within seconds.

Rasa calls the action server with a five-minute timeout and, when the call fails,
drops the action's events and says nothing: the customer waits in silence, and
"talk to a person" opens no ticket. `GuardedEndpoint` replaces the agent's action
endpoint: each call has a short timeout (RELAY_ACTION_TIMEOUT seconds, default 10),
and a failed call (no connection, a timeout, a 5xx) is answered by Relay itself
(bot/ops/action_fallback.py): an apology from domain.yml, a form stopped rather than
stuck, a new session started, and a handoff opened in the ticket database so the
request for a person still reaches one. Rejections (400) pass through: they are how
forms say "ask again". Every call is tried afresh, so the bot recovers as soon as
the action server is back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
Fallback = Callable[[dict[str, Any], str], Awaitable[dict[str, Any]]]


class GuardedEndpoint(EndpointConfig):
    """The action server's endpoint, with a short timeout and Relay's answer on failure.

    Args:
        inner: The endpoint from endpoints.yml.
        fallback: Builds the action's response from the call's JSON and the reason.
        timeout: Seconds a call may take.
    """

    def __init__(self, inner: EndpointConfig, fallback: Fallback, timeout: float) -> None:
        super().__init__(
            inner.url,
            inner.params,
            inner.headers,
            inner.basic_auth,
            inner.token,
            inner.token_name,
            inner.cafile,
            **inner.kwargs,
        )
        self.inner = inner
        self._fallback = fallback
        self.timeout = timeout

    async def request(
        self,
        method: str = "post",
        subpath: str | None = None,
        content_type: str | None = "application/json",
        compress: bool = False,
        **kwargs: Any,
    ) -> Any:
        kwargs["timeout"] = aiohttp.ClientTimeout(total=self.timeout)
        given = kwargs.get("json")
        call: dict[str, Any] = given if isinstance(given, dict) else {}
        try:
            return await super().request(method, subpath, content_type, compress, **kwargs)
        except ClientResponseError as error:
            if error.status < 500:
                raise  # a rejection (400) or a missing action (404): Rasa handles those
            reason = f"the action server answered {error.status}"
        except asyncio.TimeoutError:
            reason = f"the action server took longer than {self.timeout:g} s"
        except aiohttp.ClientError as error:
            reason = f"the action server could not be reached ({type(error).__name__})"
        logger.error("action %s: %s; Relay answers instead", call.get("next_action"), reason)
        return await self._fallback(call, reason)


def guard(agent: Any, fallback: Fallback, timeout: float = DEFAULT_TIMEOUT) -> bool:
    """Puts a GuardedEndpoint in front of the agent's action server; True if it changed."""
    endpoint = getattr(agent, "action_endpoint", None)
    processor = getattr(agent, "processor", None)
    if endpoint is None or isinstance(endpoint, GuardedEndpoint):
        return False
    guarded = GuardedEndpoint(endpoint, fallback, timeout)
    agent.action_endpoint = guarded
    if processor is not None:
        processor.action_endpoint = guarded
    return True
