"""Meta webhook signatures and splitting text into platform-sized parts."""

from __future__ import annotations

import json

import pytest

from channels import instagram, signatures, whatsapp
from channels.signatures import sign_body
from channels.splitting import split_text
from tests.channels.adapters import (
    APP_SECRET,
)
from tests.fakes.graph import (
    sign,
    signed,
    whatsapp_text_payload,
)


# --- Meta signatures -----------------------------------------------------------------------------
class TestSignatures:
    body = json.dumps(whatsapp_text_payload("Salom")).encode()

    @pytest.mark.parametrize("module", [signatures, whatsapp, instagram])
    def test_right_signature(self, module) -> None:
        assert module.verify_signature(self.body, sign(self.body, APP_SECRET), APP_SECRET)

    def test_fake_and_adapter_agree(self) -> None:
        assert sign(self.body, APP_SECRET) == sign_body(self.body, APP_SECRET)
        raw, headers = signed({"object": "instagram"}, APP_SECRET)
        assert instagram.verify_signature(raw, headers["X-Hub-Signature-256"], APP_SECRET)

    def test_uppercase_hex_accepted(self) -> None:
        header = "sha256=" + sign(self.body, APP_SECRET).split("=", 1)[1].upper()
        assert whatsapp.verify_signature(self.body, header, APP_SECRET)

    def test_wrong_secret(self) -> None:
        assert not whatsapp.verify_signature(self.body, sign(self.body, "other"), APP_SECRET)

    def test_right_signature_over_different_body(self) -> None:
        other = self.body.replace(b"Salom", b"Salam")
        assert not whatsapp.verify_signature(other, sign(self.body, APP_SECRET), APP_SECRET)

    @pytest.mark.parametrize(
        "header",
        [None, "", "sha256=", "sha256", "=abc", "sha256=zz", "sha1=" + "0" * 40, "garbage",
         "sha256=" + "0" * 64, "sha256=ййй", 12345, b"sha256=abc"],
    )  # fmt: skip
    def test_missing_or_garbage_header(self, header) -> None:
        assert not whatsapp.verify_signature(self.body, header, APP_SECRET)
        assert not instagram.verify_signature(self.body, header, APP_SECRET)

    def test_empty_secret_never_verifies(self) -> None:
        assert not whatsapp.verify_signature(self.body, sign(self.body, ""), "")

    def test_body_must_be_bytes(self) -> None:
        header = sign(self.body, APP_SECRET)
        assert not whatsapp.verify_signature(self.body.decode(), header, APP_SECRET)  # type: ignore[arg-type]


# --- splitting -----------------------------------------------------------------------------------
class TestSplitText:
    def test_short_text_is_one_part(self) -> None:
        assert split_text("  Salom!  ", max_chars=4096) == ["Salom!"]

    @pytest.mark.parametrize("text", ["", "   \n ", None])
    def test_nothing_to_send(self, text) -> None:
        assert split_text(text, max_chars=4096) == []

    def test_4096_characters_keeps_words(self) -> None:
        text = " ".join(["Yetkazib", "berish", "bepul,", "narxi", "arzon."] * 800)
        parts = split_text(text, max_chars=4096)
        assert len(parts) >= 4
        assert all(len(p) <= 4096 for p in parts)
        assert " ".join(parts).split() == text.split()

    def test_exactly_at_the_limit_is_one_part(self) -> None:
        assert split_text("x" * 4096, max_chars=4096) == ["x" * 4096]

    def test_1000_bytes_of_cyrillic(self) -> None:
        text = " ".join(["Здравствуйте", "доставка", "бесплатная", "по", "Ташкенту."] * 120)
        parts = split_text(text, max_bytes=1000)
        assert len(parts) >= 5
        assert all(len(p.encode("utf-8")) <= 1000 for p in parts)
        assert all(len(p) < 1000 for p in parts)  # bytes, not characters, were the limit
        assert " ".join(parts).split() == text.split()

    def test_prefers_paragraphs_then_sentences(self) -> None:
        para = "Birinchi gap. Ikkinchi gap!"
        text = "\n\n".join([para * 30] * 3)
        parts = split_text(text, max_chars=len(para * 30) + 50)
        assert parts == [para * 30] * 3
        sentences = "Bu birinchi gap. " * 40
        parts = split_text(sentences, max_chars=100)
        assert all(p.endswith(".") for p in parts)

    def test_single_long_word_is_cut(self) -> None:
        word = "https://example.test/" + "a" * 5000
        parts = split_text(f"Havola: {word} rahmat", max_chars=4096)
        assert all(len(p) <= 4096 for p in parts)
        assert "".join(parts).replace(" ", "") == f"Havola:{word}rahmat"

    def test_multibyte_never_cut_inside_a_character(self) -> None:
        text = "😀" * 600  # 4 bytes each, no spaces
        parts = split_text(text, max_bytes=1000)
        assert all(len(p.encode()) <= 1000 for p in parts)
        assert "".join(parts) == text

    def test_utf16_limit_counts_emoji_twice(self) -> None:
        parts = split_text("😀" * 3000, max_utf16=4096)
        assert [len(p) for p in parts] == [2048, 952]

    def test_both_limits(self) -> None:
        parts = split_text("ж" * 3000, max_chars=1200, max_bytes=1000)
        assert [len(p) for p in parts] == [500] * 6
