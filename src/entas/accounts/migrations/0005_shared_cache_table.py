"""The table of the shared cache (ENTAS_CACHE_URL=db://TABLE, the default): the API's rate limits count
in it across every server process. ``createcachetable`` makes the table of each database cache in
CACHES that does not exist yet (nothing for Redis or files), so a deployment needs no extra step."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):  # type: ignore[no-untyped-def]
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_oauth_clients")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop, elidable=False)]
