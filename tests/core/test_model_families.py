"""Model families (contract 1) and the size tables: every source of detect_family, each size
class's presets, custom "<W>x<H>" sizes and their refusals."""

from __future__ import annotations

import pytest

from studio_core.engines import EngineInfo, merged_families
from studio_core.errors import InvalidInput
from studio_core.models.family import SIZE_CLASS, FamilyGuess, detect_family
from studio_core.models.files import base_name, installed_name
from studio_core.models.sizes import (
    SIZE_CLASSES,
    CustomSize,
    check_custom_size,
    class_size,
    parse_size,
)

ARCHITECTURES = [
    ("stable-diffusion-v1", "sd15"),
    ("stable-diffusion-v1/lora", "sd15"),
    ("stable-diffusion-v2-512", "sd2_512"),
    ("stable-diffusion-v2-768-v", "sd2"),
    ("stable-diffusion-xl-v1-base", "sdxl"),
    ("stable-diffusion-xl-v1-refiner", "sdxl"),
    ("stable-diffusion-xl-v1-base/lora", "sdxl"),
    ("stable-diffusion-v3-medium", "sd3"),
    ("stable-diffusion-v3.5-large/lora", "sd3"),
    ("flux-1-dev", "flux"),
    ("flux-1-schnell", "flux"),
    ("Flux.1-dev/lora", "flux"),
    ("qwen-image", "qwen_image"),
    ("qwen-image-edit/lora", "qwen_image_edit"),
    ("z-image-turbo", "z_image"),
]

KOHYA = [
    ({"ss_base_model_version": "sd_v1"}, "sd15"),
    ({"ss_base_model_version": "sd_v2"}, "sd2_512"),
    ({"ss_base_model_version": "sd_v2", "ss_v_parameterization": "True"}, "sd2"),
    ({"ss_base_model_version": "sd_v2_768_v"}, "sd2"),
    ({"ss_base_model_version": "sdxl_base_v1-0"}, "sdxl"),
    ({"ss_base_model_version": "sd3"}, "sd3"),
    ({"ss_base_model_version": "flux1"}, "flux"),
]

FILENAMES = [
    ("v1-5-pruned-emaonly.safetensors", "sd15"),
    ("sd15-demo.safetensors", "sd15"),
    ("SD15/dreamshaper_8.safetensors", "sd15"),
    ("SD15\\realisticVisionV20.safetensors", "sd15"),  # "v20" is not SD 2.0
    ("sd1x_tiny.safetensors", "sd15"),
    ("tiny-sd15-random.safetensors", "sd15"),
    ("sd_xl_base_1.0.safetensors", "sdxl"),
    ("sd_xl_refiner_1.0.safetensors", "sdxl"),
    ("SDXL/juggernautXL_v9.safetensors", "sdxl"),
    ("dreamshaperXL_lightning.safetensors", "sdxl"),  # XL wins over the 1.5 brand name
    ("ponyDiffusionV6XL.safetensors", "sdxl"),
    ("illustrious_v1.safetensors", "sdxl"),
    ("v2-1_768-ema-pruned.safetensors", "sd2"),
    ("v2-1_512-ema-pruned.safetensors", "sd2_512"),
    ("sd21-768-v.ckpt", "sd2"),
    ("flux1-dev-fp8.safetensors", "flux"),
    ("sd3.5_large.safetensors", "sd3"),
    ("z_image_turbo_bf16.safetensors", "z_image"),
    ("z-image/z-image-turbo.safetensors", "z_image"),
    ("qwen_image_edit_2509_fp8_e4m3fn.safetensors", "qwen_image_edit"),
    ("Qwen-Image-Edit-2509-Lightning-4steps-V1.0-bf16.safetensors", "qwen_image_edit"),
    ("qwen_image_fp8_e4m3fn.safetensors", "qwen_image"),
]


@pytest.mark.parametrize(("architecture", "family"), ARCHITECTURES)
def test_modelspec_architecture(architecture, family):
    guess = detect_family({"modelspec.architecture": architecture}, "model.safetensors")
    assert guess == FamilyGuess(family, SIZE_CLASS[family], "metadata")


@pytest.mark.parametrize(("metadata", "family"), KOHYA)
def test_kohya_base_model_version(metadata, family):
    assert detect_family(metadata, "lora.safetensors") == FamilyGuess(
        family, SIZE_CLASS[family], "metadata"
    )


@pytest.mark.parametrize(("filename", "family"), FILENAMES)
def test_file_names(filename, family):
    assert detect_family(None, filename) == FamilyGuess(family, SIZE_CLASS[family], "filename")


