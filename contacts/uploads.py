"""An upload handler that stops counting a file's bytes past a cap, so a 50 MB "vCard"
is neither held in memory nor written whole to disk: its file is skipped while it
streams in and the view says why."""
from django.core.files.uploadhandler import FileUploadHandler, SkipFile


class CappedUpload(FileUploadHandler):
    def __init__(self, request, cap):
        super().__init__(request)
        self.cap = cap
        self.received = 0
        self.too_large = False

    def new_file(self, *args, **kwargs):
        self.received = 0
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.cap:
            self.too_large = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None
