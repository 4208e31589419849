"""A platform's 职业伤害保障费 (``calc.protection_fee``) as plain data: the API's answer, an orders row's figures."""

from __future__ import annotations

from typing import Any

from calc.protection_fee import FeeAnswer
from rates.families import TRUST_LABELS

ROUNDING = "单量 × 缴费基准额 × 浮动系数，结果四舍五入到分（本服务计算规则）"


def fee_data(answer: FeeAnswer) -> dict[str, Any]:
    return {
        "region": answer.region,
        "region_name": answer.region_name,
        "province": answer.province,
        "province_name": answer.province_name,
        "month": str(answer.month),
        "industry": answer.industry,
        "orders": answer.orders,
        "per_order": answer.per_order,
        "factor": answer.factor,
        "fee": answer.fee,
        "worker_pays": answer.fee - answer.fee,  # 0.00: the worker pays nothing
        "rounding": ROUNDING,
        "trust": answer.trust,
        "trust_label": TRUST_LABELS[answer.trust],
        "notes": list(answer.notes),
        "documents": [d.data() for d in answer.documents],
    }
