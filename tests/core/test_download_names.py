"""The name an output is downloaded under (the page's lib/download-name.js follows the same rules)."""

from __future__ import annotations

import pytest

from studio_core.jobs.download_names import MAX_SLUG, download_name, prompt_slug


@pytest.mark.parametrize(
    ("prompt", "seed", "index", "name"),
    [
        ("A cat on a sofa!", 123456, 2, "text_to_image_a-cat-on-a-sofa_123456_2.png"),
        ("  ..., ", 7, 1, "text_to_image_7_1.png"),  # no words: no slug
        ("", None, 1, "text_to_image_1.png"),  # no seed either
        (
            "one two three four five six seven",
            1,
            3,
            "text_to_image_one-two-three-four-five-six_1_3.png",
        ),
        ("Ｆｕｌｌ-width ＡＢＣ", 0, 1, "text_to_image_full-width-abc_0_1.png"),  # NFKC
        ("一隻貓 在沙發上", 5, 1, "text_to_image_一隻貓-在沙發上_5_1.png"),
        ('../../etc/passwd \\ <x> "q"', 5, 1, "text_to_image_etc-passwd-x-q_5_1.png"),
    ],
)
def test_download_name_from_tool_prompt_words_seed_and_index(prompt, seed, index, name):
    assert download_name("text_to_image", prompt, seed, index) == name


def test_the_slug_is_bounded_in_words_and_characters_whole_words_only():
    words = "supercalifragilistic expialidocious anyway"
    assert prompt_slug(words) == "supercalifragilistic-expialidocious"  # 35; +7 is over 40
    assert prompt_slug("x" * 90) == "x" * MAX_SLUG  # one long word is cut
    assert len(prompt_slug("圖" * 90)) == MAX_SLUG


@pytest.mark.parametrize(
    ("prompt", "ascii_name"),
    [
        ("Café crème", "t_cafe-creme_9_2.png"),
        ("一隻貓 on a sofa", "t_on-a-sofa_9_2.png"),
        ("一隻貓", "t_9_2.png"),
    ],
)
def test_the_ascii_fallback_drops_what_is_not_ascii(prompt, ascii_name):
    assert download_name("t", prompt, 9, 2, ascii_only=True) == ascii_name
