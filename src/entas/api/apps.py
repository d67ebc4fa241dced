from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "entas.api"
    verbose_name = _("API")

    def ready(self) -> None:
        # The OAuth access tokens of the API (entas.accounts.oauth) are signed with the installation's
        # own key and checked against its published JWKS (entas.interop.keys): the app above both
        # plugs the one into the other.
        from entas.accounts import oauth
        from entas.interop import keys

        oauth.use_keys(keys.sign_jwt, keys.public_key)
