"""The "your data" buttons (``yd:``): export everything, and the doctor summary's medicines
line. Stateless: each acts on the pressing user's own data only."""

from __future__ import annotations

from dataclasses import dataclass

from tgbot.services.buttons import ButtonAction, ButtonCodec


class DataButton(ButtonAction):
    prefix = "yd:"


@dataclass(frozen=True)
class SendExport(DataButton):
    """Send the /export files (offered before /forget deletes everything)."""

    code = "exp"


@dataclass(frozen=True)
class EditMedicines(DataButton):
    """Ask for the "medicines I take" line of the doctor summary."""

    code = "med"


@dataclass(frozen=True)
class ClearMedicines(DataButton):
    code = "medx"


DATA_BUTTONS: ButtonCodec[DataButton] = ButtonCodec(
    DataButton.prefix, [SendExport, EditMedicines, ClearMedicines]
)
