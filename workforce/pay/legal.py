"""The legal figures pay is computed from, looked up as data (docs/decisions/0008).

A figure in force for a centre on a day is the newest row on or before that day at the most
specific place that has one: the centre itself, its minimum-wage area (`CN-SN:II`), its
province (`CN-SN`), the nation (`CN`). A run reads every row it may need once
(`legal_figures_for`) and then looks figures up in memory, so computing thousands of payslips
costs two queries for all of them.
"""

import dataclasses
import datetime as dt
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _

from aidou.errors import Conflict
from workforce.models import Centre, LegalFigure, TaxBracket


def places_of(centre: Centre) -> list[str]:
    """The regions a centre's figures come from, most specific first (its own rows precede
    them all): `CN-SN:II`, `CN-SN`, `CN`."""
    places: list[str] = []
    region = (centre.pay_region or "").strip()
    if region and centre.min_wage_class:
        places.append(f"{region}:{centre.min_wage_class}")
    while region:
        if region not in places:
            places.append(region)
        region = region.rsplit("-", 1)[0] if "-" in region else ""
    if "CN" not in places:
        places.append("CN")
    return places


@dataclasses.dataclass(frozen=True)
class Bracket:
    lower: Decimal
    rate: Decimal
    quick_deduction: Decimal


@dataclasses.dataclass
class LegalFigures:
    """The figures of one centre on one day, with the rows they came from."""

    centre_id: int
    on: dt.date
    places: list[str]
    rows: list[LegalFigure]
    brackets: list[Bracket]

    def find(self, code: str, qualifier: str = "") -> LegalFigure | None:
        best: dict[str, LegalFigure] = {}
        for row in self.rows:
            if row.code != code or row.qualifier != qualifier or row.effective_from > self.on:
                continue
            place = "centre" if row.centre_id is not None else row.region
            if place == "centre" and row.centre_id != self.centre_id:
                continue
            held = best.get(place)
            if held is None or row.effective_from > held.effective_from:
                best[place] = row
        for place in ["centre", *self.places]:
            if place in best:
                return best[place]
        return None

    def value(self, code: str, qualifier: str = "", default: Decimal | None = None) -> Decimal:
        """The figure's value; Conflict naming the figure when none is in force (HR adds it)."""
        row = self.find(code, qualifier)
        if row is not None:
            return row.value
        if default is not None:
            return default
        label = dict(LegalFigure.Code.choices).get(code, code)
        raise Conflict(
            _("No figure “%(figure)s”%(qualifier)s is in force on %(date)s for this centre; add it first.")
            % {"figure": label, "qualifier": f" ({qualifier})" if qualifier else "", "date": self.on.isoformat()}
        )

    def source(self, code: str, qualifier: str = "") -> str:
        row = self.find(code, qualifier)
        return row.source if row is not None else ""


def legal_figures_for(centre: Centre, on: dt.date) -> LegalFigures:
    """Every figure row and tax bracket that may be in force for `centre` on `on`: two queries."""
    places = places_of(centre)
    rows = list(
        LegalFigure.objects.filter(Q(centre=centre) | Q(centre__isnull=True, region__in=places)).filter(
            effective_from__lte=on
        )
    )
    return LegalFigures(centre_id=centre.pk, on=on, places=places, rows=rows, brackets=tax_brackets_on(on))


def tax_brackets_on(on: dt.date) -> list[Bracket]:
    """The annual withholding table in force on `on` (the newest table), lowest bracket first."""
    latest = (
        TaxBracket.objects.filter(effective_from__lte=on)
        .order_by("-effective_from")
        .values_list("effective_from", flat=True)[:1]
    )
    return [
        Bracket(lower=row.lower, rate=row.rate, quick_deduction=row.quick_deduction)
        for row in TaxBracket.objects.filter(effective_from__in=latest).order_by("lower")
    ]
