"""Flexible-worker employee medical insurance (灵活就业人员职工基本医疗保险) in the shapes cities publish.

Each city's notice has its own shape, one class each in ``calc.medical.shapes`` (the registry ``SHAPES``): a
rate on a base chosen within a range of the average wage (the original shape), a rate on a declared base
(广州, 深圳), a base fixed as a ratio of the provincial average (成都 80%), a rate in parts each rounded on its
own (成都 基本 8.75% + 大病 0.75%), fixed yearly amounts by tier (重庆) and a fixed monthly payment (北京).
The arithmetic is in the small rules of ``calc.medical.rules``; ``calc.medical.pricing`` plugs the shapes into
``calc.pricing``. This package imports only the shapes and rules: ``rates.families`` reads the registry.
"""

from __future__ import annotations

from calc.medical.rules import base_of_average as base_of_average
from calc.medical.rules import fixed_payment as fixed_payment
from calc.medical.rules import rate_in_parts as rate_in_parts
from calc.medical.rules import yearly_tier as yearly_tier
from calc.medical.shapes import SCHEME as SCHEME
from calc.medical.shapes import SHAPES as SHAPES
from calc.medical.shapes import TIER_LABELS as TIER_LABELS
from calc.medical.shapes import Shape as Shape
from calc.medical.shapes import basis as basis
from calc.medical.shapes import shapes_taking as shapes_taking
