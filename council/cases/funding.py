"""Budget and funding arithmetic for the fund step. Exact decimals, no web or database imports."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction


@dataclass(frozen=True)
class Coverage:
    budget: Decimal
    funded: Decimal

    @property
    def shortfall(self) -> Decimal:
        return max(self.budget - self.funded, Decimal(0))

    @property
    def covered(self) -> bool:
        return self.funded >= self.budget

    @property
    def ratio(self) -> Fraction | None:
        """funded / budget as an exact fraction (None when there is no budget)."""
        if self.budget == 0:
            return None
        return Fraction(self.funded) / Fraction(self.budget)


def coverage(budget_amounts, funding_amounts) -> Coverage:
    return Coverage(budget=sum((Decimal(a) for a in budget_amounts), Decimal(0)),
                    funded=sum((Decimal(a) for a in funding_amounts), Decimal(0)))
