"""The Streamlit participant page after a server restart: files chosen before it come back as
Streamlit's DeletedFile; the page says so instead of showing a traceback (issue 14)."""

from tests.harness.apptest import texts
from tests.photo_samples import jpeg
from tests.test_participant_app import _consent, _fresh, _join


def test_files_lost_in_a_restart_are_a_message_not_a_traceback(demo_env):
    at = _consent(_join(_fresh("en")))
    at.file_uploader(key="participant_files_0").set_value([("a.jpg", jpeg(seed=3), "image/jpeg")])
    # The restarted server no longer holds the file the browser still names.
    at._register_uploaded_files = lambda runner: None
    at.run()
    assert not at.exception, at.exception
    assert "the photos you chose were lost" in texts(at)
