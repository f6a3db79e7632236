from django.core.management.base import BaseCommand

from annotation.services.api_keys import api_key_create, organisation_get_or_create


class Command(BaseCommand):
    help = "Create an API key for a client organisation (created if missing). The key is printed once."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="the client organisation's name")
        parser.add_argument("--name", default="API key", help="a name to recognise the key by")

    def handle(self, *args, org: str, name: str, **options):
        organisation = organisation_get_or_create(name=org)
        api_key, secret = api_key_create(organisation=organisation, name=name)
        self.stdout.write(f"Organisation: {organisation.name} (id {organisation.pk})")
        self.stdout.write(f"API key ({api_key.name}), shown once, store it now:")
        self.stdout.write(secret)
