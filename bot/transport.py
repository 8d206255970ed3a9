"""A Telegram transport that answers inside this process, without a network.

`python -m bot chat`, the offline test harness and the dispatch benchmark all stand in for
Telegram; this base class holds what they share: the ``BaseRequest`` plumbing and the
decoding of a request into its Bot API method, parameters and uploaded files.
"""

from __future__ import annotations

import abc
import json
from dataclasses import dataclass
from typing import Any

from telegram.request import BaseRequest, RequestData


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes


def decode(
    url: str, request_data: RequestData | None
) -> tuple[str, dict[str, Any], dict[str, Upload]]:
    """The Bot API method name, its JSON parameters, and its uploaded files by field name."""
    method = url.rsplit("/", 1)[-1]
    if request_data is None:
        return method, {}, {}
    params = dict(request_data.parameters)
    files: dict[str, Upload] = {}
    for param in request_data._parameters:  # uploads are not part of `parameters`
        for input_file in param.input_files or []:
            content = input_file.input_file_content
            raw = content if isinstance(content, bytes) else content.read()
            files[param.name] = Upload(input_file.filename, raw)
    return method, params, files


def ok(result: Any) -> tuple[int, bytes]:
    return 200, json.dumps({"ok": True, "result": result}).encode()


def error(code: int, description: str, **parameters: Any) -> tuple[int, bytes]:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return code, json.dumps(body).encode()


class InProcessRequest(BaseRequest):
    """Subclasses answer decoded calls in :meth:`answer`, as Telegram would."""

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        return await self.answer(*decode(url, request_data))

    @abc.abstractmethod
    async def answer(
        self, method: str, params: dict[str, Any], files: dict[str, Upload]
    ) -> tuple[int, bytes]:
        """HTTP status and JSON body for one Bot API call."""
