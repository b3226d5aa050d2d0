"""Keyed-hash columns: a unique constraint and a plain index instead of field options.

As `unique=True` / `db_index=True` on a CharField, Django also gives PostgreSQL a `varchar_pattern_ops` index
(`…_like`) for `LIKE 'x%'`, which nobody runs on a keyed hash and which every roster import must write (two
of the teacher table's ten indexes, 140 MB each at 1,000,000 teachers). The database side renames what is
kept and drops the `_like` indexes, so a large table is not rebuilt: on PostgreSQL the unique constraint and
the phone index are renamed; on SQLite the column's inline `UNIQUE` is what a `UniqueConstraint` is there
(nothing to do) and only the phone index is re-created under its new name.
"""

from django.db import migrations, models

TABLE = "teachers_teacher"


class KeepHashIndexesDropLikeIndexes(migrations.operations.base.Operation):
    reduces_to_sql = True
    reversible = True

    def state_forwards(self, app_label, state):
        pass  # The state is changed by the operations beside this one.

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, "teacher")
        vendor = schema_editor.connection.vendor
        quote = schema_editor.quote_name
        if vendor == "postgresql":
            unique = [name for name in schema_editor._constraint_names(model, ["id_hash"], unique=True)
                      if name != "teacher_id_hash_unique"]
            phone = [name for name in schema_editor._constraint_names(model, ["phone_hash"], index=True)
                     if not name.endswith("_like") and name != "teacher_phone_hash"]
            likes = [name for column in ("id_hash", "phone_hash")
                     for name in schema_editor._constraint_names(model, [column], index=True)
                     if name.endswith("_like")]
            for name in unique[:1]:
                schema_editor.execute(f"ALTER TABLE {quote(TABLE)} RENAME CONSTRAINT {quote(name)} "
                                      f"TO {quote('teacher_id_hash_unique')}")
            for name in phone[:1]:
                schema_editor.execute(f"ALTER INDEX {quote(name)} RENAME TO {quote('teacher_phone_hash')}")
            for name in likes:
                schema_editor.execute(f"DROP INDEX IF EXISTS {quote(name)}")
            if not unique:
                schema_editor.execute(f"ALTER TABLE {quote(TABLE)} ADD CONSTRAINT "
                                      f"{quote('teacher_id_hash_unique')} UNIQUE ({quote('id_hash')})")
            if not phone:
                schema_editor.execute(f"CREATE INDEX {quote('teacher_phone_hash')} ON {quote(TABLE)} "
                                      f"({quote('phone_hash')})")
            return
        # SQLite and others: re-create the phone index under its new name; the unique column stays as it is.
        for name in schema_editor._constraint_names(model, ["phone_hash"], index=True, unique=False):
            if name != "teacher_phone_hash":
                schema_editor.execute(f"DROP INDEX {quote(name)}")
        schema_editor.execute(f"CREATE INDEX {quote('teacher_phone_hash')} ON {quote(TABLE)} "
                              f"({quote('phone_hash')})")
        if vendor != "sqlite" and not [
            name for name in schema_editor._constraint_names(model, ["id_hash"], unique=True)
        ]:
            schema_editor.execute(f"ALTER TABLE {quote(TABLE)} ADD CONSTRAINT "
                                  f"{quote('teacher_id_hash_unique')} UNIQUE ({quote('id_hash')})")

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, "teacher")
        quote = schema_editor.quote_name
        schema_editor.execute(f"DROP INDEX IF EXISTS {quote('teacher_phone_hash')}")
        phone_field = model._meta.get_field("phone_hash")
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[phone_field]))
        if schema_editor.connection.vendor == "postgresql":
            old_unique = schema_editor._create_index_name(TABLE, ["id_hash"], suffix="_uniq")
            schema_editor.execute(f"ALTER TABLE {quote(TABLE)} RENAME CONSTRAINT "
                                  f"{quote('teacher_id_hash_unique')} TO {quote(old_unique)}")
            for field in (model._meta.get_field("id_hash"), phone_field):
                like = schema_editor._create_like_index_sql(model, field)
                if like is not None:
                    schema_editor.execute(like)

    def describe(self):
        return "Keep the keyed-hash indexes under new names and drop their LIKE indexes"


class Migration(migrations.Migration):

    dependencies = [
        ("teachers", "0005_intake_per_county"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="teacher",
                    name="id_hash",
                    field=models.CharField(editable=False, max_length=64, verbose_name="身份证号检索散列"),
                ),
                migrations.AlterField(
                    model_name="teacher",
                    name="phone_hash",
                    field=models.CharField(blank=True, editable=False, max_length=64, verbose_name="手机号检索散列"),
                ),
                migrations.AddIndex(
                    model_name="teacher",
                    index=models.Index(fields=["phone_hash"], name="teacher_phone_hash"),
                ),
                migrations.AddConstraint(
                    model_name="teacher",
                    constraint=models.UniqueConstraint(fields=("id_hash",), name="teacher_id_hash_unique",
                                                       violation_error_message="该身份证号的教师已存在。"),
                ),
            ],
            database_operations=[KeepHashIndexesDropLikeIndexes()],
        ),
    ]
