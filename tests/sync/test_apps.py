from django.apps import apps
from django.db.models.signals import post_migrate
from django_q.models import Schedule


def test_migrate_creates_the_ops_schedules(db):
    Schedule.objects.all().delete()

    post_migrate.send(sender=apps.get_app_config("sync"), app_config=apps.get_app_config("sync"), using="default")

    funcs = set(Schedule.objects.values_list("func", flat=True))
    assert {"sync.tasks.number_series_check_all", "sync.tasks.flows_stale_check"} <= funcs
