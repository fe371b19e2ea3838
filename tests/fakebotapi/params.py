"""Reading Bot API parameters from JSON, form-urlencoded, multipart or query-string requests.

python-telegram-bot (httpx) sends ``application/x-www-form-urlencoded`` for calls without files
and ``multipart/form-data`` when a file is uploaded. In both cases every value is a string:
numbers are ``"123"``, booleans ``"true"`` and objects / arrays (``reply_markup``,
``reply_parameters``, ``allowed_updates``, ``commands`` ...) are JSON-encoded strings. Other
clients send ``application/json`` bodies with native types. :class:`Params` hides that.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .models import JSON, ApiError, UploadedFile


class Params:
    """Parameters of one request with typed accessors that raise Telegram-like errors."""

    def __init__(self, values: dict[str, Any], files: dict[str, UploadedFile] | None = None):
        self.values = values
        self.files = files or {}

    def __contains__(self, name: str) -> bool:
        return name in self.values or name in self.files

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def get_str(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return json.dumps(value)

    def get_int(self, name: str, default: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise ApiError.bad_request(f"invalid {name} specified") from None

    def get_float(self, name: str, default: float | None = None) -> float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ApiError.bad_request(f"invalid {name} specified") from None

    def get_bool(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        return str(value).strip().lower() in ("true", "1", "yes", "on")

    def get_json(self, name: str, error: str | None = None) -> Any:
        """A JSON-typed parameter; strings are decoded. Returns None when absent."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise ApiError.bad_request(error or f"can't parse {name} JSON object") from None
        return value

    def get_chat_id(self, name: str = "chat_id") -> int | str:
        value = self.values.get(name)
        if value is None or value == "":
            raise ApiError.bad_request(f"{name} is empty")
        if isinstance(value, bool):
            raise ApiError.bad_request("chat not found")
        if isinstance(value, int):
            return value
        text = str(value).strip()
        if text.startswith("@"):
            return text
        try:
            return int(text)
        except ValueError:
            raise ApiError.bad_request("chat not found") from None

    def input_file(self, name: str) -> UploadedFile | str | None:
        """A file parameter: an uploaded file, or a string (file_id / URL), or None."""
        if name in self.files:
            return self.files[name]
        value = self.get_str(name)
        if value is None or value == "":
            return None
        if value.startswith("attach://"):
            attached = self.files.get(value[len("attach://") :])
            if attached is None:
                raise ApiError.bad_request(f"file {value!r} not found in the request")
            return attached
        return value

    def summary(self) -> JSON:
        """A JSON-friendly view for recording: JSON strings decoded, files described."""
        out: JSON = {}
        for key, value in self.values.items():
            if isinstance(value, str) and value[:1] in ("{", "["):
                try:
                    out[key] = json.loads(value)
                    continue
                except ValueError:
                    pass
            out[key] = value
        for key, upload in self.files.items():
            out[key] = f"<file {upload.filename!r}, {len(upload.data)} bytes>"
        return out


async def read_params(request: web.Request) -> Params:
    """Collect query-string and body parameters of a Bot API request."""
    values: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.method == "POST" and request.can_read_body:
        content_type = request.content_type
        if content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise ApiError.bad_request("can't parse JSON request body") from None
            if not isinstance(body, dict):
                raise ApiError.bad_request("JSON request body must be an object")
            values.update(body)
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = UploadedFile(
                        field=key,
                        filename=value.filename,
                        content_type=value.content_type,
                        data=value.file.read(),
                    )
                elif isinstance(value, bytes | bytearray):
                    values[key] = bytes(value).decode("utf-8", "replace")
                else:
                    values[key] = value
    return Params(values, files)
