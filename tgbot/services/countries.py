"""Which country's emergency number to show: the user's choice, else the region Telegram tells."""

from __future__ import annotations

from collections.abc import Collection


def region_from_language(language_code: str | None) -> str | None:
    """``en-GB`` → ``GB``; a bare ``en`` tells nothing."""
    if not language_code:
        return None
    parts = language_code.replace("_", "-").split("-")
    if len(parts) >= 2 and len(parts[-1]) == 2 and parts[-1].isalpha():
        return parts[-1].upper()
    return None


def user_country(chosen: object, language_code: str | None, known: Collection[str]) -> str | None:
    """The country to use, if we know its number; None means the fallback line."""
    if isinstance(chosen, str) and chosen in known:
        return chosen
    region = region_from_language(language_code)
    return region if region in known else None
