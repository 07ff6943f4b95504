"""Give every lab a secret Kubernetes API key (existing rows get one each, then it is unique)."""

import clusterlab.labs.models
from django.db import migrations, models


def fill_keys(apps, schema_editor):
    Lab = apps.get_model("labs", "Lab")
    for lab in Lab.objects.filter(api_key__isnull=True).only("pk"):
        lab.api_key = clusterlab.labs.models.new_api_key()
        lab.save(update_fields=["api_key"])


class Migration(migrations.Migration):

    dependencies = [
        ("labs", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="lab",
            name="api_key",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="lab",
            name="api_key",
            field=models.CharField(
                default=clusterlab.labs.models.new_api_key,
                editable=False,
                help_text="Secret in the lab's Kubernetes API URL (/k8s/<api_key>/): whoever has it drives the lab.",
                max_length=64,
                unique=True,
            ),
        ),
    ]
