"""The parts of pages drawn once (service.pages.drawn) equal the same templates drawn in one go, plainly:
every region's list with it selected, and the tier comparison of every region, tiered scheme and month of
the sweep with its first, a middle and its last tier chosen, and none (issue 20: drawn-once is allowed only
where it is the plain page); the form's tier lists with each kind of tier typed, the 依据 list of answers, and
the 职业伤害保障 section of every region and month.
The other parts (the medical block's regions and shapes) are a macro's output kept as it is:
tests/sweep/test_caches.py checks whole pages kept against drawn afresh."""

from __future__ import annotations

import random
from datetime import date
from urllib.parse import parse_qsl

import pytest
from flask import Flask, get_template_attribute
from werkzeug.datastructures import MultiDict

from calc.quote import QuoteError
from rates import protection
from rates.families import TRUST_LABELS
from rates.months import Month
from rates.store import Snapshot
from service.answer.answers import TierRequest, caches, decoded
from service.pages import drawn
from service.pages.calc_form import FORM_CHOICES, FORM_FIELDS, common, form_context, load_request, offered_ratios, typed
from service.pages.region_picker import region_groups
from service.pages.views import month_spans, pension_context, tier_table
from service.pension.views import PAGE_FIELDS
from tests.sweep import probe, space
from tests.sweep.probe import TALLY

TIERED = ("flexible_pension", "flexible_medical")


def _plain_section(app: Flask, snap: Snapshot, asked: TierRequest, chosen: str | None) -> str:
    """``pages/_tiers.html`` drawn in one go, each row marked where its tier is the one chosen."""
    macros = app.jinja_env.get_template("pages/_tiers.html").module
    tiers = tier_table(snap, asked)
    chart = macros.chart_rows(tiers["rows"], tiers["chart"], chosen)
    table = macros.table_rows(tiers["rows"], chosen)
    return str(macros.section(tiers, drawn.LABELS, chart, table))  # the macros' output


def test_region_lists_are_the_macro_drawn_plainly(sweep_app: Flask, snap: Snapshot) -> None:
    with sweep_app.test_request_context("/"):
        draw = get_template_attribute("pages/_region.html", "region_options")
        for selected in [*space.regions(snap), "", "999999"]:
            assert str(drawn.region_options(snap, selected)) == str(draw(region_groups(snap), selected)), selected


