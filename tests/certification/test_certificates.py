"""Applications to an issued certificate, its number, allowance, PDF with a QR code, the
public verification page and revocation."""

import datetime as dt
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from aidou.errors import Conflict, DomainError, NotFound
from certification import credentials, services
from certification.documents import certificate_pdf
from certification.models import Application, ApplicationEvent, Certificate, Level
from tests import factories
from tests.certification.conftest import record_exam
from workforce.models import Allowance

pytestmark = pytest.mark.django_db


def _first_of_next_month(day):
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def test_an_application_freezes_eligibility_and_logs_every_step(ready_candidate, hr):
    application = services.application_submit(actor=ready_candidate)
    assert application.status == Application.Status.SUBMITTED and application.level.grade == 5
    assert application.eligibility["eligible"] and application.eligibility["target"] == 5
    with pytest.raises(Conflict):
        services.application_submit(actor=ready_candidate)  # one open application per level
    with pytest.raises(Conflict):
        services.certificate_issue(actor=hr, application_id=application.pk)  # no exams yet
    record_exam(application, hr, "theory", 59)
    record_exam(application, hr, "practical", 90)
    with pytest.raises(Conflict):
        services.certificate_issue(actor=hr, application_id=application.pk)  # theory below 60
    kinds = list(application.events.values_list("kind", "actor"))
    assert kinds == [("applied", ready_candidate.pk), ("exam_scheduled", hr.pk), ("exam_scheduled", hr.pk)]
    with pytest.raises(DomainError) as error:
        services.application_decline(actor=hr, application_id=application.pk, reason=" ")
    assert error.value.field == "reason"
    services.application_decline(actor=hr, application_id=application.pk, reason="理论考试未通过")
    application.refresh_from_db()
    assert application.status == Application.Status.DECLINED and application.decline_reason == "理论考试未通过"
    assert application.events.last().kind == ApplicationEvent.Kind.DECLINED


def test_a_person_who_does_not_meet_the_requirements_cannot_apply_but_hr_may_nominate(annotator, hr):
    with pytest.raises(Conflict):
        services.application_submit(actor=annotator)
    application = services.application_nominate(actor=hr, worker_id=annotator.pk)
    assert application.nominated_by == hr and not application.eligibility["eligible"]
    assert application.events.get().kind == "nominated"


def test_hr_of_another_centre_finds_nothing(ready_candidate, other_hr):
    application = services.application_submit(actor=ready_candidate)
    with pytest.raises(NotFound):
        services.application_decline(actor=other_hr, application_id=application.pk, reason="x")
    with pytest.raises(NotFound):
        services.application_nominate(actor=other_hr, worker_id=ready_candidate.pk)


def test_issuing_numbers_the_certificate_signs_it_and_starts_the_allowance(ready_candidate, hr, centre):
    centre.code = "YJ"
    centre.save()
    services.skill_allowance_set(actor=hr, centre_id=centre.pk, grade=5, amount="100")
    application = services.application_submit(actor=ready_candidate)
    record_exam(application, hr, "theory", 82)
    record_exam(application, hr, "practical", 75)
    certificate = services.certificate_issue(actor=hr, application_id=application.pk)
    year = timezone.localdate().year
    assert certificate.number == f"YJ-5-{year}-00001"
    assert certificate.holder_name == "王秀英" and certificate.status == "valid"
    assert certificate.credential.count(".") == 2 and certificate.signing_key.centre_id == centre.pk
    application.refresh_from_db()
    assert application.status == "issued" and application.events.last().kind == "issued"
    allowance = Allowance.objects.get(source=f"certification.certificate:{certificate.pk}")
    assert allowance.amount == Decimal("100.00") and allowance.worker == ready_candidate
    assert allowance.starts_on == _first_of_next_month(certificate.issued_on)
    # The path now leads to level 4.
    from certification import eligibility

    path = eligibility.paths_for([ready_candidate.pk])[ready_candidate.pk]
    assert path.held.grade == 5 and path.target.grade == 4


def test_numbers_count_per_centre_level_and_year(hr, centre):
    level = Level.objects.get(grade=5)
    people = [factories.worker(actor=hr, centre=centre) for _ in range(2)]
    numbers = [services._next_number(centre, level.grade, 2026) for _ in people]
    code = centre.code or f"C{centre.pk:03d}"
    assert numbers == [(f"{code}-5-2026-00001", 0), (f"{code}-5-2026-00002", 1)]
    assert services._next_number(centre, 4, 2026) == (f"{code}-4-2026-00001", 2)


