from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError

from aidou.errors import DomainError
from workforce import services
from workforce.models import Role, User


class Command(BaseCommand):
    help = "Import or update people from a roster file (.xlsx or .csv), as HR's upload page does."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--initial-password", default="", help="password for people the file creates")
        parser.add_argument(
            "--as-user",
            default="",
            help="username of the HR account to act as (default: a network admin)",
        )

    def handle(self, *args, file: Path, initial_password: str, as_user: str, **options):
        if not file.is_file():
            raise CommandError(f"no such file: {file}")
        actor = self._actor(as_user)
        upload = SimpleUploadedFile(file.name, file.read_bytes())
        try:
            job = services.roster_import_start(
                actor=actor, upload=upload, initial_password=initial_password, enqueue=False
            )
        except (ValidationError, DomainError) as exc:
            raise CommandError(str(exc)) from exc
        # Run here, in this process, so the command's exit status tells the outcome.
        job = services.roster_import_run(job_id=job.pk) or job
        if job.failure:
            raise CommandError(job.failure)
        self.stdout.write(
            f"{job.total} rows: {job.created} created, {job.updated} updated, {job.unchanged} unchanged, "
            f"{job.rejected} rejected"
        )
        for error in job.errors:
            self.stdout.write(f"  row {error['row']}: {error['field']}: {error['reason']}")

    def _actor(self, username: str) -> User:
        if username:
            actor = User.objects.filter(username=username).first()
            if actor is None:
                raise CommandError(f"no user named {username}")
            return actor
        actor = (
            User.objects.filter(is_active=True, role_grants__role=Role.NETWORK_ADMIN).order_by("pk").first()
            or User.objects.filter(is_active=True, is_superuser=True).order_by("pk").first()
        )
        if actor is None:
            raise CommandError("no network admin to act as: create one, or pass --as-user")
        return actor
