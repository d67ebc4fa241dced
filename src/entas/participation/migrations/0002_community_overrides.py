"""The targeting module's community overrides become musyawarah decisions: each berita acara becomes
a musyawarah kelurahan (in the kelurahan of its households, on its date), each override a decision on
the rule's list at that forum. Runs before targeting drops its table (0006)."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    Override = apps.get_model("targeting", "CommunityOverride")
    Forum = apps.get_model("participation", "Forum")
    Decision = apps.get_model("participation", "ForumDecision")
    forums: dict[tuple[str, int], Any] = {}
    for o in Override.objects.select_related("household").order_by("decided_on", "pk"):
        key = (o.berita_acara, o.household.kelurahan_id)
        forum = forums.get(key)
        if forum is None:
            number = o.berita_acara
            if Forum.objects.filter(berita_acara=number).exists():  # one berita acara across kelurahan
                number = f"{o.berita_acara} ({o.household.kelurahan_id})"
            forum = Forum.objects.create(
                kind="musyawarah",
                area_id=o.household.kelurahan_id,
                held_on=o.decided_on,
                berita_acara=number[:120],
                recorded_by_id=o.recorded_by_id,
                recorded_at=o.recorded_at,
            )
            forums[key] = forum
        Decision.objects.create(
            forum=forum,
            household_id=o.household_id,
            rule_id=o.rule_id,
            action=o.action,
            reason=o.reason,
            verification="rule",
            recorded_by_id=o.recorded_by_id,
            recorded_at=o.recorded_at,
        )


def backwards(apps: Any, schema_editor: Any) -> None:
    Override = apps.get_model("targeting", "CommunityOverride")
    Decision = apps.get_model("participation", "ForumDecision")
    latest: dict[tuple[int, int], Any] = {}
    for d in Decision.objects.filter(rule__isnull=False).select_related("forum").order_by("forum__held_on", "pk"):
        if d.action in ("add", "remove"):
            latest[(d.rule_id, d.household_id)] = d
    for d in latest.values():
        Override.objects.create(
            rule_id=d.rule_id,
            household_id=d.household_id,
            action=d.action,
            reason=d.reason or "-",
            berita_acara=d.forum.berita_acara,
            decided_on=d.forum.held_on,
            recorded_by_id=d.recorded_by_id,
            recorded_at=d.recorded_at,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("participation", "0001_initial"),
        ("targeting", "0005_rule_versions_and_chosen_model"),
    ]
    run_before = [("targeting", "0006_delete_communityoverride")]
    operations = [migrations.RunPython(forwards, backwards)]
