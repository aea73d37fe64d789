"""Reading a bulk list upload: `multipart/form-data` (RFC 7578) with a `file` part and `email_column`."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import BodyPartReader, web

from verifalia_server.api.leadrocks.codes import ErrorCode
from verifalia_server.api.leadrocks.csvfile import MAX_FILE_BYTES, is_csv_filename
from verifalia_server.api.leadrocks.errors import LeadRocksError
from verifalia_server.api.shared.files import MULTIPART_ERRORS

_CHUNK_BYTES = 64 * 1024
_MAX_COLUMN_NAME_BYTES = 1024


@dataclass(frozen=True, slots=True)
class ListUpload:
    """The uploaded file, its name and the requested email column (None when not given)."""

    file_name: str
    content: bytes
    email_column: str | None


async def _read_file(part: BodyPartReader) -> bytes:
    content = bytearray()
    while chunk := await part.read_chunk(_CHUNK_BYTES):
        content += chunk
        if len(content) > MAX_FILE_BYTES:
            raise LeadRocksError(ErrorCode.FILE_TOO_BIG)
    return bytes(content)


async def _read_column_name(part: BodyPartReader) -> str:
    """The `email_column` value; a value no header could match (too long, undecodable) is error 106."""
    value = bytearray()
    while chunk := await part.read_chunk(_CHUNK_BYTES):
        value += chunk
        if len(value) > _MAX_COLUMN_NAME_BYTES:
            raise LeadRocksError(ErrorCode.NO_EMAIL_COLUMN)
    try:
        return value.decode(part.get_charset("utf-8"))
    except (UnicodeDecodeError, LookupError):
        raise LeadRocksError(ErrorCode.NO_EMAIL_COLUMN) from None


async def read_list_upload(request: web.Request) -> ListUpload:
    """Read the upload; error 105 for a body without a `.csv` file part, 104 for a file over 10 MB."""
    if request.content_type != "multipart/form-data":
        raise LeadRocksError(ErrorCode.INVALID_FILE)
    file_name: str | None = None
    content: bytes | None = None
    email_column: str | None = None
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                raise LeadRocksError(ErrorCode.INVALID_FILE)
            if part.name == "file" and content is None:
                if not is_csv_filename(part.filename):
                    raise LeadRocksError(ErrorCode.INVALID_FILE)
                file_name, content = part.filename, await _read_file(part)
            elif part.name == "email_column":
                email_column = await _read_column_name(part)
            else:
                await part.release()
    except MULTIPART_ERRORS:
        raise LeadRocksError(ErrorCode.INVALID_FILE) from None
    if file_name is None or content is None:
        raise LeadRocksError(ErrorCode.INVALID_FILE)
    return ListUpload(file_name=file_name, content=content, email_column=email_column)
