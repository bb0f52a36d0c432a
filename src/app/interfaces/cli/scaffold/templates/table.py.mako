

class ${c.Entity}Row(Base):
    """${c.an_entity.capitalize()} of the ${c.words} context (domain/${c.name}): its fields under their own names."""

    __tablename__ = "${c.name}"
    __table_args__ = (
% if c.owner:
        # Each owner's list and everyone's, in the default order with its tie breaker
        # (db/${c.name}.py): keyset pages read a range of one of them at any depth.
        Index("ix_${c.name}_owner_uuid_created_at_uuid", "owner_uuid", "created_at", "uuid"),
% else:
        # The list's default order and its tie breaker (db/${c.name}.py): keyset pages read a
        # range of it at any depth.
% endif
        Index("ix_${c.name}_created_at_uuid", "created_at", "uuid"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    # UUID, not uuid.UUID: below this line the class's own `uuid` would be meant.
    uuid: Mapped[UUID] = mapped_column(Uuid, unique=True, nullable=False)
% if c.owner:
    owner_uuid: Mapped[UUID] = mapped_column(Uuid, nullable=False)
% endif
% for f in c.fields:
%   if f.optional:
    ${f.name}: Mapped[${k.mapped(c, f)}] = mapped_column(${k.column(c, f)})
%   else:
    ${f.name}: Mapped[${k.mapped(c, f)}] = mapped_column(${k.column(c, f)}, nullable=False)
%   endif
% endfor
    created_at: Mapped[datetime] = _now_column()
    updated_at: Mapped[datetime] = _now_column()
