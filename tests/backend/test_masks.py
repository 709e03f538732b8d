"""Generate with a painted mask (issue 10): each refusal is a 400 naming the field; an accepted
mask is stored with the job (a worker restart still has it) and comes back for a remix; the
model list of GET /api/tools holds only models that fit the tool."""

from __future__ import annotations

import base64
import io
import json

import pytest
import sqlalchemy as sa
from PIL import Image

from studio_core.db.tables import job_inputs
from tests.backend.helpers import publish_engine, services, submit

EDIT_MODEL = "qwen_image_edit_2509_fp8_e4m3fn.safetensors"


def mask_png(width=64, height=48, mode="RGBA", fmt="PNG") -> bytes:
    """A mask: opaque, with a transparent (to repaint) left half."""
    image = Image.new(mode, (width, height), (0, 0, 0, 255) if mode == "RGBA" else 0)
    if mode == "RGBA":
        image.paste((0, 0, 0, 0), (0, 0, width // 2, height))
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def photo_png(width=64, height=48) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def upload(client, data: bytes) -> str:
    resp = client.post(
        "/api/uploads",
        data={"file": (io.BytesIO(data), "x.png")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 201, resp.get_json()
    return resp.get_json()["upload_id"]


def edit(image, masks, **extra):
    return {"workflow": "single_image_edit", "prompt": "blue", "images": {"input": image},
            "masks": masks, **extra}  # fmt: skip


def test_a_masked_edit_is_stored_with_its_job_and_comes_back_for_a_remix(client, app):
    image, mask = upload(client, photo_png()), upload(client, mask_png())
    resp = submit(client, edit(image, {"input": mask}))
    assert resp.status_code == 202, resp.get_json()
    job = resp.get_json()["job"]
    assert job["inputs"] == {"input": {"upload_id": image, "url": f"/api/uploads/{image}"}}
    assert job["masks"] == {"input": {"upload_id": mask, "url": f"/api/uploads/{mask}"}}
    again = client.get(f"/api/jobs/{job['job_id']}").get_json()
    assert again["masks"] == job["masks"] and again["inputs"] == job["inputs"]
    # In SQL with the job, where a worker (or its successor after a restart) reads it.
    with services(app).db.connect() as conn:
        rows = conn.execute(
            sa.select(job_inputs.c.slot, job_inputs.c.upload_id).where(
                job_inputs.c.job_id == job["job_id"]
            )
        ).all()
    assert sorted(rows) == [("input", image), ("input:mask", mask)]
    plain = submit(client, edit(image, {})).get_json()["job"]
    assert plain["masks"] == {}


def test_a_mask_over_a_data_url_image_is_checked_against_its_size(client):
    image = "data:image/png;base64," + base64.b64encode(photo_png(64, 48)).decode()
    ok = submit(client, edit(image, {"input": upload(client, mask_png(64, 48))}))
    assert ok.status_code == 202, ok.get_json()
    wrong = submit(client, edit(image, {"input": upload(client, mask_png(48, 64))}))
    assert wrong.status_code == 400
    assert wrong.get_json()["error"]["field"] == "masks.input"


def test_a_mask_in_a_multipart_request(client):
    mask = upload(client, mask_png())
    form = {"workflow": "single_image_edit", "prompt": "blue",
            "masks": json.dumps({"input": mask}), "input": (io.BytesIO(photo_png()), "in.png")}  # fmt: skip
    resp = client.post("/api/generate", data=form, content_type="multipart/form-data")
    assert resp.status_code == 202, resp.get_json()
    assert resp.get_json()["job"]["masks"]["input"]["upload_id"] == mask


@pytest.mark.parametrize(
    ("case", "field", "message"),
    [
        ("sketch slot", "masks.sketch", "takes no mask"),
        ("unknown slot", "masks.elsewhere", "takes no mask"),
        ("no image", "masks.input", "needs the image"),
        ("not an id", "masks.input", "must be an upload id"),
        ("data url", "masks.input", "must be an upload id"),
        ("unknown upload", "masks.input", "not found"),
        ("another user's upload", "masks.input", "not found"),
        ("jpeg", "masks.input", "PNG with an alpha channel"),
        ("png without alpha", "masks.input", "PNG with an alpha channel"),
        ("other size", "masks.input", "the mask is 32x32 but image 'input' is 64x48"),
        ("other aspect", "aspect_ratio", "keep"),
        ("not an object", "masks", "JSON object"),
    ],
)
def test_every_wrong_mask_is_a_400_naming_the_field(client, user_client, case, field, message):
    image = upload(client, photo_png())
    mask = upload(client, mask_png())
    body = {
        "sketch slot": {"workflow": "sketch_to_image", "prompt": "a house",
                        "images": {"sketch": image}, "masks": {"sketch": mask}},
        "unknown slot": edit(image, {"elsewhere": mask}),
        "no image": {"workflow": "single_image_edit", "prompt": "x", "masks": {"input": mask}},
        "not an id": edit(image, {"input": 42}),
        "data url": edit(image, {"input": "data:image/png;base64,AAAA"}),
        "unknown upload": edit(image, {"input": "0" * 32}),
        "another user's upload": edit(image, {"input": upload(user_client["a"], mask_png())}),
        "jpeg": edit(image, {"input": upload(client, mask_png(mode="RGB", fmt="JPEG"))}),
        "png without alpha": edit(image, {"input": upload(client, mask_png(mode="L"))}),
        "other size": edit(image, {"input": upload(client, mask_png(32, 32))}),
        "other aspect": edit(image, {"input": mask}, aspect_ratio="16:9"),
        "not an object": edit(image, [mask]),
    }[case]  # fmt: skip
    resp = submit(client, body)
    assert resp.status_code == 400, resp.get_json()
    error = resp.get_json()["error"]
    assert error["code"] == "invalid_input" and error["field"] == field, error
    assert message in error["message"], error


def test_a_refused_mask_stores_nothing(client, app):
    image = "data:image/png;base64," + base64.b64encode(photo_png()).decode()
    mask = upload(client, mask_png(32, 32))
    with services(app).db.connect() as conn:
        before = conn.execute(sa.text("SELECT COUNT(*) FROM uploads")).scalar()
    assert submit(client, edit(image, {"input": mask})).status_code == 400
    with services(app).db.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM uploads")).scalar() == before
        assert conn.execute(sa.text("SELECT COUNT(*) FROM jobs")).scalar() == 0


def test_tools_list_only_models_that_fit(client, app):
    publish_engine(app, models={"diffusion_models": ["z_image_turbo_bf16.safetensors", EDIT_MODEL],
                                "checkpoints": ["sd_xl_base_1.0.safetensors"]})  # fmt: skip
    tools = {t["id"]: t for t in client.get("/api/tools").get_json()["tools"]}
    model = next(p for p in tools["text_to_image"]["parameters"] if p["id"] == "model")
    assert model["choices"] == ["z_image_turbo_bf16.safetensors"]
    classic = next(p for p in tools["text_to_image_classic"]["parameters"] if p["id"] == "model")
    assert classic["choices"] == ["sd_xl_base_1.0.safetensors"]
    assert tools["single_image_edit"]["slots"][0]["mask"] is True
    assert tools["face_swap"]["slots"][0]["mask"] is False
    resp = submit(client, {"workflow": "text_to_image", "prompt": "x", "model": EDIT_MODEL})
    assert resp.status_code == 400
    assert resp.get_json()["error"]["field"] == "model"