def test_tier_sections_are_the_template_drawn_plainly(sweep_app: Flask, cold_app: Flask, snap: Snapshot) -> None:
    asked = [
        TierRequest(region, scheme, month)
        for region in space.regions(snap)
        for scheme in TIERED
        for month in space.sweep_months(snap, region, scheme)
    ]
    compared = 0
    for app in (sweep_app, cold_app):  # kept, and drawn afresh every time (TIERS_CACHE_SIZE=0)
        with app.test_request_context("/"):
            for question in space.sample(asked, 60, salt="drawn", full=2000):
                try:
                    ratios = [t["ratio"] for t in tier_table(snap, question)["rows"]]
                except QuoteError:
                    continue  # no table: the page says why instead (tests/sweep/test_tiers.py)
                ends = [ratios[0], ratios[len(ratios) // 2], ratios[-1]] if ratios else []
                for chosen in [None, *ends, "0.123"]:  # none, the first, a middle and the last row, and no row
                    expected = _plain_section(app, snap, question, chosen)
                    assert str(drawn.tier_section(snap, question, lambda q=question: tier_table(snap, q), chosen)) == (
                        expected
                    ), (question, chosen)
                    compared += 1
    assert compared > 100


def test_source_lists_are_the_macro_drawn_plainly(sweep_app: Flask, cold_app: Flask, snap: Snapshot) -> None:
    """The 依据 list of answers across regions, schemes and months, each version's months this answer's own."""
    asks = [ask for _, ask in space.calc_points(snap)]
    compared = 0
    for app in (sweep_app, cold_app):
        client = app.test_client()
        with app.test_request_context("/"):
            macros = app.jinja_env.get_template("pages/_macros.html").module
            for ask in space.sample(asks, 80, salt="drawn-sources", full=3000):
                status, raw = probe.post(client, "/api/v1/calculate", ask.body())
                if status != 200:
                    continue
                quote = decoded(raw)
                spans = month_spans(quote)
                plain = str(macros.sources(ask.region, quote["references"], TRUST_LABELS, spans))
                assert str(drawn.sources(snap, ask.region, quote["references"], spans)) == plain, ask
                compared += 1
    assert compared > 50


def test_tier_lists_are_the_macro_drawn_plainly(sweep_app: Flask, cold_app: Flask, snap: Snapshot) -> None:
    offered = [
        drawn.TierOptions(region, scheme, month)
        for region in [*space.regions(snap), "999999"]
        for scheme in TIERED
        for month in space.sweep_months(snap, region, scheme)[::5]
    ]
    for app in (sweep_app, cold_app):
        with app.test_request_context("/"):
            macro = get_template_attribute("pages/_tier_options.html", "options")
            for asked in space.sample(offered, 60, salt="drawn-options", full=2000):
                choices = offered_ratios(snap, asked.region, asked.scheme, asked.month)
                for typed in ["", *[c["value"] for c in choices[:1]], "0.75", "0.333", "六成", "<b>"]:
                    plain = str(macro(drawn.with_typed(choices, typed), typed))
                    got = drawn.tier_options(snap, asked, lambda c=choices: c, typed)
                    assert str(got) == plain, (asked, typed)


def test_the_months_of_a_year_share_a_drawing_and_show_their_own_month(
    sweep_app: Flask, cold_app: Flask, snap: Snapshot
) -> None:
    """Every month of a sample of years, in a shuffled order: months whose tables are alike share one drawing
    (drawn.TierDrawing) with the month written in, and each section equals the template drawn plainly."""
    years = sorted(
        {
            (region, scheme, month.year)
            for region in space.regions(snap)
            for scheme in TIERED
            for month in space.sweep_months(snap, region, scheme)
        }
    )
    rng, compared = random.Random(f"{space.SEED}-drawn-years"), 0
    for app in (sweep_app, cold_app):
        with app.test_request_context("/"):
            for region, scheme, year in space.sample(years, 6, salt="drawn-years", full=200):
                months = [Month(year, m) for m in range(1, 13)]
                rng.shuffle(months)
                for month in months:
                    question = TierRequest(region, scheme, month)
                    try:
                        expected = _plain_section(app, snap, question, None)
                    except QuoteError:
                        continue
                    got = drawn.tier_section(snap, question, lambda q=question: tier_table(snap, q), None)
                    assert str(got) == expected, question
                    compared += 1
    assert compared > 50


def test_injury_boxes_are_the_template_drawn_plainly(sweep_app: Flask, cold_app: Flask, snap: Snapshot) -> None:
    """The 职业伤害保障 section of every region, in months on either side of the pilots' starts, asked in a
    shuffled order (a box kept under too short a key would show another region's or month's)."""
    asked = [(region, month) for region in space.regions(snap) for month in Month(2021, 1).until(Month(2027, 12))]
    rng = random.Random(f"{space.SEED}-drawn-injury")
    for app in (sweep_app, cold_app):
        with app.test_request_context("/"):
            template = app.jinja_env.get_template("pages/_injury_protection.html")
            chosen = space.sample(asked, 400, salt="drawn-injury", full=6000)
            rng.shuffle(chosen)
            for region, month in chosen:
                info = protection.answer(snap.regions, region, date(month.year, month.month, 1))
                assert str(drawn.injury_box(snap, region, month)) == template.render(protection=info), (region, month)
    TALLY.add("injury boxes", 2 * len(chosen))


HOSTILE = ("", "<b>x</b>", '"><script>alert(1)</script>', "a&b", "'", "\x02values.start\x03", "六成", "  2025-01 ")


def test_the_form_is_the_template_drawn_plainly(sweep_app: Flask, cold_app: Flask, snap: Snapshot) -> None:
    """The 测算 form joined from its drawing (drawn.calc_form) equals ``pages/_calc_form.html`` drawn plainly: the
    sweep's questions as the page reads them, each with a field or a pension field typed otherwise (hostile text,
    a choice the form does not offer, the pension details open), with the caches on and off."""
    rng = random.Random(f"{space.SEED}-drawn-form")
    asks = [ask for _, ask in space.calc_points(snap)]
    fields = [*FORM_FIELDS, *(f"pension.{name}" for name in PAGE_FIELDS)]
    drawn_forms = compared = 0
    for app in (sweep_app, cold_app):
        with app.test_request_context("/"):
            template = app.jinja_env.get_template("pages/_calc_form.html")
            for ask in space.sample(asks, 150, salt="drawn-form", full=3000):
                query = MultiDict(parse_qsl(ask.page_query()[2:], keep_blank_values=True))
                name = rng.choice(fields)
                typed_value = rng.choice([*HOSTILE, "base", "ratio", "1", "2", "female_55", "2026-03", "0.6"])
                query[name.removeprefix("pension.")] = typed_value
                values = typed(query)
                _, errors = load_request(values, snap)
                context = form_context(snap, values, errors) | common() | pension_context(snap, values, query)
                context["missing"] = None
                got = str(drawn.calc_form(snap, context, FORM_CHOICES))
                assert got == template.render(context), (ask, name, typed_value)
                compared += 1
            kept = caches().kept(snap).tiers._kept
            drawn_forms += sum(isinstance(key, drawn.FormDrawing) for key in kept)
    assert drawn_forms >= 2  # most questions were joined from a drawing (the cold app keeps none)
    TALLY.add("forms", compared)


def test_a_form_drawn_without_one_of_its_choices_is_refused_and_drawn_plainly(
    sweep_app: Flask, snap: Snapshot, caplog: pytest.LogCaptureFixture
) -> None:
    """A field the template compares but the choices leave out (here the pension's basis) would be a hole that
    never selects: the drawing is checked when it is made, refused, and the form drawn plainly from then on."""
    with sweep_app.test_request_context("/"):
        template = sweep_app.jinja_env.get_template("pages/_calc_form.html")
        without_basis = {hole: options for hole, options in FORM_CHOICES.items() if hole != ("values", "basis")}
        for basis in ("base", "ratio", "base"):
            query = MultiDict({"region": "110000", "scheme": "flexible_pension", "start": "2025-01", "basis": basis})
            values = typed(query)
            context = form_context(snap, values, {}) | common() | pension_context(snap, values, query)
            context["missing"] = None
            assert str(drawn.calc_form(snap, context, without_basis)) == template.render(context)
    assert "FORM_CHOICES" in caplog.text
