from django.db import models


class AccessLog(models.Model):
    """relais's `access_logs` table, read as it is (Django neither creates nor changes it)."""

    id = models.BigAutoField(primary_key=True)
    user_id = models.BigIntegerField(null=True)
    target_path = models.TextField()
    verb = models.TextField()
    user_agent = models.TextField(null=True)
    ip = models.TextField(null=True)
    http_code = models.IntegerField()
    knot_code = models.IntegerField()
    duration_ms = models.BigIntegerField()
    created_at = models.DateTimeField()

    class Meta:
        managed = False
        db_table = "access_logs"
