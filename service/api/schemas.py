"""marshmallow schemas: the API's edges (what comes in, what goes out), nothing else."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from calc.quote import QuoteRequest
from rates.months import Month
from service.api.loading import CompiledLoad

DECIMAL_PATTERN = r"^\s*\d{1,9}(\.\d{1,4})?\s*$"
# The OpenAPI document says exactly what the server takes (tests/test_schemathesis.py holds it to that).
MONTH_PATTERN = r"^(19\d{2}|[2-9]\d{3})-(0[1-9]|1[0-2])$"  # Month: 1900-01 to 9999-12
REGION_PATTERN = r"^\d{6}$"  # GB/T 2260


def decimal_pattern(places: int, maximum: Decimal) -> str:
    """The decimals DecimalText takes, as a pattern for the document: a power of ten as the maximum
    (10, 1000000), or one tenth digit below 1 (0.2, an assumed yearly rate)."""
    digits = len(str(int(maximum))) - 1
    if maximum == Decimal(10) ** digits:
        return rf"^ *(\d{{1,{digits}}}(\.\d{{1,{places}}})?|1{'0' * digits}(\.0{{1,{places}}})?) *$"
    tenths = maximum * 10
    if 0 < maximum < 1 and tenths == tenths.to_integral_value():
        first, rest = int(tenths), places - 1
        return rf"^ *(0(\.[0-{first - 1}]\d{{0,{rest}}})?|0\.{first}0{{0,{rest}}}) *$"
    raise ValueError(f"maximum must be a power of ten or one tenth digit below 1: {maximum}")


class MonthField(fields.String):
    """A ``YYYY-MM`` month, loaded as ``Month``."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("metadata", {}).update({"pattern": MONTH_PATTERN, "example": "2025-01"})
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Month:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return Month.parse(text)
        except ValueError:
            raise ValidationError(f"“{text[:20]}”不是有效月份，请写成年份和月份，例如 2025-01。") from None

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else str(value)


class DecimalText(fields.Field):
    """A non-negative decimal given as a string ("0.6") or a JSON number, kept exact."""

    def __init__(self, places: int, maximum: Decimal, **kwargs: Any):
        self.places, self.maximum = places, maximum
        pattern = decimal_pattern(places, maximum)
        kwargs.setdefault("metadata", {}).update({"type": "string", "pattern": pattern, "example": "0.6"})
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
            raise ValidationError('须为数字，例如 "0.6"。')
        try:
            number = Decimal(str(value).strip())
        except ArithmeticError:
            raise ValidationError(f"“{str(value)[:20]}”不是数字。") from None
        if not number.is_finite() or number < 0:
            raise ValidationError("须为不小于0的有限数字。")
        if number > self.maximum:
            raise ValidationError(f"不能超过{self.maximum}。")
        if number.as_tuple().exponent < -self.places:  # type: ignore[operator]
            raise ValidationError(f"最多{self.places}位小数。")
        return number

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else format(value.normalize(), "f")


