"""A DRF parser for multipart forms, on the `multipart` library instead of Django's parser.

Django's parser took 560 µs for the citizen's form of six fields and 750 µs with a 20 KB PDF,
about 7 % of a submission's Python during the last-day rush (bench/RESULTS.md); this one takes
90 and 106 µs. It keeps Django's limits and its way with file names:

- DATA_UPLOAD_MAX_NUMBER_FIELDS and DATA_UPLOAD_MAX_NUMBER_FILES, the numbers of fields and
  files;
- DATA_UPLOAD_MAX_MEMORY_SIZE, the size of all the fields together, files not counted;
- FILE_UPLOAD_MAX_MEMORY_SIZE: a larger file is spooled to a temporary file;
- a file's name loses any path and non-printable characters, and a file whose name is then
  empty is left out; a file part without a name (an empty file input) is an empty field.

Django's upload handlers are not called. Any error is a 400 that says what is wrong.
"""

from __future__ import annotations

import html

import multipart
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict
from rest_framework.exceptions import ParseError
from rest_framework.parsers import BaseParser, DataAndFiles

ERR_FORM = "The form could not be read ({detail}); send it as multipart/form-data."
ERR_BOUNDARY = "The Content-Type of a multipart form must give its boundary."
ERR_FIELDS = "The form has more than {limit} fields."
ERR_FILES = "The form has more than {limit} files."
ERR_FIELDS_SIZE = "The form's fields (files apart) are larger than {limit} bytes."


def file_name(name: str) -> str | None:
    """A file name without its path or non-printable characters, as Django's parser gives it."""
    name = html.unescape(name).rsplit("/")[-1].rsplit("\\")[-1]
    name = "".join(c for c in name if c.isprintable())
    return None if name in {"", ".", ".."} else name


class MultiPartParser(BaseParser):
    media_type = "multipart/form-data"

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        _, options = multipart.parse_options_header(media_type or "")
        if not options.get("boundary"):
            raise ParseError(ERR_BOUNDARY)
        try:
            length = int(request.META.get("CONTENT_LENGTH") or -1) if request else -1
        except ValueError:
            length = -1
        max_fields = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        max_files = settings.DATA_UPLOAD_MAX_NUMBER_FILES
        max_bytes = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        data, files = QueryDict(mutable=True), MultiValueDict()
        fields = nfiles = field_bytes = 0
        parser = multipart.MultipartParser(
            stream,
            options["boundary"],
            content_length=length,
            part_limit=(max_fields or 10**6) + (max_files or 10**6),
            spool_limit=settings.FILE_UPLOAD_MAX_MEMORY_SIZE,
            # Files under the spool limit stay in memory, as Django keeps them.
            memory_limit=(max_bytes or 2**40)
            + settings.FILE_UPLOAD_MAX_MEMORY_SIZE * (max_files or 100),
            disk_limit=settings.EU_MAX_UPLOAD_BYTES,
        )
        try:
            for part in parser:
                if not part.name:
                    continue  # Django's parser leaves out a part without a name as well
                if not part.filename:  # an empty file input is an empty field to Django too
                    fields += 1
                    field_bytes += part.size
                    if max_fields is not None and fields > max_fields:
                        raise ParseError(ERR_FIELDS.format(limit=max_fields))
                    if max_bytes is not None and field_bytes > max_bytes:
                        raise ParseError(ERR_FIELDS_SIZE.format(limit=max_bytes))
                    data.appendlist(part.name, part.raw.decode(encoding, "replace"))
                    continue
                name = file_name(part.filename)
                if name is None:
                    continue
                nfiles += 1
                if max_files is not None and nfiles > max_files:
                    raise ParseError(ERR_FILES.format(limit=max_files))
                part.file.seek(0)
                upload = UploadedFile(part.file, name, part.content_type, part.size, None)
                files.appendlist(part.name, upload)
        except multipart.MultipartError as exc:
            raise ParseError(ERR_FORM.format(detail=exc)) from exc
        data._mutable = False
        return DataAndFiles(data, files)
