"""The DCI social-registry endpoints (docs/interop.md), under /dci/: machine-to-machine, outside the
session-authenticated pages and API."""

from django.urls import path

from . import dci_views as v

app_name = "dci"
urlpatterns = [
    path(".well-known/jwks.json", v.jwks, name="jwks"),
    path("oauth2/client/token", v.token, name="token"),
    path("registry/search", v.search, name="search"),
    path("registry/sync/search", v.sync_search, name="sync_search"),
    path("registry/txn/status", v.txn_status, name="txn_status"),
    path("registry/sync/txn/status", v.sync_txn_status, name="sync_txn_status"),
    path("registry/subscribe", v.subscribe, name="subscribe"),
    path("registry/unsubscribe", v.unsubscribe, name="unsubscribe"),
]
