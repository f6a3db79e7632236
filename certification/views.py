"""Certification's pages. The candidate: their path, applications, exams and certificates.
HR: people with their paths (filter: eligible now), applications taken through exams to a
certificate, certificates and revocation, the standard, training, the exam bank, the
dashboard. Views are thin: parse, call one service or selector, render."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from aidou.errors import DomainError
from annotation import practice
from certification import dashboard, eligibility, exams, policies, selectors, services
from certification.models import Application, Attempt, ExamSitting, Level, Question, StandardVersion


def _hr(request):
    if not policies.can_view_certification(request.user):
        raise PermissionDenied
    return request.user


def _manager(request):
    if not policies.can_manage_certification(request.user):
        raise PermissionDenied
    return request.user


def _run(request, call, done: str) -> bool:
    """Call a service; its refusal becomes a message on the page, naming the field."""
    try:
        call()
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, done)
    return True


def _when(value: str) -> dt.datetime | None:
    parsed = parse_datetime(value or "")
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def path_rows(path: eligibility.Path | dict) -> list[dict]:
    """Requirement states ready to show: title, where the person stands, a progress bar."""
    states = path.states if isinstance(path, eligibility.Path) else path
    return [
        {**state, "title": eligibility.state_title(state), "text": eligibility.state_text(state)} for state in states
    ]


# --- The candidate --------------------------------------------------------------------------


def path_panel(request) -> dict | None:
    """The career path's place on the annotator's home (aidou.panels). No query: the home
    stays as fast as its own figures make it, and static/js/path-panel.js fills the panel
    from `path_fragment` (without script, a link to the person's certification page)."""
    if not policies.can_seek_certification(request.user):
        return None
    return {}


@login_required
def path_fragment(request):
    """The career path: what they hold, the next level, each requirement with a progress
    bar and the gap in words (the panel's body, about ten queries)."""
    path = selectors.own_path(request.user)
    if path is None:
        raise PermissionDenied
    open_application = selectors.own_applications(request.user).filter(status__in=Application.OPEN).first()
    return render(request, "certification/_path_panel_body.html",
                  {"path": path, "rows": path_rows(path), "open_application": open_application})  # fmt: skip


def hr_panel(request) -> dict | None:
    """HR's way in from the home page."""
    if not policies.can_view_certification(request.user):
        return None
    return {"manage": policies.can_manage_certification(request.user)}


@login_required
def my_certification(request):
    if not policies.can_seek_certification(request.user):
        raise PermissionDenied
    applications = list(selectors.own_applications(request.user).prefetch_related("events", "sittings__attempt"))
    for application in applications:
        for sitting in application.sittings.all():
            attempt = getattr(sitting, "attempt", None)
            if attempt is not None:
                exams.attempt_finish_if_due(attempt)
    path = selectors.own_path(request.user)
    return render(
        request,
        "certification/mine.html",
        {
            "path": path,
            "rows": path_rows(path) if path else [],
            "applications": applications,
            "certificates": selectors.certificates_visible_to(request.user).filter(holder=request.user),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def apply(request):
    _run(request, lambda: services.application_submit(actor=request.user), _("Your application is in."))
    return redirect("certification-mine")


@login_required
@require_POST
def withdraw(request, application_id: int):
    _run(request, lambda: services.application_withdraw(actor=request.user, application_id=application_id),
         _("Application withdrawn."))  # fmt: skip
    return redirect("certification-mine")


def _own_sitting(request, sitting_id: int) -> ExamSitting:
    sitting = (
        ExamSitting.objects.select_related("application__level")
        .filter(pk=sitting_id, application__worker=request.user)
        .first()
    )
    if sitting is None:
        raise Http404
    return sitting


@login_required
def exam_take(request, sitting_id: int):
    """GET: the exam's page (before: its rules and a start button; during: the paper;
    after: the result). POST start: begin it. POST answers (no script): save them all."""
    sitting = _own_sitting(request, sitting_id)
    attempt = Attempt.objects.filter(sitting=sitting).first()
    if attempt is not None:
        attempt = exams.attempt_finish_if_due(attempt)
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "start":
            try:
                attempt = exams.attempt_start(actor=request.user, sitting_id=sitting.pk)
            except DomainError as exc:
                messages.error(request, exc.message)
            if attempt is not None and sitting.kind == ExamSitting.Kind.PRACTICAL and attempt.finished_at is None:
                return redirect("exam-practical", attempt_id=attempt.pk)
            return redirect("exam-take", sitting_id=sitting.pk)
        if attempt is None:
            raise Http404
        try:
            for entry in attempt.paper if sitting.kind == ExamSitting.Kind.THEORY else []:
                chosen = [int(v) for v in request.POST.getlist(f"q{entry['q']}") if v.isdigit()]
                if chosen:
                    exams.attempt_answer(actor=request.user, attempt_id=attempt.pk, question_id=entry["q"],
                                         choices=chosen)  # fmt: skip
            if action == "finish":
                exams.attempt_finish(actor=request.user, attempt_id=attempt.pk)
                messages.success(request, _("Handed in."))
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("exam-take", sitting_id=sitting.pk)
    context = {"sitting": sitting, "attempt": attempt, "now": timezone.now()}
    if attempt is not None and sitting.kind == ExamSitting.Kind.THEORY:
        context["questions"] = _paper_questions(attempt, reveal=attempt.finished_at is not None)
    if attempt is not None and sitting.kind == ExamSitting.Kind.PRACTICAL and attempt.finished_at is not None:
        context["practical_results"] = list(attempt.practical_answers.all())
    return render(request, "certification/exam.html", context)


def _paper_questions(attempt: Attempt, *, reveal: bool) -> list[dict]:
    questions = Question.objects.in_bulk([entry["q"] for entry in attempt.paper])
    shown = []
    for number, entry in enumerate(attempt.paper, start=1):
        question = questions.get(entry["q"])
        if question is None:
            continue
        chosen = set(attempt.answers.get(str(question.pk), []))
        options = [
            {"index": i, "text": question.options[original], "chosen": i in chosen,
             "right": reveal and original in question.answer}
            for i, original in enumerate(entry["order"])
        ]  # fmt: skip
        shown.append({"number": number, "question": question, "options": options,
                      "multiple": question.kind == Question.Kind.MULTIPLE})  # fmt: skip
    return shown


@login_required
def exam_practical(request, attempt_id: int):
    """The practical exam in the workbench: the same page and script as work, pointed at
    the exam's endpoints, with drafts kept apart from work's."""
    attempt = Attempt.objects.select_related("sitting").filter(pk=attempt_id, candidate=request.user).first()
    if attempt is None or attempt.sitting.kind != ExamSitting.Kind.PRACTICAL:
        raise Http404
    if attempt.finished_at is not None:
        return redirect("exam-take", sitting_id=attempt.sitting_id)
    base = f"/api/v1/exams/attempts/{attempt.pk}"
    config = {
        "api": {
            "next": reverse("exam-practical-next", args=[attempt.pk]),
            "submit": f"{base}/items/{{id}}/submit/",
            "skip": f"{base}/items/{{id}}/skip/",
            "heartbeat": f"{base}/items/{{id}}/heartbeat/",
        },
        "home": reverse("exam-take", args=[attempt.sitting_id]),
        "heartbeat_seconds": 30,
        "idle_seconds": 60,
        "user": f"{request.user.pk}.exam{attempt.pk}",
    }
    return render(request, "annotation/workbench.html", {"config": config})


@login_required
def exam_practical_image(request, attempt_id: int, item_id: int):
    """An image of the candidate's open practical exam (and nobody else's)."""
    attempt = Attempt.objects.filter(pk=attempt_id, candidate=request.user, finished_at__isnull=True).first()
    if attempt is None or item_id not in {entry.get("item") for entry in attempt.paper}:
        raise Http404
    item = practice.gold_items([item_id]).get(item_id)
    if item is None:
        raise Http404
    response = FileResponse(item.image.open("rb"), content_type=item.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@login_required
def certificate_download(request, certificate_id: int):
    certificate = selectors.certificate_get(request.user, certificate_id)
    from certification.documents import certificate_pdf  # fpdf2 and segno: 60 MB, loaded when a PDF is asked for

    response = HttpResponse(certificate_pdf(certificate), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="certificate-{certificate.number}.pdf"'
    return response


# --- HR -------------------------------------------------------------------------------------


@login_required
def hr_people(request):
    actor = _hr(request)
    eligible_only = request.GET.get("eligible") == "1"
    rows = selectors.people_paths(actor, eligible_only=eligible_only, search=request.GET.get("q", ""))
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    shown = [{"person": person, "path": path, "met": sum(1 for s in path.states if s["met"]),
              "rows": path_rows(path)} for person, path in page]  # fmt: skip
    return render(request, "certification/hr_people.html", {
        "page": page, "rows": shown, "eligible_only": eligible_only, "q": request.GET.get("q", ""),
        "manage": policies.can_manage_certification(actor), "total": len(rows),
    })  # fmt: skip


@login_required
@require_POST
def hr_nominate(request, worker_id: int):
    actor = _manager(request)
    _run(request, lambda: services.application_nominate(actor=actor, worker_id=worker_id), _("Nominated."))
    return redirect(request.POST.get("next") or "certification-hr-applications")


@login_required
def hr_applications(request):
    actor = _hr(request)
    status = request.GET.get("status", "open")
    qs = selectors.applications_visible_to(actor)
    if status == "open":
        qs = qs.filter(status__in=Application.OPEN)
    elif status in Application.Status.values:
        qs = qs.filter(status=status)
    page = Paginator(qs.order_by("-created_at", "-id"), 50).get_page(request.GET.get("page"))
    return render(request, "certification/hr_applications.html", {
        "page": page, "status": status, "statuses": Application.Status.choices,
    })  # fmt: skip


@login_required
def hr_application(request, application_id: int):
    actor = _hr(request)
    application = selectors.application_get(actor, application_id)
    if request.method == "POST":
        _manager(request)
        action = request.POST.get("action")
        if action == "schedule":
            opens, closes = _when(request.POST.get("opens_at", "")), _when(request.POST.get("closes_at", ""))
            if opens is None or closes is None:
                messages.error(request, _("Give the window's opening and closing times."))
            else:
                _run(request, lambda: services.exam_schedule(actor=actor, application_id=application.pk,
                                                             kind=request.POST.get("kind", ""), opens_at=opens,
                                                             closes_at=closes), _("Exam scheduled."))  # fmt: skip
        elif action == "issue":
            _run(request, lambda: services.certificate_issue(actor=actor, application_id=application.pk),
                 _("Certificate issued."))  # fmt: skip
        elif action == "decline":
            _run(request, lambda: services.application_decline(actor=actor, application_id=application.pk,
                                                               reason=request.POST.get("reason", "")),
                 _("Application declined."))  # fmt: skip
        return redirect("certification-hr-application", application_id=application.pk)
    sittings = list(application.sittings.select_related("attempt").all())
    for sitting in sittings:
        if hasattr(sitting, "attempt"):
            exams.attempt_finish_if_due(sitting.attempt)
    states = services.application_states(application)
    now = timezone.localtime()
    return render(request, "certification/hr_application.html", {
        "application": application, "rows": path_rows(states), "sittings": sittings,
        "events": application.events.select_related("actor"), "kinds": ExamSitting.Kind.choices,
        "ready": all(s["met"] for s in states if s["code"] in eligibility.EXAM_CODES),
        "certificate": getattr(application, "certificate", None) if application.status == "issued" else None,
        "manage": policies.can_manage_certification(actor),
        "default_open": now.strftime("%Y-%m-%dT%H:%M"),
        "default_close": (now + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M"),
    })  # fmt: skip


@login_required
def hr_certificates(request):
    actor = _hr(request)
    if request.method == "POST":
        _manager(request)
        _run(request, lambda: services.certificate_revoke(actor=actor, certificate_id=request.POST.get("certificate"),
                                                          reason=request.POST.get("reason", "")),
             _("Certificate revoked."))  # fmt: skip
        return redirect("certification-hr-certificates")
    qs = selectors.certificates_visible_to(actor).order_by("-issued_on", "-id")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "certification/hr_certificates.html", {
        "page": page, "manage": policies.can_manage_certification(actor),
    })  # fmt: skip


@login_required
def hr_standard(request):
    actor = _hr(request)
    version = eligibility.version_in_force()
    requirements = eligibility.requirements_of(version)
    if request.method == "POST":
        _manager(request)
        changes = {
            grade: {name: request.POST.get(f"{grade}-{name}") for name in services.REQUIREMENT_FIELDS
                    if request.POST.get(f"{grade}-{name}") is not None}
            for grade in requirements
        }  # fmt: skip
        _run(request, lambda: services.standard_revise(actor=actor, changes=changes, note=request.POST.get("note", "")),
             _("A new version of the standard is in force."))  # fmt: skip
        return redirect("certification-hr-standard")
    from workforce.models import WorkUnit

    return render(request, "certification/hr_standard.html", {
        "version": version, "requirements": [requirements[g] for g in sorted(requirements, reverse=True)],
        "versions": StandardVersion.objects.select_related("created_by")[:20], "units": WorkUnit.choices,
        "manage": policies.can_manage_certification(actor),
    })  # fmt: skip


@login_required
def hr_training(request):
    actor = _hr(request)
    if request.method == "POST":
        _manager(request)
        action = request.POST.get("action")
        if action == "course":
            _run(request, lambda: services.course_create(actor=actor, title=request.POST.get("title", ""),
                                                         hours=request.POST.get("hours", ""),
                                                         level_grade=int(request.POST.get("level") or 0) or None,
                                                         description=request.POST.get("description", "")),
                 _("Course added."))  # fmt: skip
        elif action == "session":
            starts, ends = _when(request.POST.get("starts_at", "")), _when(request.POST.get("ends_at", ""))
            if starts is None or ends is None:
                messages.error(request, _("Give the session's start and end."))
            else:
                _run(request, lambda: services.course_session_create(actor=actor, course_id=request.POST.get("course"),
                                                                     starts_at=starts, ends_at=ends,
                                                                     place=request.POST.get("place", ""),
                                                                     trainer=request.POST.get("trainer", "")),
                     _("Session added."))  # fmt: skip
        elif action == "completion":
            day = parse_date(request.POST.get("completed_on", "")) or timezone.localdate()
            _run(request, lambda: services.completion_record(actor=actor, course_id=request.POST.get("course"),
                                                             worker_id=request.POST.get("worker"), completed_on=day),
                 _("Completion recorded."))  # fmt: skip
        return redirect("certification-hr-training")
    return render(request, "certification/hr_training.html", {
        "courses": selectors.courses_visible_to(actor).prefetch_related("sessions"), "levels": Level.objects.all(),
        "manage": policies.can_manage_certification(actor), "today": timezone.localdate(),
    })  # fmt: skip


@login_required
def hr_exams(request):
    actor = _hr(request)
    if request.method == "POST":
        _manager(request)
        action = request.POST.get("action")
        if action == "import" and request.FILES.get("file"):
            try:
                result = exams.question_import(actor=actor, upload=request.FILES["file"])
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                messages.success(request, _("%(n)s questions added.") % {"n": result.created})
                for error in result.errors[:20]:
                    messages.error(request, _("Row %(row)s: %(reason)s") % error)
        elif action == "blueprint":
            topics = {}
            for line in request.POST.get("topics", "").splitlines():
                topic, _sep, n = line.rpartition("=")
                if topic.strip() and n.strip().isdigit():
                    topics[topic.strip()] = int(n)
            _run(request, lambda: exams.blueprint_set(actor=actor, grade=int(request.POST.get("level") or 0),
                                                      topics=topics,
                                                      duration_minutes=int(request.POST.get("duration") or 0)),
                 _("Paper saved."))  # fmt: skip
        elif action == "practical":
            ids = [int(i) for i in request.POST.getlist("items") if i.isdigit()]
            _run(request, lambda: exams.practical_set_save(actor=actor, grade=int(request.POST.get("level") or 0),
                                                           name=request.POST.get("name", ""), item_ids=ids,
                                                           duration_minutes=int(request.POST.get("duration") or 60)),
                 _("Practical exam saved."))  # fmt: skip
        return redirect("certification-hr-exams")
    from django.db.models import Count

    bank = Question.objects.filter(is_active=True).values("level__name", "topic").annotate(n=Count("id"))
    return render(request, "certification/hr_exams.html", {
        "bank": bank.order_by("-level__grade", "topic"),
        "levels": Level.objects.select_related("blueprint", "practical_set"),
        "gold": practice.gold_items_available()[:200],
        "manage": policies.can_manage_certification(actor),
    })  # fmt: skip


@login_required
def hr_dashboard(request):
    actor = _hr(request)
    return render(request, "certification/hr_dashboard.html", dashboard.dashboard_for(actor))
