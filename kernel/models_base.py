"""Declarative base, naming convention and the TenantOwned mixin shared by every domain."""
from datetime import datetime

from sqlalchemy import DateTime, MetaData, String, func
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow_column() -> Mapped[datetime]:
    return mapped_column(DateTime(timezone=True), server_default=func.now(), nullable=False)


class TenantOwned:
    """Rows that belong to one municipality (or TMG).

    ``tenant_id`` is the 6-digit local government code and the first column of the primary key;
    every foreign key between tenant-owned tables is composite (tenant_id, id), so a row can never
    point at another tenant's row and the schema stays distributable by tenant_id (Citus).
    Every table using this mixin must get RLS in its migration (migrations.rls.enable_tenant_rls);
    tests/test_rls.py fails otherwise.
    """

    @declared_attr
    def tenant_id(cls) -> Mapped[str]:  # noqa: N805
        # sort_order: tenant_id comes first in the table and in the primary key (tenant_id, id).
        return mapped_column(String(6), primary_key=True, sort_order=-10)
