from django.db import migrations, models

# The settings the old columns held, with the values every row had by default: a row that
# kept the default now follows the domain's default instead.
MOVED = {"layout": "right", "density": "comfortable", "shortcuts": True,
         "undo_seconds": 10, "language": ""}


def move_into_chosen(apps, schema_editor):
    Preferences = apps.get_model("accounts", "Preferences")
    rows = Preferences.objects.using(schema_editor.connection.alias)
    for row in rows.all():
        chosen = {name: getattr(row, name) for name, default in MOVED.items()
                  if getattr(row, name) != default}
        if chosen:
            row.chosen = chosen
            row.save(update_fields=["chosen"])


def move_back(apps, schema_editor):
    Preferences = apps.get_model("accounts", "Preferences")
    rows = Preferences.objects.using(schema_editor.connection.alias)
    for row in rows.exclude(chosen={}):
        for name in MOVED:
            if name in row.chosen:
                setattr(row, name, row.chosen[name])
        row.save()


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0008_preference_language"),
    ]

    operations = [
        migrations.AddField(
            model_name="preferences", name="chosen",
            field=models.JSONField(blank=True, default=dict)),
        migrations.AddField(
            model_name="domain", name="preference_defaults",
            field=models.JSONField(blank=True, default=dict)),
        migrations.AddField(
            model_name="domain", name="preference_locks",
            field=models.JSONField(blank=True, default=list)),
        migrations.RunPython(move_into_chosen, move_back),
        migrations.RemoveField(model_name="preferences", name="layout"),
        migrations.RemoveField(model_name="preferences", name="density"),
        migrations.RemoveField(model_name="preferences", name="shortcuts"),
        migrations.RemoveField(model_name="preferences", name="undo_seconds"),
        migrations.RemoveField(model_name="preferences", name="language"),
    ]
