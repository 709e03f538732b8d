"""The painted masks of a generate request: each one the caller's upload, a PNG with an alpha
channel, the size of the image it is painted over (ComfyUI's /upload/mask copies the mask's
alpha into that image, which fails on another size).

Checked before anything of the request is stored; every refusal is a 400 naming
`masks.<slot>`. Which slots take a mask is the tool's business (Tool.validate).
"""

from __future__ import annotations

from collections.abc import Mapping

from backend.services import Studio
from studio_core.errors import InvalidInput, NotFound
from studio_core.images import has_alpha
from studio_core.uploads import UPLOAD_ID, get_upload


def parse_masks(raw: Mapping) -> dict[str, str]:
    """{slot: upload id} from the request's `masks` object (ids only: no data URLs)."""
    masks = {}
    for slot, ref in raw.items():
        if not isinstance(ref, str) or not UPLOAD_ID.match(ref):
            raise InvalidInput("a mask must be an upload id", field=f"masks.{slot}")
        masks[str(slot)] = ref
    return masks


def check_masks(
    studio: Studio,
    user_id: int,
    masks: Mapping[str, str],
    image_sizes: Mapping[str, tuple[int, int] | None],
) -> None:
    """Each mask: an upload of `user_id`, a PNG with alpha, as large as its slot's image.

    `image_sizes` holds the slots' image sizes as they will be stored (None: unreadable,
    which storing the image reports)."""
    for slot, upload_id in masks.items():
        field = f"masks.{slot}"
        try:
            row = get_upload(studio.db, upload_id, user_id)  # another user's: not found
            path = studio.paths.resolve(row["path"])
            alpha = row["mime"] == "image/png" and has_alpha(path)
        except (NotFound, ValueError, OSError):
            raise InvalidInput(f"mask upload {upload_id!r} not found", field=field) from None
        if not alpha:
            raise InvalidInput(
                "a mask must be a PNG with an alpha channel (alpha 0 = repaint)", field=field
            )
        size = image_sizes.get(slot)
        if size is not None and size != (row["width"], row["height"]):
            raise InvalidInput(
                f"the mask is {row['width']}x{row['height']} but image '{slot}' is "
                f"{size[0]}x{size[1]}; paint it over the image at its own size",
                field=field,
            )
