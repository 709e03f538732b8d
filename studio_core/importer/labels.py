"""The en / zh-TW labels of the parameters and slots a manifest proposal gets."""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "prompt": {"en": "Prompt", "zh-TW": "提示詞"},
    "negative_prompt": {"en": "Negative prompt", "zh-TW": "負面提示詞"},
    "seed": {"en": "Seed (-1 = random)", "zh-TW": "種子（-1 為隨機）"},
    "aspect_ratio": {"en": "Size", "zh-TW": "尺寸"},
    "batch_size": {"en": "Batch size", "zh-TW": "批次數量"},
    "steps": {"en": "Steps", "zh-TW": "步數"},
    "cfg": {"en": "CFG scale", "zh-TW": "CFG 強度"},
    "guidance": {"en": "Guidance", "zh-TW": "引導強度"},
    "denoise": {"en": "Denoise strength", "zh-TW": "去噪強度"},
    "sampler_name": {"en": "Sampler", "zh-TW": "取樣器"},
    "scheduler": {"en": "Scheduler", "zh-TW": "排程器"},
    "loras": {"en": "LoRAs", "zh-TW": "LoRA 模型"},
}
FOLDER_LABELS: dict[str, dict[str, str]] = {
    "checkpoints": {"en": "Checkpoint", "zh-TW": "模型檔"},
    "diffusion_models": {"en": "Diffusion model", "zh-TW": "擴散模型"},
    "text_encoders": {"en": "Text encoder", "zh-TW": "文字編碼器"},
    "vae": {"en": "VAE", "zh-TW": "VAE 模型"},
    "loras": {"en": "LoRA", "zh-TW": "LoRA 模型"},
    "unet_gguf": {"en": "Diffusion model (GGUF)", "zh-TW": "擴散模型（GGUF）"},
}
PRESET_LABEL = {"en": "As in the workflow", "zh-TW": "與工作流程相同"}


def numbered(label: dict[str, str], number: int | None) -> dict[str, str]:
    """`label` with " <number>" appended in both languages (None: unchanged)."""
    if number is None:
        return dict(label)
    return {lang: f"{text} {number}" for lang, text in label.items()}


def image_label(number: int | None) -> dict[str, str]:
    """An image slot's label: "Image" alone, "Image 1", "Image 2"... when there are several."""
    return numbered({"en": "Image", "zh-TW": "圖片"}, number)


def folder_label(folder: str, number: int | None = None) -> dict[str, str]:
    """The label of a model choice for files of a ComfyUI model folder."""
    return numbered(FOLDER_LABELS.get(folder, {"en": "Model file", "zh-TW": "模型檔案"}), number)


def strength_label(number: int | None) -> dict[str, str]:
    """The label of a fixed LoRA node's strength."""
    return numbered({"en": "LoRA strength", "zh-TW": "LoRA 強度"}, number)


def tool_texts(tool_id: str) -> tuple[dict[str, str], dict[str, str]]:
    """A first name and description for an imported tool (the admin renames it)."""
    title = tool_id.replace("_", " ").strip().capitalize() or tool_id
    return (
        {"en": title, "zh-TW": f"匯入的工具：{title}"},
        {
            "en": "Imported from a ComfyUI workflow.",
            "zh-TW": "從 ComfyUI 工作流程匯入。",
        },
    )
