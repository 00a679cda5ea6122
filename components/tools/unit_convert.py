_FACTORS = {
    # length, in metres
    "mm": ("length", 0.001), "cm": ("length", 0.01), "m": ("length", 1.0),
    "km": ("length", 1000.0), "in": ("length", 0.0254), "ft": ("length", 0.3048),
    "yd": ("length", 0.9144), "mi": ("length", 1609.344),
    # mass, in kilograms
    "g": ("mass", 0.001), "kg": ("mass", 1.0), "lb": ("mass", 0.45359237),
    "oz": ("mass", 0.028349523125),
    # volume, in litres
    "ml": ("volume", 0.001), "l": ("volume", 1.0), "gal": ("volume", 3.785411784),
}


def unit_convert(value: float, from_unit: str, to_unit: str) -> str:
    """Convert a quantity between units of length, mass, volume or temperature.

    Args:
        value: The quantity to convert.
        from_unit: Its unit: mm, cm, m, km, in, ft, yd, mi, g, kg, lb, oz, ml, l, gal, C, F or K.
        to_unit: The unit wanted, from the same list and of the same kind.
    """
    temps = {"C", "F", "K"}
    if from_unit in temps or to_unit in temps:
        if not (from_unit in temps and to_unit in temps):
            raise ValueError("a temperature converts only to another temperature (C, F, K)")
        kelvin = {"C": value + 273.15, "F": (value - 32) * 5 / 9 + 273.15, "K": value}[from_unit]
        result = {"C": kelvin - 273.15, "F": (kelvin - 273.15) * 9 / 5 + 32, "K": kelvin}[to_unit]
    else:
        for unit in (from_unit, to_unit):
            if unit not in _FACTORS:
                known = ", ".join(_FACTORS)
                raise ValueError(f"unknown unit {unit!r}; use one of {known}, C, F, K")
        (kind_from, f_from), (kind_to, f_to) = _FACTORS[from_unit], _FACTORS[to_unit]
        if kind_from != kind_to:
            raise ValueError(f"cannot convert {kind_from} ({from_unit}) to {kind_to} ({to_unit})")
        result = value * f_from / f_to
    return f"{value:g} {from_unit} = {round(result, 4):g} {to_unit}"
