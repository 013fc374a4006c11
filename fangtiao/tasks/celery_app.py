"""The scale-out backend of the task interface: Celery on Redis or RabbitMQ (ADR 0013).

    FANGTIAO_TASK_BACKEND=celery FANGTIAO_BROKER_URL=redis://… \
        celery -A fangtiao.tasks.celery_app worker --beat -l info      # one process with beat
    celery -A fangtiao.tasks.celery_app worker -l info                 # more workers, no beat

Messages carry only an outbox row's id; the row (fangtiao.tasks.models.Task) is the truth. Acks are
late and a lost worker's message is requeued, so a task may be delivered twice; `run_task` claims
the row with compare-and-set, so it runs once. Beat sends each periodic job every period; the job's
ScheduleSlot decides which delivery runs it, so a second beat by mistake still runs each slot once.
The relay republishes rows the broker never got (it was down at commit) or lost."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangtiao.settings")

import django  # noqa: E402

django.setup()

from celery import Celery  # noqa: E402
from django.conf import settings  # noqa: E402

from fangtiao.env import env_int  # noqa: E402
from fangtiao.tasks import registry  # noqa: E402

TICK_SECONDS = env_int("FANGTIAO_TICK_SECONDS", 60, minimum=1)

app = Celery("fangtiao")
app.conf.update(
    broker_url=settings.FANGTIAO_BROKER_URL or None,
    broker_connection_retry_on_startup=True,
    # a message whose worker died mid-task goes back to the queue (Redis: after the visibility timeout)
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    task_ignore_result=True,
    task_default_queue=settings.FANGTIAO_TASK_QUEUE,
    # Redis: an unacked message returns after the lease; every key carries the queue's name, so
    # installations (and test runs) sharing one Redis database never touch each other's messages
    broker_transport_options={"visibility_timeout": settings.FANGTIAO_TASK_LEASE_SECONDS,
                              "global_keyprefix": f"{settings.FANGTIAO_TASK_QUEUE}:"},
    broker_connection_timeout=2,
    timezone=settings.TIME_ZONE,
    enable_utc=True,
    worker_hijack_root_logger=False,
    beat_schedule_filename=str(settings.VAR_DIR / "celerybeat-schedule"),
    beat_schedule={
        **{f"periodic:{job.name}": {"task": "fangtiao.periodic", "schedule": float(job.every or TICK_SECONDS),
                                    "args": (job.name,)} for job in registry.PERIODIC},
        "relay": {"task": "fangtiao.relay", "schedule": float(TICK_SECONDS)},
        "requeue_stale": {"task": "fangtiao.requeue_stale", "schedule": float(TICK_SECONDS)},
    },
)


@app.task(name="fangtiao.run", acks_late=True, reject_on_worker_lost=True)
def run(task_id: int) -> bool:
    from fangtiao.tasks import services

    if services.run_task(int(task_id)):
        return True
    wait = services.not_yet_due(int(task_id))  # early (a retry's backoff, this host's clock behind)
    if wait is not None:
        services.publish(int(task_id), countdown=wait)
    return False


@app.task(name="fangtiao.periodic", acks_late=True)
def periodic(name: str) -> bool:
    from fangtiao.tasks import services

    # half a period of slack: beat's messages reach a busy worker late and an idle one early
    ran, _ = services.run_periodic(name, tick=TICK_SECONDS, slack=0.5)
    services.heartbeat()
    return ran


@app.task(name="fangtiao.relay")
def relay() -> int:
    from fangtiao.tasks import services

    return services.relay()


@app.task(name="fangtiao.requeue_stale")
def requeue_stale() -> int:
    from fangtiao.tasks import services

    return services.requeue_stale()
