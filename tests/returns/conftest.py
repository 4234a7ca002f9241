from __future__ import annotations

import pytest

from mutuals.registry.models import LegalForm, Organisation, OrganisationKind, Region
from mutuals.returns.models import Direction, Domain, Metric


@pytest.fixture
def catalogue(db):
    """Two providers (one known by ODS code, one by company number) and three metrics."""
    health = Organisation.objects.create(
        name="Brackenford Community Health CIC",
        kind=OrganisationKind.PROVIDER,
        legal_form=LegalForm.CIC_GUARANTEE,
        ods_code="NQX01",
        company_number="07123456",
        region=Region.NORTH_EAST,
    )
    care = Organisation.objects.create(
        name="Fenmoor Care Co-operative",
        kind=OrganisationKind.PROVIDER,
        legal_form=LegalForm.COOPERATIVE,
        company_number="RS007001",
        region=Region.SOUTH_WEST,
    )
    metrics = {
        "sickness-absence": Metric.objects.create(
            code="sickness-absence",
            name="Sickness absence",
            unit="%",
            direction=Direction.LOWER_IS_BETTER,
            domain=Domain.WORKFORCE,
        ),
        "patient-experience": Metric.objects.create(
            code="patient-experience",
            name="Patients positive",
            unit="%",
            direction=Direction.HIGHER_IS_BETTER,
            domain=Domain.EXPERIENCE,
        ),
        "operating-margin": Metric.objects.create(
            code="operating-margin",
            name="Operating margin",
            unit="%",
            direction=Direction.HIGHER_IS_BETTER,
            domain=Domain.FINANCE,
            allows_negative=True,
        ),
    }
    return {"health": health, "care": care, **metrics}
