from __future__ import annotations

from authentication import secrets_store


def test_passwords_are_stored_salted_and_hashed() -> None:
    first = secrets_store.user_item("ada", "correct horse")
    second = secrets_store.user_item("ada", "correct horse")

    assert "correct horse" not in str(first)
    assert first["password_hash"] != second["password_hash"]  # different salts
    assert secrets_store.password_matches(first, "correct horse")
    assert not secrets_store.password_matches(first, "wrong horse")
    assert not secrets_store.password_matches(None, "correct horse")


def test_tokens_are_stored_as_digests_and_expire() -> None:
    token, item = secrets_store.new_token("ada", now=1000)

    assert token not in str(item)
    assert item["token_hash"] == secrets_store.token_digest(token)
    assert secrets_store.token_user(item, now=1000 + secrets_store.TOKEN_SECONDS - 1) == "ada"
    assert secrets_store.token_user(item, now=1000 + secrets_store.TOKEN_SECONDS) is None
    assert secrets_store.token_user(None) is None
