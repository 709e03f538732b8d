"""An output image carries the name to save it under: inline when viewed, attachment with
?download=1, with an RFC 5987 `filename*` when the prompt is not all ASCII."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.backend.helpers import finish_job, submit


def _finished(app, client, prompt: str, seed: int, images: int = 2) -> str:
    body = {"workflow": "text_to_image", "prompt": prompt, "seed": seed, "batch_size": images}
    job_id = submit(client, body).get_json()["job_id"]
    finish_job(app, job_id, images=images)
    return job_id


def test_the_second_image_is_named_from_tool_prompt_seed_and_2(app, client):
    job_id = _finished(app, client, "A cat on a sofa", 123456)
    view = client.get(f"/outputs/{job_id}_1.png")
    assert view.status_code == 200 and view.mimetype == "image/png"
    name = "text_to_image_a-cat-on-a-sofa_123456_2.png"  # the 2nd image, counted from 1
    assert view.headers["Content-Disposition"] == f'inline; filename="{name}"'
    saved = client.get(f"/outputs/{job_id}_1.png?download=1")
    assert saved.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    assert saved.data == view.data
    first = client.get(f"/outputs/{job_id}_0.png?download=1").headers["Content-Disposition"]
    assert first.endswith('_123456_1.png"')


def test_a_chinese_prompt_keeps_its_words_in_filename_star(app, client):
    job_id = _finished(app, client, "一隻貓 on a sofa", 77, images=1)
    header = client.get(f"/outputs/{job_id}_0.png?download=1").headers["Content-Disposition"]
    utf8 = quote("text_to_image_一隻貓-on-a-sofa_77_1.png", safe="")
    assert header == (
        f"attachment; filename=\"text_to_image_on-a-sofa_77_1.png\"; filename*=UTF-8''{utf8}"
    )
    assert header.isascii()


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_a_bad_download_flag_is_400(app, client, value):
    job_id = _finished(app, client, "a cat", 1, images=1)
    resp = client.get(f"/outputs/{job_id}_0.png?download={value}")
    assert resp.status_code == 400 and resp.get_json()["error"]["field"] == "download"
