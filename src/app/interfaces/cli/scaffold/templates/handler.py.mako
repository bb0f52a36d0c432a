@pydantic_dataclass(frozen=True)
class ${c.Entity}CreatedData:
    ${c.entity}_uuid: UUID
% if c.owner:
    owner_uuid: UUID
% endif


_${c.ENTITY}_CREATED = TypeAdapter(${c.Entity}CreatedData)


async def ${c.entity}_created(container: Container, data: Mapping[str, Any], message: Message) -> bool:
% if c.owner:
    """`${c.name}.created.v1`: a notification for the ${c.entity_words}'s owner, once per message id."""
% else:
    """`${c.name}.created.v1`: noted once per message id (an example to build on)."""
% endif
    payload = _${c.ENTITY}_CREATED.validate_python(data)
    return await container.${c.name}.note_created(
        Note${c.Entity}Created(
            ${c.entity}_id=payload.${c.entity}_uuid,
% if c.owner:
            owner_id=payload.owner_uuid,
% endif
            message_id=message.id,
        )
    )


