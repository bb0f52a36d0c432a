"""Example client: sign up, get tokens, read the profile.

    python -m app.interfaces.grpc.client --target 127.0.0.1:50051

Each step is one call on a generated stub; authenticated calls carry
`authorization: Bearer <access>` in their metadata.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Sequence

import grpc

from app.interfaces.grpc.pb import auth_pb2, auth_pb2_grpc, users_pb2, users_pb2_grpc


async def run(target: str, email: str, password: str) -> users_pb2.Profile:
    """The new account's profile, as GetMe returns it."""
    async with grpc.aio.insecure_channel(target) as channel:
        auth = auth_pb2_grpc.AuthServiceStub(channel)  # type: ignore[no-untyped-call]
        users = users_pb2_grpc.UsersServiceStub(channel)  # type: ignore[no-untyped-call]
        await auth.SignUp(auth_pb2.SignUpRequest(email=email, password=password))
        pair = await auth.IssueTokens(auth_pb2.IssueTokensRequest(email=email, password=password))
        metadata = (("authorization", f"Bearer {pair.access}"),)
        profile: users_pb2.Profile = await users.GetMe(users_pb2.GetMeRequest(), metadata=metadata)
        return profile


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Sign up, get tokens and call GetMe over gRPC.")
    parser.add_argument("--target", default="127.0.0.1:50051", help="host:port of `app grpc`")
    parser.add_argument("--email", default=f"demo-{uuid.uuid4().hex[:8]}@example.com")
    parser.add_argument("--password", default="correct horse battery")
    args = parser.parse_args(argv)
    try:
        profile = asyncio.run(run(args.target, args.email, args.password))
    except grpc.aio.AioRpcError as exc:
        print(f"{exc.code().name}: {exc.details()}", file=sys.stderr)
        return 1
    print(profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
