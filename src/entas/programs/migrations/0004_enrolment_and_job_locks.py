# The programme membership becomes Enrolment (the registry has its own Membership: a person's
# family periods); a cycle is no longer locked by a flag a dead worker could leave set (a job that
# writes its file holds the lock key programs.cycle.<id> instead: entas.core.jobqueue.lock_holder).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('programs', '0003_tranches'),
        ('registry', '0004_name_key_prefix_indexes'),
    ]

    operations = [
        migrations.RemoveField(
            model_name='cycle',
            name='locked',
        ),
        migrations.RemoveConstraint(
            model_name='membership',
            name='one_membership_per_programme',
        ),
        migrations.RenameModel(old_name='Membership', new_name='Enrolment'),
        migrations.AlterModelOptions(
            name='enrolment',
            options={'verbose_name': 'enrolment', 'verbose_name_plural': 'enrolments'},
        ),
        migrations.AlterField(
            model_name='enrolment',
            name='household',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='enrolments', to='registry.household'),
        ),
        migrations.AlterField(
            model_name='enrolment',
            name='programme',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='enrolments', to='programs.programme'),
        ),
        migrations.AddConstraint(
            model_name='enrolment',
            constraint=models.UniqueConstraint(fields=('programme', 'household'), name='one_enrolment_per_programme'),
        ),
    ]
