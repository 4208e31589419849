"""The engine's public names in one place: ``from calc.quote import price, tiers, QuoteRequest, ...``.

The engine is split by what each part does (issue 20); this module only re-exports, so that the service and
the tests keep importing from here:

- ``calc.lines``: the request, its priced lines, the quote, ``QuoteError``;
- ``calc.reads``: which versions each scheme reads, and the lookup that remembers them;
- ``calc.banded``: a rate on a base within a band of the average wage (the pension's shape);
- ``calc.medical``: medical insurance in its cities' shapes (the registry ``SHAPES``);
- ``calc.pricing``: ``price``, a range of months with the versions in force for each;
- ``calc.tiers``: the tier table of a month and its year.
"""

from __future__ import annotations

from calc.banded import choose_base as choose_base
from calc.banded import no_average as no_average
from calc.lines import MAX_FACTOR as MAX_FACTOR
from calc.lines import MAX_HEADCOUNT as MAX_HEADCOUNT
from calc.lines import MAX_MONTHS as MAX_MONTHS
from calc.lines import NO_AVERAGE as NO_AVERAGE
from calc.lines import SCHEMES as SCHEMES
from calc.lines import Line as Line
from calc.lines import Quote as Quote
from calc.lines import QuoteError as QuoteError
from calc.lines import QuoteRequest as QuoteRequest
from calc.lines import Resolution as Resolution
from calc.pricing import PRICERS as PRICERS
from calc.pricing import RESOLVERS as RESOLVERS
from calc.pricing import price as price
from calc.pricing import resolution as resolution
from calc.pricing import resolve_month as resolve_month
from calc.pricing import validate as validate
from calc.reads import READS as READS
from calc.reads import not_configured as not_configured
from calc.tiers import TIER_STEP as TIER_STEP
from calc.tiers import PricedYear as PricedYear
from calc.tiers import Tier as Tier
from calc.tiers import tier_ratios as tier_ratios
from calc.tiers import tiers as tiers
from rates.interface import Parameters as Parameters