def test_metadata_wins_over_the_name_and_unreadable_metadata_falls_back():
    sdxl = {"modelspec.architecture": "stable-diffusion-xl-v1-base"}
    assert detect_family(sdxl, "sd15-looking-name.safetensors").family == "sdxl"
    # an architecture nobody knows, or metadata without one: the name decides
    odd = {"modelspec.architecture": "my-own-arch", "modelspec.title": "x"}
    assert detect_family(odd, "v1-5-pruned.safetensors") == FamilyGuess("sd15", 512, "filename")
    assert detect_family({"ss_base_model_version": 3}, "flux.sft").family == "flux"


@pytest.mark.parametrize("name", ["model.safetensors", "ae.safetensors", "pixel_art.ckpt", ""])
def test_unknown(name):
    assert detect_family({}, name) == FamilyGuess("unknown", None, "unknown")
    assert detect_family(None, name).to_dict() == {
        "family": "unknown",
        "size_class": None,
        "source": "unknown",
    }


def test_guess_round_trips_and_bad_dicts_are_unknown():
    guess = detect_family(None, "sdxl.safetensors")
    assert FamilyGuess.from_dict(guess.to_dict()) == guess
    assert FamilyGuess.from_dict({"family": "nonsense"}).family == "unknown"


def test_size_classes_keep_ratios_and_latent_steps():
    assert class_size("1:1", 512) == (512, 512) and class_size("2:3", 512) == (512, 768)
    assert class_size("9:16", 512) == (432, 768) and class_size("16:9", 768) == (1024, 576)
    assert class_size("3:2", 1024) == (1248, 832)
    assert class_size("1:1", None) is None and class_size("5:1", 512) is None
    for size_class, table in SIZE_CLASSES.items():
        assert set(table) == set(SIZE_CLASSES[1024])
        for ratio, (width, height) in table.items():
            # multiples of 16 suit EmptyLatentImage (step 8) and EmptySD3LatentImage (16)
            assert width % 16 == 0 and height % 16 == 0, (size_class, ratio)
            wanted_w, wanted_h = (int(x) for x in ratio.split(":"))
            assert abs(width / height - wanted_w / wanted_h) < 0.03, (size_class, ratio)
            assert max(width, height) >= size_class, (size_class, ratio)


@pytest.mark.parametrize(
    ("value", "size"),
    [("512x768", (512, 768)), (" 64x2048 ", (64, 2048)), ("512X512", None), ("512x", None),
     ("x512", None), ("512*512", None), ("-8x512", None), ("５１２x512", None), (512, None),
     ("1" * 7 + "x8", None)],
)  # fmt: skip
def test_parse_size(value, size):
    assert parse_size(value) == size


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("770x512", "multiples of 8"),
        ("32x512", "between 64 and 2048"),
        ("4096x512", "between 64 and 2048"),
        ("wide", "a preset or a size like 512x768"),
        ("2048x2048", "at most 2359296"),
    ],
)
def test_custom_size_refusals_name_the_field(value, message):
    with pytest.raises(InvalidInput) as info:
        check_custom_size(value, CustomSize(8, 64, 2048), "aspect_ratio", max_pixels=1536 * 1536)
    assert info.value.field == "aspect_ratio" and message in info.value.message


def test_custom_size_accepts():
    assert check_custom_size("768x512", CustomSize(8, 64, 2048), "a") == (768, 512)
    assert check_custom_size("1536x1536", CustomSize(16, 256, 2048), "a", 1536 * 1536)


def test_installed_name_finds_subfolders():
    files = ["z-image/ae.safetensors", "b/x.safetensors", "a/x.safetensors", "top.safetensors"]
    assert installed_name("top.safetensors", files) == "top.safetensors"
    assert installed_name("ae.safetensors", files) == "z-image/ae.safetensors"
    assert installed_name("x.safetensors", files) == "a/x.safetensors"  # sorted: stable
    assert installed_name("ae.safetensors", ["Z\\ae.safetensors"]) == "Z\\ae.safetensors"
    assert installed_name("gone.safetensors", files) is None
    assert base_name("A\\B/c.ckpt") == "c.ckpt"


def test_merged_families_prefer_metadata_and_skip_offline_engines():
    def engine(url, online, guess):
        return EngineInfo(url, online, families={"checkpoints": {"m.safetensors": guess}})

    by_name = {"family": "sd15", "size_class": 512, "source": "filename"}
    by_meta = {"family": "sdxl", "size_class": 1024, "source": "metadata"}
    offline = {"family": "flux", "size_class": 1024, "source": "metadata"}
    engines = [engine("a", True, by_name), engine("b", True, by_meta), engine("c", False, offline)]
    assert merged_families(engines) == {"checkpoints": {"m.safetensors": by_meta}}
    assert merged_families(engines[:1]) == {"checkpoints": {"m.safetensors": by_name}}
    info = engines[1]
    assert EngineInfo.from_json(info.to_json()).families == info.families
    assert EngineInfo.from_json('{"url": "x"}').families == {}  # a record from an older worker
