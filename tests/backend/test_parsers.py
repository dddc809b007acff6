"""common.parsers.MultiPartParser reads a form as Django's parser does, and refuses as it does."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadhandler import MemoryFileUploadHandler, TemporaryFileUploadHandler
from django.http.multipartparser import MultiPartParser as DjangoParser
from django.test import RequestFactory
from rest_framework.exceptions import ParseError

from common.parsers import MultiPartParser

BOUNDARY = "----e-urbanisme-test"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


def _body(parts: list[tuple[str, str | None, bytes]]) -> bytes:
    out = []
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"'
        head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
        if filename is not None:
            head += "Content-Type: application/pdf\r\n"
        out.append(head.encode() + b"\r\n" + content + b"\r\n")
    return b"".join(out) + f"--{BOUNDARY}--\r\n".encode()


def _ours(body: bytes, content_type: str = CONTENT_TYPE):
    request = RequestFactory().post("/", body, content_type=content_type)
    context = {"request": request, "encoding": "utf-8"}
    return MultiPartParser().parse(io.BytesIO(body), content_type, context)


def _django(body: bytes):
    meta = {"CONTENT_TYPE": CONTENT_TYPE, "CONTENT_LENGTH": str(len(body))}
    handlers = [MemoryFileUploadHandler(), TemporaryFileUploadHandler()]
    return DjangoParser(meta, io.BytesIO(body), handlers, "utf-8").parse()


FORMS = {
    "the citizen's form": [
        ("theme", None, b"zoning"),
        ("body", None, "Je demande le maintien du zonage. أطلب الإبقاء على التنطيق".encode()),
        ("author_email", None, b"a@example.ma"),
        ("geometry", None, b'{"type":"Point","coordinates":[-7.6,33.5]}'),
    ],
    "repeated fields and files": [
        ("tag", None, b"a"),
        ("tag", None, b"b"),
        ("attachments", "un.pdf", b"%PDF-1.4 one"),
        ("attachments", "deux.pdf", b"%PDF-1.4 two"),
    ],
    "a path in a file name, an empty file input": [
        ("attachments", "../../etc/passwd.pdf", b"%PDF-1.4"),
        ("attachments", "C:\\Users\\k\\plan.pdf", b"%PDF-1.4"),
        ("attachments", "", b""),
        ("attachments", "&lt;x&gt;.pdf", b"%PDF-1.4"),
    ],
    "a file spooled to disk, empty fields": [
        ("attachments", "big.pdf", b"%PDF-1.4" + bytes(range(256)) * 12_000),
        ("body", None, b""),
        ("website", None, b""),
    ],
    "invalid UTF-8 in a field": [("body", None, b"caf\xe9 \xff")],
}


@pytest.mark.parametrize("parts", FORMS.values(), ids=FORMS.keys())
def test_a_form_reads_as_with_django(parts, settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 100_000  # the big file goes to disk in both
    body = _body(parts)
    ours = _ours(body)
    data, files = _django(body)
    assert dict(ours.data.lists()) == dict(data.lists())
    assert sorted(ours.files) == sorted(files)
    for name in files:
        theirs = [(f.name, f.size, f.content_type, f.read()) for f in files.getlist(name)]
        mine = [(f.name, f.size, f.content_type, f.read()) for f in ours.files.getlist(name)]
        assert mine == theirs
    assert not ours.data._mutable


@pytest.mark.parametrize(
    ("setting", "value", "parts", "message"),
    [
        ("DATA_UPLOAD_MAX_NUMBER_FIELDS", 2, [("a", None, b"1")] * 3, "more than 2 fields"),
        (
            "DATA_UPLOAD_MAX_NUMBER_FILES",
            1,
            [("f", "a.pdf", b"%PDF"), ("f", "b.pdf", b"%PDF")],
            "more than 1 files",
        ),
        (
            "DATA_UPLOAD_MAX_MEMORY_SIZE",
            100,
            [("body", None, b"x" * 60), ("name", None, b"y" * 60)],
            "larger than 100 bytes",
        ),
    ],
)
def test_django_limits_hold(settings, setting, value, parts, message):
    setattr(settings, setting, value)
    with pytest.raises(ParseError, match=message):
        _ours(_body(parts))


def test_a_file_does_not_count_in_the_fields_size(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    parsed = _ours(_body([("body", None, b"x" * 60), ("f", "a.pdf", b"%PDF" + b"0" * 500)]))
    assert parsed.files["f"].size == 504


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (_body([("body", None, b"text")])[:-30], CONTENT_TYPE, "could not be read"),
        (b"not a form at all", CONTENT_TYPE, "could not be read"),
        (_body([("body", None, b"text")]), "multipart/form-data", "boundary"),
    ],
    ids=["truncated", "garbage", "no boundary"],
)
def test_a_malformed_form_is_a_clear_400(body, content_type, message):
    with pytest.raises(ParseError, match=message):
        _ours(body, content_type)
