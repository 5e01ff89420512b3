"""The request body of an IPP request as a stream: the attributes are parsed from its start, the document
that follows is copied into a spooled file once, in chunks, and no further than the upload limit.

CUPS sends jobs with `Transfer-Encoding: chunked` whenever its filters pipe the data to the backend (it knows
the length only of plain files), and Django reads a request body only up to its Content-Length (none:
empty). So a chunked body is read from the WSGI server's own input: gunicorn (production) decodes chunks
and says so with `wsgi.input_terminated`; Django's development and test server hands the raw socket over,
and the chunks are decoded here."""
import tempfile

from django.conf import settings
from django.core.files import File

from agents.ipp import IppError, Status

CHUNK = 64 * 1024


class ChunkedReader:
    """Decodes HTTP/1.1 chunked transfer coding from a raw stream (RFC 9112 §7.1); trailers are skipped."""

    def __init__(self, raw_read, raw_readline):
        self._read, self._readline = raw_read, raw_readline
        self._left = 0
        self.done = False

    def _next_chunk(self) -> None:
        line = self._readline(1024)
        try:
            self._left = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise IppError("a malformed chunked request body", Status.BAD_REQUEST) from None
        if self._left == 0:
            while self._readline(1024) not in (b"\r\n", b"\n", b""):
                pass
            self.done = True

    def read(self, size: int = -1) -> bytes:
        out = bytearray()
        while not self.done and (size < 0 or len(out) < size):
            if self._left == 0:
                self._next_chunk()
                continue
            want = self._left if size < 0 else min(self._left, size - len(out))
            data = self._read(want)
            if not data:
                raise IppError("the request body ends inside a chunk", Status.BAD_REQUEST)
            out += data
            self._left -= len(data)
            if self._left == 0:
                self._readline(16)                  # the CRLF after the chunk data
        return bytes(out)


class Body:
    """What is left of the request body; `complete` once read to its end (the connection may be reused)."""

    def __init__(self, request):
        environ = request.META
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        self.length = None
        if not chunked:
            self._stream = request                  # Django's stream, bounded by Content-Length
            try:
                self.length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                self.length = 0
        elif environ.get("wsgi.input_terminated"):
            self._stream = environ["wsgi.input"]    # the server decoded the chunks
        else:
            raw = environ["wsgi.input"]
            # Django's runserver/test server: a LimitedStream (limit 0 without Content-Length) around the socket
            read, readline = getattr(raw, "_read", raw.read), getattr(raw, "_readline", raw.readline)
            self._stream = ChunkedReader(read, readline)
        self.complete = False

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        if size < 0 or not data:
            self.complete = True
        return data

    def drain(self, limit: int = CHUNK * 16) -> None:
        """Read what a request without a document may still carry (nothing, normally), up to `limit`."""
        read = 0
        while read <= limit and not self.complete:
            read += len(self.read(CHUNK))

    def spool(self, limit: int | None = None) -> tuple[File, bool]:
        """The rest of the body as a file (in memory while small), and False when it passed `limit` bytes:
        then reading stopped there and the file is closed."""
        limit = settings.PRINT_MAX_UPLOAD_BYTES if limit is None else limit
        spooled = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)
        size = 0
        while True:
            data = self.read(CHUNK)
            if not data:
                break
            size += len(data)
            if size > limit:
                spooled.close()
                return File(tempfile.SpooledTemporaryFile()), False
            spooled.write(data)
        spooled.seek(0)
        document = File(spooled)
        document.size = size
        return document, True
