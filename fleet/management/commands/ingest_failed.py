"""`manage.py ingest_failed`: the agent messages the server accepted but could not apply (a fault of the server,
logged when it happened). Lists them; `--replay` applies them again once the fault is fixed (oldest first;
those that apply are removed); `--discard` deletes them after a decision that they are not wanted."""
from django.core.management.base import BaseCommand
from django.db.models import Count

from fleet.models import FailedMessage
from fleet.services.ingest import replay_failed


class Command(BaseCommand):
    help = "List, replay or discard agent messages that could not be applied."

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--replay", action="store_true", help="apply them again, oldest first")
        action.add_argument("--discard", action="store_true", help="delete them")
        parser.add_argument("--limit", type=int, help="at most this many (with --replay)")

    def handle(self, *args, replay, discard, limit, **options):
        if replay:
            result = replay_failed(limit=limit)
            self.stdout.write(f"Replayed: {result.applied} applied, {result.duplicates} duplicates, "
                              f"{result.refused} refused, {result.errors} failed again.")
            for text in result.problems:
                self.stdout.write(f"  {text}")
        elif discard:
            count, _ = FailedMessage.objects.all().delete()
            self.stdout.write(f"Discarded {count} message(s).")
        total = FailedMessage.objects.count()
        self.stdout.write(f"{total} message(s) waiting.")
        for row in (FailedMessage.objects.values("message_type", "error").annotate(n=Count("id"))
                    .order_by("-n")[:20]):
            self.stdout.write(f"  {row['n']:>6}  {row['message_type']:<10} {row['error'][:120]}")
