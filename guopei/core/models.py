"""Audit events, background jobs and the shared base model."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField("创建时间", default=timezone.now, editable=False)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        abstract = True


class AuditEventQuerySet(models.QuerySet):
    def update(self, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError("审计日志只能追加，不能修改")

    def delete(self):  # type: ignore[no-untyped-def]
        raise PermissionError("审计日志只能追加，不能删除")


class AuditEvent(models.Model):
    """One thing that happened, written by the service that did it. Append-only."""

    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField("操作人账号", max_length=150, blank=True)
    role = models.CharField("角色", max_length=40, blank=True)
    action = models.CharField("操作", max_length=80, db_index=True)
    object_type = models.CharField("对象类型", max_length=80, blank=True)
    object_id = models.CharField("对象编号", max_length=64, blank=True)
    region_code = models.CharField("区域代码", max_length=6, blank=True, db_index=True)
    detail = models.JSONField("详情", default=dict, blank=True)
    ip_address = models.GenericIPAddressField("IP地址", null=True, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = "审计事件"
        verbose_name_plural = "审计事件"
        indexes = [models.Index(fields=["actor", "at"]), models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name or '系统'} {self.action}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        if self.pk is not None:
            raise PermissionError("审计日志只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        raise PermissionError("审计日志只能追加，不能删除")


class Job(TimeStampedModel):
    """A background job's progress, as the person who started it sees it."""

    class State(models.TextChoices):
        QUEUED = "queued", "排队中"
        RUNNING = "running", "进行中"
        SUCCEEDED = "succeeded", "已完成"
        FAILED = "failed", "失败"

    kind = models.CharField("类型", max_length=60)
    title = models.CharField("名称", max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="发起人", on_delete=models.PROTECT, related_name="jobs"
    )
    region_code = models.CharField("区域代码", max_length=6, blank=True, db_index=True)
    state = models.CharField("状态", max_length=20, choices=State.choices, default=State.QUEUED)
    done = models.PositiveIntegerField("已处理", default=0)
    total = models.PositiveIntegerField("总数", default=0)
    message = models.CharField("说明", max_length=500, blank=True)
    error = models.TextField("错误", blank=True)
    params = models.JSONField("参数", default=dict, blank=True)
    input_file = models.FileField("上传文件", upload_to="jobs/in/%Y/%m/", blank=True)
    result_file = models.FileField("结果文件", upload_to="jobs/out/%Y/%m/", blank=True)
    result_name = models.CharField("结果文件名", max_length=200, blank=True)
    result = models.JSONField("结果", default=dict, blank=True)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    # The worker process running the job ("host:pid", as in WorkerHeartbeat.name); blank when it ran inline.
    worker = models.CharField("工作进程", max_length=120, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        constraints = [
            models.CheckConstraint(condition=models.Q(done__lte=models.F("total")) | models.Q(total=0),
                                   name="job_done_not_above_total"),
        ]
        indexes = [models.Index(fields=["owner", "-created_at"], name="job_owner_created_idx")]

    def __str__(self) -> str:
        return f"{self.title}（{self.get_state_display()}）"

    @property
    def percent(self) -> int:
        if self.state == self.State.SUCCEEDED:
            return 100
        if not self.total:
            return 0
        return min(100, int(self.done * 100 / self.total))

    @property
    def is_finished(self) -> bool:
        return self.state in {self.State.SUCCEEDED, self.State.FAILED}


class WorkerHeartbeat(models.Model):
    """The last sign of life of each job worker; /healthz reads it."""

    name = models.CharField("工作进程", max_length=120, unique=True)
    backend = models.CharField("后端", max_length=40)
    started_at = models.DateTimeField("启动时间", default=timezone.now)
    beat_at = models.DateTimeField("最近心跳", default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-beat_at"]
        verbose_name = "工作进程心跳"
        verbose_name_plural = "工作进程心跳"

    def __str__(self) -> str:
        return f"{self.name} {self.beat_at:%H:%M:%S}"
