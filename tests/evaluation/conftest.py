from tests.policy.conftest import bappeda, cash_programme, plan  # noqa: F401  (the register's fixtures)
