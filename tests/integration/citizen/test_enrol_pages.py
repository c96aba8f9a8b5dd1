"""Issue 13: the enrolment and recovery pages without JavaScript, and their progress indicator."""

from __future__ import annotations

import re

import pytest


@pytest.mark.parametrize("path", ["/enrol", "/recover"])
def test_the_claim_form_posts_and_says_the_camera_needs_javascript(harness_factory, path):
    page = harness_factory().client.get(path)
    assert page.status_code == 200
    form = re.search(r'<form id="claim-form"[^>]*>', page.text).group(0)
    assert 'method="post"' in form  # without JavaScript the ID number never goes into the URL
    assert re.search(r"<noscript>.*camera step needs JavaScript.*</noscript>", page.text, re.S)
    assert 'role="progressbar"' in page.text and 'id="progress-text" aria-live="polite"' in page.text
