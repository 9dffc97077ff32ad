"""Personal data: how phone numbers are shown to people outside the owning area."""

from __future__ import annotations


def mask_phone(phone: str | None) -> str | None:
    """Keep the first three and last four digits.

    >>> mask_phone("13800000001")
    '138****0001'
    """
    if not phone:
        return phone
    digits = phone.strip()
    if len(digits) < 8:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"
