"""The demo client: an organisation, a login for its pages, an API key, and a project of
40 drawn street scenes imported with COCO pre-annotations through the real import job.
Idempotent: a second run changes nothing and prints the same key."""

import hashlib
import json
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.utils import timezone

from annotation.demo import DEMO_SCHEMA, coco_for, street_scene
from annotation.demo_pay import demo_rates_set
from annotation.models import ApiKey, Batch, ClientMember, Project
from annotation.services.api_keys import organisation_get_or_create
from annotation.services.assignments import assignment_next, assignment_submit
from annotation.services.batches import Assignees, ItemChoice, batch_create
from annotation.services.imports import import_run, import_start
from annotation.services.projects import project_create
from annotation.services.quality import quality_recompute_start
from annotation.services.reviews import review_decide
from workforce.management.commands.seed_demo import DEMO_PASSWORD
from workforce.models import Role, Team

ORGANISATION = "示例智驾科技 Demo Autodrive"
# A published key for the demo only; real keys are random and stored hashed.
DEMO_KEY = "aidou_demo0000_" + "DemoKeyForTheLocalDemoOnly-DoNotUseElsewhere"  # noqa: S105
SCENES = 40


class Command(BaseCommand):
    help = "Load the demo client organisation and its street-scene dataset (idempotent)."

    def handle(self, *args, **options):
        organisation = organisation_get_or_create(name=ORGANISATION)
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username="client_demo", defaults={"name": "示例客户", "password": make_password(DEMO_PASSWORD)}
        )
        ClientMember.objects.get_or_create(user=user, defaults={"organisation": organisation})
        ApiKey.objects.get_or_create(
            prefix="demo0000",
            defaults={
                "organisation": organisation,
                "name": "demo",
                "key_hash": hashlib.sha256(DEMO_KEY.encode()).hexdigest(),
            },
        )
        project = Project.objects.filter(organisation=organisation).first() or project_create(
            organisation=organisation,
            name="街景标注示例 Street scenes (demo)",
            label_schema=DEMO_SCHEMA,
            instructions="框出每一辆车、每一个行人和红绿灯；行人另画轮廓并标出头和双手。\n"
            "Box every car, person and traffic light; outline each person and mark the head and hands.",
            overlap=2,
        )
        if not project.items.exists():
            scenes, files = [], []
            for n in range(SCENES):
                data, annotation = street_scene(seed=n)
                name = f"street_{n + 1:03d}.jpg"
                files.append(SimpleUploadedFile(name, data, content_type="image/jpeg"))
                scenes.append((name, 640, 360, annotation))
            coco = coco_for(scenes, DEMO_SCHEMA)

            job = import_start(
                project=project,
                files=files,
                annotations=SimpleUploadedFile("coco.json", json.dumps(coco).encode()),
                created_by=user,
                enqueue=False,
            )
            job = import_run(job_id=job.pk)
            self.stdout.write(f"Demo dataset imported: {job.accepted} images, {job.rejected} rejected.")
        self._batches(project)
        self.stdout.write(f"Demo client: log in as client_demo (password {DEMO_PASSWORD}) for {ORGANISATION}")
        self.stdout.write(f"Demo client API key: {DEMO_KEY}")
        self.stdout.write(f"  curl -H 'Authorization: Token {DEMO_KEY}' http://127.0.0.1:8000/api/v1/projects/")

    def _batches(self, project: Project) -> None:
        """Open two batches of the demo dataset to the Yijun teams, and have a few demo
        annotators label some images, so a supervisor sees work in progress and the demo
        annotator can start at once."""
        if Batch.objects.filter(project=project).exists():
            return
        User = get_user_model()
        supervisor = User.objects.filter(username="yijun_supervisor").first()
        if supervisor is None:  # seed_demo has not run: no centre staff to give work to
            return
        teams = list(Team.objects.filter(centre=supervisor.centre).order_by("id"))
        demo_rates_set(project, supervisor)  # Yijun's rates first: the work accepted below is paid
        today = timezone.localdate()
        batch_create(
            actor=supervisor,
            project=project,
            choice=ItemChoice(size=24),
            assignees=Assignees(teams=[team.pk for team in teams]),
            name="街景第一批 Street scenes, batch 1",
            priority=5,
            due=today + timedelta(days=3),
        )
        batch_create(
            actor=supervisor,
            project=project,
            choice=ItemChoice(size=16),
            assignees=Assignees(teams=[team.pk for team in teams]),
            name="街景第二批 Street scenes, batch 2",
            priority=0,
            due=today + timedelta(days=10),
        )
        # Colleagues of the demo annotator have done some work (their pre-annotations,
        # submitted as drawn); one of them is in the middle of an image.
        colleagues = (
            User.objects.filter(centre=supervisor.centre, role_grants__role=Role.ANNOTATOR, is_active=True)
            .exclude(username="yijun_annotator")
            .order_by("id")[:4]
        )
        submitted = []
        for n, colleague in enumerate(colleagues):
            for _ in range(3 if n < 3 else 1):
                offer = assignment_next(annotator=colleague)
                if offer is None:
                    break
                if n < 3:
                    prefill = offer.prefill or {"shapes": [], "class": None}
                    stored, _created = assignment_submit(
                        annotator=colleague, assignment_id=offer.assignment_id, annotation=prefill,
                        client_time_ms=45_000,
                    )  # fmt: skip
                    submitted.append(stored)
        # The demo reviewer has been through some of it: three accepted, one sent back;
        # the rest waits in the review queue.
        reviewer = User.objects.filter(username="yijun_reviewer").first()
        if reviewer is not None and len(submitted) >= 4:
            for stored in submitted[:3]:
                review_decide(reviewer=reviewer, annotation_id=stored.pk, decision="accept")
            review_decide(
                reviewer=reviewer, annotation_id=submitted[3].pk, decision="reject",
                reasons=[project.reject_reasons[0]], comment="右侧路边的行人没有框 The person on the right kerb is missing",
            )  # fmt: skip
        # A first quality recomputation, so the supervisor's dashboard has figures (the
        # worker started with the server runs it).
        quality_recompute_start(project=project, created_by=supervisor)
        self.stdout.write(
            "Demo batches: 2 open to the Yijun teams; log in as yijun_annotator to label, yijun_reviewer to review."
        )
