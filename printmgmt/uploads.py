"""Uploads of documents to print (the Print Queue page, the print API, the print-client API): Django spools a
multipart file whole before a view sees it, so a size limit checked afterwards still lets a client fill the
disk. BoundedUploadHandler stores at most PRINT_MAX_UPLOAD_BYTES + 1 bytes of each file and drops the rest as it
arrives; the file then fails submission's size check with its message, and nothing more was written."""
from django.conf import settings
from django.core.files.uploadhandler import TemporaryFileUploadHandler


class BoundedUploadHandler(TemporaryFileUploadHandler):
    def receive_data_chunk(self, raw_data, start):
        room = settings.PRINT_MAX_UPLOAD_BYTES + 1 - start
        if room <= 0:
            return None
        return super().receive_data_chunk(raw_data[:room], start)


def bound_uploads(request) -> None:
    """Use BoundedUploadHandler for `request` (a Django HttpRequest, before its body is parsed)."""
    request.upload_handlers = [BoundedUploadHandler(request)]