def test_revoking_shows_on_the_page_in_the_status_list_and_ends_the_allowance(issued, hr, client, centre):
    services.skill_allowance_set(actor=hr, centre_id=centre.pk, grade=5, amount="80")
    services._allowances_after_issue(issued)
    page = client.get(reverse("certificate-verify", args=[issued.verify_code]))
    assert page.status_code == 200 and "verify-valid" in page.content.decode()
    with pytest.raises(DomainError):
        services.certificate_revoke(actor=hr, certificate_id=issued.pk, reason="")
    services.certificate_revoke(actor=hr, certificate_id=issued.pk, reason="考试舞弊")
    with pytest.raises(Conflict):
        services.certificate_revoke(actor=hr, certificate_id=issued.pk, reason="again")
    page = client.get(reverse("certificate-verify", args=[issued.verify_code])).content.decode()
    assert "verify-revoked" in page and "考试舞弊" not in page  # the reason is HR's, not the public's
    listed = client.get(reverse("certification-status-list", args=[centre.pk]))
    assert listed["Content-Type"] == "application/vc+jwt"
    import jwt

    claims = jwt.decode(listed.content.decode(), options={"verify_signature": False})
    assert credentials.status_bit(claims["vc"]["credentialSubject"]["encodedList"], issued.status_index)
    assert not credentials.status_bit(claims["vc"]["credentialSubject"]["encodedList"], issued.status_index + 1)
    # Never paid (it would have started next month): the allowance is gone.
    assert not Allowance.objects.filter(source=f"certification.certificate:{issued.pk}").exists()


def test_the_verification_page_is_public_masked_and_unknown_codes_are_404(
    issued, client, django_assert_max_num_queries
):
    url = reverse("certificate-verify", args=[issued.verify_code])
    with django_assert_max_num_queries(1):
        page = client.get(url)
    body = page.content.decode()
    assert page.status_code == 200
    assert "王*英" in body and "王秀英" not in body
    assert "五级" in body and issued.issued_on.strftime("%Y-%m-%d") in body
    assert issued.holder.mobile not in body
    assert client.get(reverse("certificate-verify", args=["no-such-code"])).status_code == 404


def test_the_pdf_has_the_name_in_chinese_and_a_qr_code_that_opens_the_page(issued, client, settings):
    pypdf = pytest.importorskip("pypdf")
    data = certificate_pdf(issued)
    text = (
        pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text().replace("\x00", "")
    )  # as tests/test_pdf.py reads it
    assert "王秀英" in text and "人工智能训练师" in text and issued.number in text
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    reader = pypdf.PdfReader(io.BytesIO(data))
    image = reader.pages[0].images[0].image
    decoded = zxingcpp.read_barcodes(image.convert("L") if isinstance(image, Image.Image) else image)
    assert decoded, "the QR code could not be read"
    url = decoded[0].text
    assert url == settings.AIDOU_PUBLIC_URL + reverse("certificate-verify", args=[issued.verify_code])
    page = client.get(url.removeprefix(settings.AIDOU_PUBLIC_URL))
    assert page.status_code == 200 and "王*英" in page.content.decode()


def test_a_higher_level_ends_the_lower_levels_allowance(issued, hr, centre):
    level4 = Level.objects.get(grade=4)
    services.skill_allowance_set(actor=hr, centre_id=centre.pk, grade=4, amount="200")
    from workforce.pay.services import allowance_grant

    allowance_grant(worker=issued.holder, code="skill_allowance", label="x", amount=Decimal("100"),
                    starts_on=issued.issued_on.replace(day=1), source=f"certification.certificate:{issued.pk}")  # fmt: skip
    higher = Certificate.objects.create(number="X-4", verify_code="x4", holder=issued.holder, holder_name="王秀英",
                                        level=level4, centre=centre, issuing_body="x", issued_on=issued.issued_on,
                                        status_index=99)  # fmt: skip
    services._allowances_after_issue(higher)
    lower = Allowance.objects.get(source=f"certification.certificate:{issued.pk}")
    assert lower.ends_on == _first_of_next_month(issued.issued_on) - dt.timedelta(days=1)
    assert Allowance.objects.get(source=f"certification.certificate:{higher.pk}").amount == Decimal("200.00")
