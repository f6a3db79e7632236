"""The certification demo (idempotent; after seed_demo and seed_demo_client): a course, a
question bank with each level-5 paper, a practical set of gold items, skill allowances at
宜君, `yijun_annotator` holding 五级 (taken through both exams to an issued certificate,
so their path to 四级 shows), one revoked certificate, and one verification URL printed."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand
from django.utils import timezone

from annotation import practice
from annotation.demo import DEMO_SCHEMA, street_scene
from annotation.services.api_keys import organisation_get_or_create
from annotation.services.gold import gold_mark
from annotation.services.imports import import_run, import_start
from annotation.services.projects import project_create
from certification import credentials, exams, services
from certification.models import Certificate, Course, ExamSitting, PracticalSet, Question

ORGANISATION = "示例智驾科技 Demo Autodrive"
PRACTICE_PROJECT = "等级认定实操题 Certification practice (demo)"

QUESTIONS = """级别,知识点,题型,题目,答案,A,B,C,D
五级,数据标注,单选,画矩形框时，框的边缘应当怎样？,B,留出较大空白,紧贴目标的可见边缘,只框住目标的一半,随意即可
五级,数据标注,单选,同一辆车被树挡住一部分，应当如何标注？,C,不标注,只标露出的部分并另起一框,按可见部分画一个框,画两个框
五级,数据标注,多选,下列哪些是常用的标注工具？,ABD,矩形框,多边形,扳手,关键点
五级,数据标注,判断,行人的关键点包括头部和双手。,对
五级,质量规范,单选,质检员退回作品后应当怎么做？,A,按退回原因修改后重新提交,直接跳过,删除作品,请同事代做
五级,质量规范,判断,为了提高速度，可以不看标注说明直接开始标注。,错
五级,质量规范,多选,哪些做法有助于提高标注质量？,ABC,先读标注说明,对不确定的图片请教主管,标注完检查一遍,尽量少标
五级,职业道德,判断,可以把客户的图片拷贝回家。,错
五级,职业道德,单选,发现数据中有个人隐私信息时应当？,D,发到群里讨论,自己保存,删除后不说,按规定上报主管
五级,职业道德,判断,工作中遵守保密规定是人工智能训练师的职业守则。,对
四级,数据标注,单选,多边形标注至少需要几个顶点？,B,2,3,4,5
四级,质量规范,判断,IoU 是两个区域交集与并集面积之比。,对
"""


def _first_of_month(day: dt.date, months_back: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


class Command(BaseCommand):
    help = "Load the certification demo (idempotent) and print one verification URL."

    def handle(self, *args, **options):
        User = get_user_model()
        hr = User.objects.filter(username="yijun_hr").first()
        admin = User.objects.filter(username="admin").first()
        annotator = User.objects.filter(username="yijun_annotator").first()
        if hr is None or admin is None or annotator is None:
            self.stdout.write("Certification demo skipped: run seed_demo first.")
            return
        centre = annotator.centre
        for grade, amount in ((5, "100"), (4, "200"), (3, "300")):
            services.skill_allowance_set(actor=hr, centre_id=centre.pk, grade=grade, amount=amount)
        if not Course.objects.filter(centre=centre).exists():
            course = services.course_create(actor=hr, title="人工智能训练师（五级）数据标注基础", hours="40", level_grade=5,
                                            description="标注工具、标注规范、质量要求与职业道德。")  # fmt: skip
            services.course_create(actor=hr, title="人工智能训练师（四级）质量控制", hours="60", level_grade=4)
            start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) + dt.timedelta(days=7)
            services.course_session_create(actor=hr, course_id=course.pk, starts_at=start,
                                           ends_at=start + dt.timedelta(hours=4), place="宜君中心培训室",
                                           trainer="王老师")  # fmt: skip
        if not Question.objects.exists():
            exams.question_import(actor=hr, upload=SimpleUploadedFile("bank.csv", QUESTIONS.encode()))
        exams.blueprint_set(
            actor=hr, grade=5, topics={"数据标注": 2, "质量规范": 2, "职业道德": 2}, duration_minutes=30
        )
        self._practical_set(admin, hr)
        if not Certificate.objects.filter(holder=annotator).exists():
            self._certify(hr, annotator, months_ago=8)
            colleague = (
                User.objects.filter(centre=centre, role_grants__role="annotator", is_active=True)
                .exclude(username="yijun_annotator")
                .exclude(pk__in=Certificate.objects.values("holder_id"))
                .order_by("-id")
                .first()
            )
            if colleague is not None:
                revoked = self._certify(hr, colleague, months_ago=3)
                services.certificate_revoke(actor=hr, certificate_id=revoked.pk, reason="考试身份核验不符（示例）")
        certificate = Certificate.objects.filter(holder=annotator).order_by("-issued_on").first()
        revoked = Certificate.objects.filter(status=Certificate.Status.REVOKED).first()
        self.stdout.write(f"Certification demo: yijun_annotator holds {certificate.level.name} ({certificate.number}).")
        self.stdout.write(f"  Verify it: {credentials.verify_url(certificate)}")
        if revoked is not None:
            self.stdout.write(f"  A revoked one: {credentials.verify_url(revoked)}")

    def _practical_set(self, admin, hr) -> None:
        if PracticalSet.objects.filter(level__grade=5).exists():
            return
        organisation = organisation_get_or_create(name=ORGANISATION)
        project = project_create(organisation=organisation, name=PRACTICE_PROJECT, label_schema=DEMO_SCHEMA,
                                 instructions="框出每一辆车、每一个行人和红绿灯。Box every car, person and traffic light.",
                                 overlap=1)  # fmt: skip
        files, answers = [], {}
        for n in range(3):
            data, annotation = street_scene(seed=900 + n)
            name = f"practice_{n + 1}.jpg"
            files.append(SimpleUploadedFile(name, data, content_type="image/jpeg"))
            answers[name] = annotation
        job = import_start(project=project, files=files, created_by=admin, enqueue=False)
        import_run(job_id=job.pk)
        from annotation.selectors import items_of_project

        ids = []
        for item in items_of_project(project):
            gold_mark(admin, item_id=item.pk, answer=answers[item.file_name])
            ids.append(item.pk)
        exams.practical_set_save(actor=hr, grade=5, name="五级技能考核：街景标注", item_ids=ids, duration_minutes=40)

    def _certify(self, hr, person, *, months_ago: int) -> Certificate:
        """Take `person` through an application, both exams (answered in full) and issue,
        dated `months_ago` months back."""
        application = services.application_nominate(actor=hr, worker_id=person.pk)
        now = timezone.now()
        for kind in (ExamSitting.Kind.THEORY, ExamSitting.Kind.PRACTICAL):
            sitting = services.exam_schedule(actor=hr, application_id=application.pk, kind=kind,
                                             opens_at=now - dt.timedelta(hours=1), closes_at=now + dt.timedelta(hours=1))  # fmt: skip
            attempt = exams.attempt_start(actor=person, sitting_id=sitting.pk)
            if kind == ExamSitting.Kind.THEORY:
                for entry in attempt.paper:
                    answer = Question.objects.get(pk=entry["q"]).answer
                    exams.attempt_answer(actor=person, attempt_id=attempt.pk, question_id=entry["q"],
                                         choices=[i for i, original in enumerate(entry["order"]) if original in answer])  # fmt: skip
            else:
                items = practice.gold_items([entry["item"] for entry in attempt.paper])
                for entry in attempt.paper:
                    exams.practical_submit(actor=person, attempt_id=attempt.pk, item_id=entry["item"],
                                           answer=items[entry["item"]].gold.as_api())  # fmt: skip
            exams.attempt_finish(actor=person, attempt_id=attempt.pk)
        issued_on = _first_of_month(timezone.localdate(), months_ago).replace(day=15)
        return services.certificate_issue(actor=hr, application_id=application.pk, issued_on=issued_on)