class Money(fields.String):
    """An amount already rounded to the fen, written as a string with two decimals."""

    def __init__(self, **kwargs: Any):
        kwargs.setdefault("metadata", {}).update({"pattern": r"^-?\d+\.\d{2}$", "example": "783.00"})
        super().__init__(**kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        if value is None:
            return None
        if value != value.quantize(Decimal("0.01")):
            raise ValueError(f"amount not rounded to the fen: {value}")  # rounding belongs in calc
        return f"{value:.2f}"


class MoneyMap(fields.Dict):
    """Named amounts (a breakdown): the same two-decimal strings as Money, without a field per key."""

    def __init__(self, **kwargs: Any):
        super().__init__(keys=fields.String(), values=Money(), **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> dict[str, str] | None:
        money = self.value_field._serialize
        return None if value is None else {str(k): money(v, None, None) for k, v in value.items()}


class IdMap(fields.Dict):
    """Family name to version id: what each month was priced with."""

    def __init__(self, **kwargs: Any):
        super().__init__(keys=fields.String(), values=fields.Integer(), **kwargs)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> dict[str, int] | None:
        return None if value is None else {str(k): int(v) for k, v in value.items()}


class Ratio(fields.String):
    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else format(value.normalize(), "f")


class CalculateRequestSchema(CompiledLoad):
    region = fields.String(
        required=True, validate=validate.Length(max=12), metadata={"example": "360100", "pattern": REGION_PATTERN}
    )
    scheme = fields.String(
        required=True,
        validate=validate.Length(max=40),
        metadata={
            "example": "flexible_pension",
            "enum": ["flexible_pension", "flexible_medical", "outlet_injury", "resident_medical"],
        },
    )
    start = MonthField(required=True)
    end = MonthField(required=True)
    base_ratio = DecimalText(places=4, maximum=Decimal(10), load_default=None, allow_none=True)
    base = DecimalText(
        places=2, maximum=Decimal(10**9), load_default=None, allow_none=True, metadata={"example": "5000"}
    )
    headcount = fields.Integer(
        strict=True, load_default=1, validate=validate.Range(min=1, max=100_000, error="须为1至100000之间的整数。")
    )
    factor = DecimalText(places=4, maximum=Decimal(10), load_default=Decimal(1), metadata={"example": "1"})
    medical_tier = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        validate=validate.OneOf([1, 2], error="医保缴费档次只能是1（一档）或2（二档）。"),
        metadata={
            "description": "灵活就业人员医保按年度固定标准分档缴费的地区（如重庆市）：1为一档，2为二档；其他地区不填",
            "example": 1,
        },
    )

    @validates_schema
    def _one_base(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("base") is not None and data.get("base_ratio") is not None:
            raise ValidationError("缴费档次和缴费基数只能填写一项。", "base")

    @post_load
    def _request(self, data: dict[str, Any], **kwargs: Any) -> QuoteRequest:
        """The one request value every caller gets (the API, the pages, the counter): frozen, its own cache key."""
        return QuoteRequest(**data)


class RegionMonthQuerySchema(Schema):
    region = fields.String(required=True, metadata={"example": "360100", "pattern": REGION_PATTERN})
    month = MonthField(load_default=None, metadata={"description": "默认为本月"})


class TiersQuerySchema(RegionMonthQuerySchema):
    scheme = fields.String(
        load_default="flexible_pension",
        validate=validate.OneOf(
            ["flexible_pension", "flexible_medical"], error="只能是 flexible_pension 或 flexible_medical。"
        ),
    )


class RegionSchema(Schema):
    code = fields.String()
    name = fields.String()
    parent = fields.String(allow_none=True)


class DocumentSchema(Schema):
    title = fields.String()
    doc_no = fields.String(allow_none=True)
    url = fields.String(allow_none=True)
    published = fields.String(allow_none=True)
    source = fields.String(allow_none=True)
    fields_ = fields.List(fields.String(), data_key="fields")
    carries_over = fields.String(
        allow_none=True, metadata={"description": "文件明确自该月起暂按上年度标准（新标准公布前沿用）"}
    )
    excerpt = fields.String(
        allow_none=True, metadata={"description": "原文摘录：通知原文的句子（逐字）；“官方原文”仅在存有原文摘录时标注"}
    )
    excerpt_url = fields.String(allow_none=True, metadata={"description": "原文摘录所在网页"})
    excerpt_note = fields.String(allow_none=True, metadata={"description": "摘录中未出现某数字的原因（附摘录者说明）"})
    excerpt_by = fields.String(allow_none=True, metadata={"description": "附上原文摘录的管理员"})
    excerpt_at = fields.String(allow_none=True, metadata={"description": "附上原文摘录的时间（ISO 8601）"})


class VersionSchema(Schema):
    id = fields.Integer()
    region = fields.String()
    region_name = fields.String()
    family = fields.String()
    family_label = fields.String()
    effective_from = fields.String()
    effective_by_scheme = fields.Dict(keys=fields.String(), values=fields.String())
    effective_to = fields.String(allow_none=True, metadata={"description": "截止月份（含）；来源写明有效期时才有"})
    contribution_year = fields.Integer(allow_none=True)
    values = fields.Dict(keys=fields.String(), values=fields.String())
    trust = fields.String()
    trust_label = fields.String()
    note = fields.String(allow_none=True)
    doc_no = fields.String(metadata={"description": "文号（多个以；分隔），无文号时为“无文号”"})
    references = fields.List(fields.Nested(DocumentSchema))
    recorded_at = fields.String(allow_none=True)
    recorded_by = fields.String(allow_none=True)
    origin = fields.String(allow_none=True)
    supersedes = fields.Integer(allow_none=True)
    withdrawn = fields.Boolean()
    active = fields.Boolean()
    provisional = fields.Boolean(allow_none=True)
    declared_by = fields.Nested(
        DocumentSchema,
        allow_none=True,
        metadata={"description": "暂按上年度标准系省里明确时，明确这一点的文件；本服务因无新数据而沿用时为空"},
    )
    level = fields.String(allow_none=True, metadata={"description": "参数所在的地区层级（本地区或上级）"})


class ParametersSchema(Schema):
    region = fields.String()
    region_name = fields.String()
    month = fields.String()
    families = fields.List(fields.Nested(VersionSchema))
    not_configured = fields.List(fields.Dict(keys=fields.String(), values=fields.String()))


class HistorySchema(Schema):
    region = fields.String()
    region_name = fields.String()
    versions = fields.List(fields.Nested(VersionSchema))


class LineSchema(Schema):
    month = fields.String()
    year = fields.Integer(allow_none=True)
    base = Money(allow_none=True)
    rate = Ratio(allow_none=True)
    amount = Money()
    breakdown = MoneyMap()
    provisional = fields.Boolean()
    version = IdMap()


class QuoteSchema(Schema):
    region = fields.String()
    region_name = fields.String()
    scheme = fields.String()
    scheme_label = fields.String()
    start = fields.String()
    end = fields.String()
    base_ratio = Ratio(allow_none=True)
    medical_tier = fields.Integer(allow_none=True)
    headcount = fields.Integer()
    factor = Ratio()
    months = fields.List(fields.Nested(LineSchema))
    total = Money()
    breakdown = MoneyMap()
    provisional = fields.Boolean()
    provisional_declared = fields.List(
        fields.String(),
        metadata={"description": "省里明确暂按上年度标准的文件（标题与文号）；本服务自行沿用的不在此列"},
    )
    notes = fields.List(fields.String())
    references = fields.List(fields.Nested(VersionSchema))


class TierSchema(Schema):
    ratio = Ratio()
    percent = fields.String(metadata={"description": "档次名称：比例（如60%），或一档、二档、下限、上限、固定金额"})
    base = Money(allow_none=True, metadata={"description": "固定金额缴费时、或该档次无法测算时为空"})
    monthly = Money(
        allow_none=True, metadata={"description": "按年度固定标准缴费（如重庆市）时、或该档次无法测算时为空"}
    )
    yearly = Money(allow_none=True, metadata={"description": "该档次无法测算时为空"})
    provisional = fields.Boolean()
    # set (and base, monthly, yearly null) where the notice published no average wage for this tier
    unavailable = fields.String(allow_none=True, metadata={"description": "该档次无法测算的原因；可测算时为 null"})
    note = fields.String(allow_none=True, metadata={"description": "全年金额不足12个月时所含月份"})
    yearly_unavailable = fields.String(
        allow_none=True,
        metadata={"description": "该月可测算、全年金额无法测算的原因（年内部分月份的通知未公布平均工资）；否则为 null"},
    )


class TiersSchema(Schema):
    region = fields.String()
    region_name = fields.String()
    scheme = fields.String()
    month = fields.String()
    year = fields.Integer()
    tiers = fields.List(fields.Nested(TierSchema))
    references = fields.List(fields.Nested(VersionSchema))


class ErrorDetailSchema(Schema):
    status = fields.Integer()
    code = fields.String()
    message = fields.String()
    field = fields.String(allow_none=True)
    fields_ = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), data_key="fields")


class ApiErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema)


class ProtectionDocumentSchema(Schema):
    doc_no = fields.String(allow_none=True)
    title = fields.String()
    url = fields.String(allow_none=True)
    trust = fields.String()
    trust_label = fields.String()


class InjuryProtectionSchema(Schema):
    """新就业形态人员职业伤害保障：某地平台从业人员是否已纳入试点、起始时间、行业、谁缴费、受伤后怎么办、依据。"""

    region = fields.String()
    region_name = fields.String()
    province = fields.String()
    province_name = fields.String()
    month = fields.String()
    covered = fields.Boolean()
    status = fields.String(metadata={"description": "covered / announced / draft / unknown"})
    since = fields.String(allow_none=True)
    batch = fields.String(allow_none=True)
    message = fields.String()
    industries = fields.List(fields.String())
    industries_note = fields.String()
    who_pays = fields.String()
    worker_pays = fields.String()
    after_injury = fields.String()
    fees = fields.String(allow_none=True)
    national_fees = fields.String()
    note = fields.String(allow_none=True)
    documents = fields.List(fields.Nested(ProtectionDocumentSchema))
    national_documents = fields.List(fields.Nested(ProtectionDocumentSchema))


class InjuryProtectionFeeRequestSchema(Schema):
    """一个月、一地、一个行业的订单：平台企业（或其合作企业）应缴的职业伤害保障费。"""

    region = fields.String(
        required=True,
        validate=validate.Length(max=12),
        metadata={"example": "510100", "pattern": REGION_PATTERN, "description": "地区代码（城市按所在省份的试点）"},
    )
    month = MonthField(required=True, metadata={"description": "订单所属月份"})
    industry = fields.String(
        required=True,
        validate=validate.Length(max=20),
        metadata={"example": "同城货运", "description": "行业：出行、即时配送、同城货运"},
    )
    orders = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=1_000_000_000, error="单量须为0至1000000000之间的整数。"),
        metadata={"example": 12345, "description": "该月在该地该行业的订单数（单量）"},
    )
    per_order = DecimalText(
        places=2,
        maximum=Decimal(10),
        load_default=None,
        allow_none=True,
        metadata={
            "example": "0.07",
            "description": "缴费基准额（元/单）：有多档的行业（即时配送：0.07或0.25）必填，其他行业可不填",
        },
    )
    factor = DecimalText(
        places=4,
        maximum=Decimal(10),
        load_default=Decimal(1),
        metadata={"example": "1", "description": "经办机构核定的浮动系数，不浮动填1（默认）"},
    )

    @post_load
    def _request(self, data: dict[str, Any], **kwargs: Any) -> Any:
        from calc.protection_fee import FeeRequest

        return FeeRequest(**data)


class InjuryProtectionFeeSchema(Schema):
    """平台企业一个月订单的职业伤害保障费：单量 × 缴费基准额 × 浮动系数，四舍五入到分；从业人员个人不缴费。"""

    region = fields.String()
    region_name = fields.String()
    province = fields.String()
    province_name = fields.String()
    month = fields.String()
    industry = fields.String()
    orders = fields.Integer()
    per_order = Ratio(metadata={"description": "缴费基准额（元/单）"})
    factor = Ratio()
    fee = Money(metadata={"description": "应缴职业伤害保障费（元）"})
    worker_pays = Money()
    rounding = fields.String(metadata={"description": "舍入规则（本服务计算规则）"})
    trust = fields.String()
    trust_label = fields.String()
    notes = fields.List(fields.String())
    documents = fields.List(fields.Nested(ProtectionDocumentSchema))
