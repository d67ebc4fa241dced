from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "entas.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from entas.core import navigation

        navigation.add("accounts:user_list", _("Users"), "users.manage", order=130)
