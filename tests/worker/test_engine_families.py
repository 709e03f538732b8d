"""The worker's probe reads each model file's family from ComfyUI's /view_metadata (here the
simulator's), once per file name, a bounded number per probe, and publishes it."""

from __future__ import annotations

from studio_core.engines import EngineInfo
from tests.worker.helpers import sim_config
from worker.comfy.errors import ComfyUnavailable
from worker.engine_probe import EngineMonitor, probe_engine
from worker.model_families import FamilyReader

FAMILIES_EXPECTED = {
    # (folder, file): (family, source); the simulator's demo files
    ("checkpoints", "SD15/dreamshaper_8.safetensors"): ("sd15", "metadata"),
    ("checkpoints", "SDXL/juggernautXL_v9.safetensors"): ("sdxl", "metadata"),
    ("checkpoints", "ponyDiffusionV6XL.safetensors"): ("sdxl", "filename"),
    ("checkpoints", "sd15-demo.safetensors"): ("sd15", "filename"),
    ("checkpoints", "v1-5-pruned-emaonly.safetensors"): ("sd15", "metadata"),
    ("diffusion_models", "z_image_turbo_bf16.safetensors"): ("z_image", "filename"),
    ("diffusion_models", "qwen_image_edit_2509_fp8_e4m3fn.safetensors"): (
        "qwen_image_edit",
        "filename",
    ),
    ("loras", "SD15/add_detail.safetensors"): ("sd15", "metadata"),  # kohya's ss_* keys
    ("loras", "SDXL/xl_more_art-full.safetensors"): ("sdxl", "metadata"),  # ".../lora"
}


class Published:
    """A registry that keeps what the monitor publishes, as JSON (the way Redis would)."""

    def __init__(self):
        self.records: list[str] = []

    def publish(self, info: EngineInfo, ttl: float) -> None:
        self.records.append(info.to_json())


def test_view_metadata_through_the_client(client):
    meta = client.view_metadata("checkpoints", "SD15/dreamshaper_8.safetensors")
    assert meta["modelspec.architecture"] == "stable-diffusion-v1"
    assert client.view_metadata("checkpoints", "sd15-demo.safetensors") is None  # none: 404
    assert client.view_metadata("checkpoints", "no-such-file.safetensors") is None


def test_probe_publishes_families_read_once_per_file(client):
    monitor = EngineMonitor(client, Published(), "w1", metadata_budget=50)
    info = monitor.probe_now()
    assert info.online
    for (folder, name), (family, source) in FAMILIES_EXPECTED.items():
        assert info.families[folder][name]["family"] == family, (folder, name)
        assert info.families[folder][name]["source"] == source, (folder, name)
    assert info.families["checkpoints"]["SD15/dreamshaper_8.safetensors"]["size_class"] == 512
    assert set(info.families) == {"checkpoints", "diffusion_models", "loras"}  # not vae etc.
    published = EngineInfo.from_json(monitor.registry.records[-1])
    assert published.families == info.families
    listed = sum(len(info.models.get(f, [])) for f in ("checkpoints", "diffusion_models", "loras"))
    assert monitor.families.reads == listed
    # the next probe asks nothing again; a new file is read once, on the next probe
    assert monitor.probe_now().families == info.families and monitor.families.reads == listed
    models = {**info.models, "checkpoints": [*info.models["checkpoints"], "XL/new.safetensors"]}
    sim_config(
        client.base_url,
        models=models,
        model_metadata={"checkpoints/XL/new.safetensors": {"modelspec.architecture": "flux-1-dev"}},
    )
    again = monitor.probe_now()
    assert again.families["checkpoints"]["XL/new.safetensors"] == {
        "family": "flux",  # the metadata beats the "XL" in its name
        "size_class": 1024,
        "source": "metadata",
    }
    assert monitor.families.reads == listed + 1


def test_a_probe_reads_at_most_its_budget(client):
    reader = FamilyReader(client, budget=3)
    first = probe_engine(client, "w1", reader)
    assert reader.reads == 3
    # the files not read yet are guessed from their names meanwhile
    assert first.families["checkpoints"]["SD15/dreamshaper_8.safetensors"]["family"] == "sd15"
    sources = [g["source"] for files in first.families.values() for g in files.values()]
    assert sources.count("metadata") <= 3 and "filename" in sources
    for _ in range(10):
        last = probe_engine(client, "w1", reader)
    for (folder, name), (family, source) in FAMILIES_EXPECTED.items():
        assert last.families[folder][name] == {
            "family": family,
            "size_class": 1024 if family not in ("sd15",) else 512,
            "source": source,
        }


class FlakyClient:
    """view_metadata fails as an unreachable ComfyUI would, until `up` is set."""

    def __init__(self):
        self.up = False
        self.calls = 0

    def view_metadata(self, folder, name):
        self.calls += 1
        if not self.up:
            raise ComfyUnavailable("ComfyUI unreachable")
        return {"modelspec.architecture": "stable-diffusion-xl-v1-base"}


def test_unreachable_metadata_is_read_again_later():
    flaky = FlakyClient()
    reader = FamilyReader(flaky, budget=10)
    models = {"checkpoints": ["a.safetensors", "b.safetensors"], "loras": ["c.ckpt"]}
    families = reader.families(models)
    assert flaky.calls == 1  # stopped at the first failure, not one timeout per file
    assert families["checkpoints"]["a.safetensors"]["source"] == "unknown"
    assert families["loras"]["c.ckpt"]["source"] == "unknown"  # no metadata in a .ckpt: no call
    flaky.up = True
    families = reader.families(models)
    assert families["checkpoints"]["b.safetensors"]["family"] == "sdxl"
    assert flaky.calls == 3
    # a file no longer listed is forgotten: listed again (maybe replaced), it is read again
    reader.families({"checkpoints": ["b.safetensors"]})
    reader.families(models)
    assert flaky.calls == 4
